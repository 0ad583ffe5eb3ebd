"""The bank and branch directory: public and read-only (registration forms use it
before anyone signs in)."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate

from custodesk.core.schema_types import Pages

from . import selectors
from .schemas import BankFilters, BankOut, BranchFilters, BranchOut, ProvinceFilters, ProvinceOut

router = Router(auth=None, tags=["banks"])


@router.get("", response=list[BankOut], operation_id="banks_list")
def list_banks(request: HttpRequest, filters: Query[BankFilters]) -> Any:
    """Every bank of the directory (mainland banks by CNAPS bank code, Hong Kong banks
    as `HK` + their bank code)."""
    return selectors.banks(region=filters.region)


@router.get("/provinces", response=list[ProvinceOut], operation_id="banks_provinces")
def list_provinces(request: HttpRequest, filters: Query[ProvinceFilters]) -> Any:
    """Provinces and their cities that have branches (of one bank with `bank`)."""
    return selectors.provinces(bank_code=filters.bank)


@router.get("/branches", response=list[BranchOut], operation_id="banks_branches")
@paginate(Pages, page_size=50)
def list_branches(request: HttpRequest, filters: Query[BranchFilters]) -> Any:
    """Branches by bank, province, city and keyword `q` (a substring of the Chinese
    name, or the start of the branch code when all digits), by code."""
    return selectors.branch_queryset(
        bank_code=filters.bank, province=filters.province, city=filters.city, keyword=filters.q
    )
