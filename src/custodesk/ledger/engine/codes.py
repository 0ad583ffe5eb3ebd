"""Accounts named by code (the API's way): codes → ids, in one query per call."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from .. import errors as E
from . import sql
from .spec import TransferSpec


def account_ids_by_code(codes: list[str]) -> dict[str, int]:
    """Account codes → ids, in one query (codes that match nothing are left out)."""
    codes = list(dict.fromkeys(codes))
    if not codes:
        return {}
    return sql.backend().account_ids_by_code(codes)


def by_code(spec: TransferSpec) -> bool:
    """Does the spec name its accounts by code only?"""
    return spec.debit_account_id is None and spec.credit_account_id is None


def resolve_codes(specs: Sequence[TransferSpec]) -> Sequence[TransferSpec]:
    """Account codes → ids for the general path (one query for the call); an unknown
    code is ``AccountNotFound`` naming it, before anything is booked."""
    codes = [c for s in specs if by_code(s) for c in (s.debit_code, s.credit_code) if c]
    if not codes:
        return specs
    ids = account_ids_by_code(codes)
    for code in codes:
        if code not in ids:
            raise E.AccountNotFound(account=code)
    return [
        dataclasses.replace(
            s,
            debit_account_id=ids[s.debit_code] if s.debit_code else None,
            credit_account_id=ids[s.credit_code] if s.credit_code else None,
        )
        if by_code(s) and s.debit_code
        else s
        for s in specs
    ]


def with_placeholder_ids(spec: TransferSpec) -> TransferSpec:
    """The spec as the static checks see it when the accounts are still codes."""
    same = spec.debit_code == spec.credit_code
    return dataclasses.replace(spec, debit_account_id=-1, credit_account_id=-1 if same else -2)
