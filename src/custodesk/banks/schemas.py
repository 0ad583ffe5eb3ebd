from typing import Annotated

from ninja import Field, Schema

from custodesk.core.schema_types import Input, OneOf, Text

from .models import Bank

BankCode = Annotated[str, Field(pattern=r"^[0-9A-Z]{3,8}$", max_length=8)]


class BankOut(Schema):
    code: str
    name: str
    name_hant: str
    name_hans: str
    swift: str
    region: str


class ProvinceOut(Schema):
    province: str
    cities: list[str]


class BranchOut(Schema):
    code: str
    bank_code: str = Field(alias="bank.code")
    bank_name: str = Field(alias="bank.name_hans")
    name: str
    province: str
    city: str
    address: str


class BankFilters(Input):
    region: Annotated[str, OneOf(Bank.Region)] | None = None


class ProvinceFilters(Input):
    bank: BankCode | None = None


class BranchFilters(Input):
    bank: BankCode | None = None
    province: Text | None = Field(None, max_length=32)
    city: Text | None = Field(None, max_length=32)
    q: Text | None = Field(
        None, max_length=30, description="a substring of the branch name, or a code prefix"
    )
