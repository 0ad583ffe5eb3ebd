"""The validated commands of the approvable market actions (stored in the request).

Bounds only: the rules (code pattern, account number, currencies …) are checked by
``services`` with field errors, at submit and again at execution."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MarketFields(_Payload):
    name: str = Field(max_length=200)
    summary_account_no: str = Field(max_length=32)
    summary_account_name: str = Field(max_length=200)
    summary_bank: str = Field("", max_length=200)
    summary_branch_code: str = Field("", max_length=16)
    b2b_review: bool = False
    currencies: list[str] = Field(max_length=3)


class MarketCreate(MarketFields):
    code: str = Field(max_length=16)
    agreement_title: str = Field(max_length=200)
    agreement_body: str = Field(max_length=50_000)
    # the market organisation's first administrator (credentials go through the outbox)
    admin_username: str = Field(max_length=150)
    admin_full_name: str = Field(max_length=200)
    admin_email: str = Field("", max_length=254)
    admin_phone: str = Field("", max_length=32)
    admin_language: str = Field("", max_length=8)


class MarketUpdate(MarketFields):
    market_id: UUID


class MarketStatusChange(_Payload):
    market_id: UUID
    reason: str = Field("", max_length=500)
