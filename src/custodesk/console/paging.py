from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import HttpRequest


def paginate(request: HttpRequest, queryset: Any) -> tuple[Page, int]:
    """Page of a list from ?page= and ?page_size= (one of the allowed sizes)."""
    sizes = settings.CUSTODESK_PAGE_SIZES
    try:
        size = int(request.GET.get("page_size", sizes[0]))
    except ValueError:
        size = sizes[0]
    if size not in sizes:
        size = sizes[0]
    paginator = Paginator(queryset, size)
    return paginator.get_page(request.GET.get("page")), size


def clean_filters(request: HttpRequest, names: list[str]) -> dict[str, str]:
    return {n: v for n in names if (v := request.GET.get(n, "").strip())}
