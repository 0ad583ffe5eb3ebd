"""The account list (ACC-LIST): filters, sort, keyset pages, capped totals, columns.

Reads only.  Every filter is a :class:`ListFilter` in a registry, so a later module
(BCAN, HKIDR consent) adds its own with :func:`register_filter` and the API, the console
and the export pick it up.  A filter parses its text (the query string is text) and
names the field and rule when it cannot; a bad value is refused, never ignored.

Speed at a million accounts (bench/brokerage_list.py, docs/benchmarks.md): pages are
keyset-paginated on (sort key, account number), so page N costs what page 1 does; the
total is counted up to :data:`TOTAL_CAP` (``COUNT`` over ``LIMIT``), never the whole
table; the partial-name search uses the indexes of migration 0101 on PostgreSQL (a
trigram index for English names, a character-run index for Chinese ones) and plain
``LIKE`` on SQLite.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import phonenumbers
from django.db import connection
from django.db.models import (
    BooleanField,
    Exists,
    Expression,
    F,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from custodesk.core import access
from custodesk.core.errors import FieldError, ValidationFailed

from .. import permissions_list as perms
from ..models import Account, AccountFlag, AccountFlagAssignment, Client

PAGE_SIZES = (20, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
TOTAL_CAP = 200
TEXT_MAX = 100
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")


def _invalid(name: str, rule: str, message: str | Promise) -> ValidationFailed:
    return ValidationFailed([FieldError(name, rule, str(message))])


# -- the filters ----------------------------------------------------------------------
@dataclass(frozen=True)
class ListFilter:
    """One filter: ``parse(name, text)`` → value (raises ValidationFailed), ``apply(qs,
    value)`` → narrowed queryset.  ``kind``: how the console shows it ("text", "choice",
    "date", "bool", "multi"); ``choices()``: the values of a choice."""

    name: str
    label: str | Promise
    kind: str
    parse: Callable[[str, str], Any]
    apply: Callable[[QuerySet[Account], Any], QuerySet[Account]]
    choices: Callable[[], list[tuple[str, Any]]] | None = None
    order: int = 100


_FILTERS: dict[str, ListFilter] = {}


def register_filter(f: ListFilter) -> ListFilter:
    """The extension point for later modules (BCAN, consent status …)."""
    if f.name in _FILTERS and _FILTERS[f.name] is not f:
        raise ValueError(f"account-list filter {f.name!r} registered twice")
    _FILTERS[f.name] = f
    return f


def filters() -> list[ListFilter]:
    return sorted(_FILTERS.values(), key=lambda f: (f.order, f.name))


def _text(name: str, value: str) -> str:
    value = value.strip()
    if len(value) > TEXT_MAX:
        raise _invalid(name, "max_length", _("At most %(n)d characters.") % {"n": TEXT_MAX})
    if any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in value):
        raise _invalid(name, "pattern", _("Control characters are not allowed."))
    return value


def _number(name: str, value: str) -> str:
    value = _text(name, value).replace(" ", "").upper()
    if not re.fullmatch(r"[0-9A-Z-]{1,16}", value):
        raise _invalid(name, "pattern", _("Enter the start of an account number."))
    return value


def _id_number(name: str, value: str) -> list[str]:
    """The ID number as typed and without the brackets of an HKID check digit."""
    value = _text(name, value).replace(" ", "").upper()
    if not value:
        raise _invalid(name, "required", _("Enter an ID number."))
    plain = value.replace("(", "").replace(")", "")
    forms = {value, plain}
    if re.fullmatch(r"[A-Z]{1,2}[0-9]{6}[0-9A]", plain):
        forms.add(f"{plain[:-1]}({plain[-1]})")
    return sorted(forms)


def _phone(name: str, value: str) -> str:
    """E.164, as clients' phones are stored; a number without ``+`` is taken as HK."""
    value = _text(name, value)
    try:
        number = phonenumbers.parse(value, "HK")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise _invalid(name, "phone", _("Enter a phone number, e.g. +852 5123 4567."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _choice(options: Callable[[], list[tuple[str, Any]]]) -> Callable[[str, str], str]:
    def parse(name: str, value: str) -> str:
        value = value.strip()
        if value not in {k for k, _label in options()}:
            raise _invalid(name, "choice", _("Not one of the choices."))
        return value

    return parse


def _bool(name: str, value: str) -> bool:
    if value not in ("true", "false"):
        raise _invalid(name, "choice", _("Enter true or false."))
    return value == "true"


def _date(name: str, value: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise _invalid(name, "date", _("Enter a date as YYYY-MM-DD.")) from None
    if not 1900 <= day.year <= 9000:
        raise _invalid(name, "date", _("Enter a date as YYYY-MM-DD."))
    return day


def _flag_codes(name: str, value: str) -> list[str]:
    codes = sorted({c.strip().upper() for c in value.split(",") if c.strip()})
    if (
        not codes
        or len(codes) > 20
        or any(not re.fullmatch(r"[A-Z0-9_.-]{1,32}", c) for c in codes)
    ):
        raise _invalid(name, "pattern", _("Enter one or more flag codes, separated by commas."))
    return codes


class ZhGramsContain(Expression):
    """PostgreSQL: ``brokerage_zh_grams(name_zh) @> grams`` (index of migration 0101)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, column: Any, grams: list[str]) -> None:
        super().__init__()
        self.column = column
        self.grams = grams

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, exprs: Any) -> None:
        (self.column,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        sql, params = compiler.compile(self.column)
        return f"brokerage_zh_grams(({sql})::text) @> %s::text[]", (*params, self.grams)


def zh_grams(term: str) -> list[str]:
    """The runs the index holds that a name containing ``term`` must have."""
    if len(term) == 1:
        return [term]
    return sorted({term[i : i + 2] for i in range(len(term) - 1)})


def name_condition(term: str, prefix: str = "client__") -> Q:
    """Partial name: Chinese characters search the Chinese name, anything else the
    English one (case-insensitive)."""
    if CJK.search(term):
        cond = Q(**{f"{prefix}name_zh__contains": term})
        # one character (a surname) matches too many names for the index to pay: the
        # planner walks the account numbers in order instead (10 ms against 560 ms)
        if connection.vendor == "postgresql" and len(term) >= 2:
            cond &= Q(ZhGramsContain(F(f"{prefix}name_zh"), zh_grams(term)))
        return cond
    return Q(**{f"{prefix}name_en__icontains": term})


def _name(name: str, value: str) -> str:
    value = " ".join(_text(name, value).split())
    if not value:
        raise _invalid(name, "required", _("Enter part of a name."))
    return value


def prefix_condition(field: str, prefix: str) -> Q:
    """``field`` starts with ``prefix``, written as a range as well (``>= prefix`` and
    ``< prefix`` with its last character bumped) so that the ordinary B-tree index of the
    number answers it in order; ``startswith`` keeps it exact whatever the collation."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": upper, f"{field}__startswith": prefix})


def _flags(qs: QuerySet[Account], codes: list[str]) -> QuerySet[Account]:
    ids = list(AccountFlag.objects.filter(code__in=codes).values_list("id", flat=True))
    return qs.filter(
        Exists(AccountFlagAssignment.objects.filter(account=OuterRef("pk"), flag_id__in=ids))
    )


def _flag_choices() -> list[tuple[str, str]]:
    return [(f.code, f.name) for f in AccountFlag.objects.filter(active=True).order_by("code")]


for _f in (
    ListFilter(
        "number",
        _("Account number"),
        "text",
        _number,
        lambda qs, v: qs.filter(prefix_condition("number", v)),
        order=10,
    ),
    ListFilter(
        "name",
        _("Client name"),
        "text",
        _name,
        lambda qs, v: qs.filter(name_condition(v)),
        order=20,
    ),
    ListFilter(
        "id_number",
        _("ID number"),
        "text",
        _id_number,
        lambda qs, v: qs.filter(client__id_number__in=v),
        order=30,
    ),
    ListFilter(
        "phone", _("Phone"), "text", _phone, lambda qs, v: qs.filter(client__phone=v), order=40
    ),
    ListFilter(
        "client_no",
        _("Client number"),
        "text",
        _number,
        lambda qs, v: qs.filter(prefix_condition("client__client_no", v)),
        order=45,
    ),
    ListFilter(
        "status",
        _("Account status"),
        "choice",
        _choice(lambda: Account.Status.choices),
        lambda qs, v: qs.filter(status=v),
        lambda: Account.Status.choices,
        order=50,
    ),
    ListFilter(
        "frozen", _("Account freeze"), "bool", _bool, lambda qs, v: qs.filter(frozen=v), order=55
    ),
    ListFilter(
        "client_status",
        _("Client status"),
        "choice",
        _choice(lambda: Client.Status.choices),
        lambda qs, v: qs.filter(client__status=v),
        lambda: Client.Status.choices,
        order=60,
    ),
    ListFilter(
        "type",
        _("Account type"),
        "choice",
        _choice(lambda: Account.Type.choices),
        lambda qs, v: qs.filter(type=v),
        lambda: Account.Type.choices,
        order=70,
    ),
    ListFilter(
        "client_kind",
        _("Client type"),
        "choice",
        _choice(lambda: Client.Kind.choices),
        lambda qs, v: qs.filter(client__kind=v),
        lambda: Client.Kind.choices,
        order=75,
    ),
    ListFilter("flag", _("Account flag"), "multi", _flag_codes, _flags, _flag_choices, order=80),
    ListFilter(
        "opened_from",
        _("Opened from"),
        "date",
        _date,
        lambda qs, v: qs.filter(opened_on__gte=v),
        order=90,
    ),
    ListFilter(
        "opened_to",
        _("Opened to"),
        "date",
        _date,
        lambda qs, v: qs.filter(opened_on__lte=v),
        order=91,
    ),
):
    register_filter(_f)


def parse_filters(params: dict[str, str]) -> dict[str, Any]:
    """Typed values of the non-empty known filters; every bad one named at once."""
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    for f in filters():
        raw = params.get(f.name)
        if raw is None or str(raw).strip() == "":
            continue
        try:
            values[f.name] = f.parse(f.name, str(raw))
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    lo, hi = values.get("opened_from"), values.get("opened_to")
    if lo and hi and hi < lo:
        errors.append(
            FieldError("opened_to", "after_opened_from", str(_("Before the start date.")))
        )
    if errors:
        raise ValidationFailed(errors)
    return values


def filtered(*, actor: access.Principal, params: dict[str, str]) -> QuerySet[Account]:
    """Accounts matching the filters (unordered).  Staff only: the book is the broker's."""
    access.require(actor, perms.ACCOUNT_LIST)
    values = parse_filters(params)
    qs = Account.objects.all()
    for name, value in values.items():
        qs = _FILTERS[name].apply(qs, value)
    return qs


# -- sort and keyset ------------------------------------------------------------------
SORTS = {
    "number": ("number", False),
    "-number": ("number", True),
    "opened_on": ("opened_on", False),
    "-opened_on": ("opened_on", True),
}


def _sort(params: dict[str, str]) -> str:
    sort = (params.get("sort") or "number").strip()
    if sort not in SORTS:
        raise _invalid("sort", "choice", _("Not one of the choices."))
    return sort


def _order(sort: str) -> list[Any]:
    key, desc = SORTS[sort]
    if key == "number":
        return [F("number").desc() if desc else F("number").asc()]
    # nulls (not yet opened) last going up, first going down: the index's own order
    return (
        [F("opened_on").desc(nulls_first=True), F("number").desc()]
        if desc
        else [F("opened_on").asc(nulls_last=True), F("number").asc()]
    )


def encode_cursor(sort: str, row: Account) -> str:
    key = SORTS[sort][0]
    value = getattr(row, key)
    raw = json.dumps([sort, value.isoformat() if isinstance(value, dt.date) else value, row.number])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(text: str, sort: str) -> tuple[Any, str]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        cur_sort, value, number = raw
        if cur_sort != sort or not isinstance(number, str):
            raise ValueError
        if SORTS[sort][0] == "opened_on" and value is not None:
            value = dt.date.fromisoformat(value)
        elif SORTS[sort][0] == "number" and value != number:
            raise ValueError
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise _invalid("after", "cursor", _("Not a cursor of this list and sort.")) from None
    return value, number


def _after(qs: QuerySet[Account], sort: str, cursor: str) -> QuerySet[Account]:
    key, desc = SORTS[sort]
    value, number = _decode_cursor(cursor, sort)
    if key == "number":
        return qs.filter(number__lt=number) if desc else qs.filter(number__gt=number)
    # (opened_on, number) beyond the cursor; the first, redundant condition lets the
    # (opened_on, number) index start at the cursor instead of at the beginning
    if not desc:
        if value is None:
            return qs.filter(opened_on__isnull=True, number__gt=number)
        return qs.filter(Q(opened_on__gte=value) | Q(opened_on__isnull=True)).filter(
            Q(opened_on__gt=value)
            | Q(opened_on=value, number__gt=number)
            | Q(opened_on__isnull=True)
        )
    if value is None:
        return qs.filter(Q(opened_on__isnull=True, number__lt=number) | Q(opened_on__isnull=False))
    return qs.filter(opened_on__lte=value).filter(
        Q(opened_on__lt=value) | Q(opened_on=value, number__lt=number)
    )


def _page_size(params: dict[str, str]) -> int:
    raw = (params.get("limit") or str(DEFAULT_PAGE_SIZE)).strip()
    if not raw.isdigit() or int(raw) not in PAGE_SIZES:
        raise _invalid("limit", "choice", _("Not one of the page sizes."))
    return int(raw)


def page_queryset(*, actor: access.Principal, params: dict[str, str]) -> QuerySet[Account]:
    """The SQL of one page (size + 1 rows, to know whether there is a next one)."""
    sort = _sort(params)
    size = _page_size(params)
    qs = filtered(actor=actor, params=params)
    if params.get("after"):
        qs = _after(qs, sort, str(params["after"]))
    return qs.select_related("client", "parent").order_by(*_order(sort))[: size + 1]


@dataclass
class AccountPage:
    rows: list[dict[str, Any]]
    next_after: str | None
    total: int
    total_exact: bool
    sort: str


def account_page(*, actor: access.Principal, params: dict[str, str]) -> AccountPage:
    """One page of the list (plain rows, flags included) and the capped total."""
    sort = _sort(params)
    size = _page_size(params)
    accounts = list(page_queryset(actor=actor, params=params))
    more = len(accounts) > size
    accounts = accounts[:size]
    flags = flags_of([a.pk for a in accounts])
    if not more and "after" not in params:
        total = len(accounts)  # the whole set is on this first page: no count needed
    else:
        total = filtered(actor=actor, params=params).order_by()[: TOTAL_CAP + 1].count()
    return AccountPage(
        rows=[row(a, flags.get(a.pk, [])) for a in accounts],
        next_after=encode_cursor(sort, accounts[-1]) if more and accounts else None,
        total=min(total, TOTAL_CAP),
        total_exact=total <= TOTAL_CAP,
        sort=sort,
    )


def flags_of(account_ids: list[int]) -> dict[int, list[dict[str, str]]]:
    out: dict[int, list[dict[str, str]]] = {}
    if not account_ids:
        return out
    for fa in (
        AccountFlagAssignment.objects.filter(account_id__in=account_ids)
        .select_related("flag")
        .order_by("flag__code")
    ):
        out.setdefault(fa.account_id, []).append(flag_row(fa.flag))
    return out


def flag_row(f: AccountFlag) -> dict[str, str]:
    return {
        "code": f.code,
        "name": f.name,
        "name_hant": f.name_hant,
        "name_hans": f.name_hans,
        "colour": f.colour,
    }


def row(a: Account, flags: list[dict[str, str]]) -> dict[str, Any]:
    c = a.client
    return {
        "number": a.number,
        "public_id": a.public_id,
        "client_no": c.client_no,
        "client_name_en": c.name_en,
        "client_name_zh": c.name_zh,
        "client_kind": c.kind,
        "client_kind_label": c.get_kind_display(),
        "client_status": c.status,
        "client_status_label": c.get_status_display(),
        "id_type": c.id_type,
        "id_number": c.id_number,
        "phone": c.phone,
        "email": c.email,
        "type": a.type,
        "type_label": a.get_type_display(),
        "status": a.status,
        "status_label": a.get_status_display(),
        "frozen": a.frozen,
        "base_currency": a.base_currency,
        "opened_on": a.opened_on,
        "main_account": a.parent.number if a.parent_id and a.parent else None,
        "flags": flags,
    }
