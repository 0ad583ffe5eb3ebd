"""Every row checked before anything is created: well-formed, target exists, its state
allows the kind, not twice in the file, no open order of the same kind on it, a reason.

The whole file is read first (at most 50,000 rows: small in memory), so rules that look
across rows hold wherever the rows are: a duplicate names the row it repeats, and a
client may be closed in the file that also closes its last open accounts.  The rows are
then checked a chunk at a time (one query per table per chunk), and the caller stores
each chunk and its progress.

An error is ``{"field", "rule", "params"}``; :func:`message` words it in the reader's
language when it is shown (so a preview reads in the language of whoever opens it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from stdnum import luhn

from custodesk.brokerage.models import Account, Client

from ..models import WorkOrder, WorkOrderAccount
from . import columns

# the brokerage's numbers (brokerage.services.numbers): digits with a Luhn check digit,
# 8 for a client, 9 for an account
NUMBER_LENGTH = {"client": 8, "account": 9}

MESSAGES: dict[tuple[str, str], Any] = {
    ("kind", "required"): _("Give the kind of order."),
    ("kind", "choice"): _(
        "Not a kind the import creates: close client, close account, unfreeze client or "
        "unfreeze account."
    ),
    ("target", "required"): _("Give the client or account number."),
    ("target", "malformed_client"): _("Not a client number (8 digits with a check digit)."),
    ("target", "malformed_account"): _("Not an account number (9 digits with a check digit)."),
    ("target", "unknown_client"): _("No such client."),
    ("target", "unknown_account"): _("No such account."),
    ("target", "duplicate"): _("The same target is on row %(row)s already."),
    ("target", "closed"): _("Already closed."),
    ("target", "not_frozen"): _("Not frozen: there is nothing to unfreeze."),
    ("target", "frozen"): _("Frozen: unfreeze it before closing it."),
    ("target", "open_accounts"): _(
        "The client still has open accounts that this file does not close: %(accounts)s."
    ),
    ("target", "pending_order"): _("An open work order of this kind exists already: %(number)s."),
    ("close_kind", "required"): _("Give the closing kind: normal or permanent."),
    ("close_kind", "choice"): _("Normal or permanent."),
    ("close_kind", "not_applicable"): _("Only a client closing has a closing kind."),
    ("reason", "required"): _("Give a reason."),
    ("reason", "max_length"): _("400 characters at most."),
}


def message(error: dict[str, Any]) -> str:
    text = MESSAGES.get((error.get("field", ""), error.get("rule", "")))
    if text is None:
        return str(error.get("rule", ""))
    params = error.get("params") or {}
    return _g(str(text)) % params if params else _g(str(text))


@dataclass
class Row:
    number: int
    kind: str
    target: str
    close_kind: str
    reason: str
    kind_code: str = ""
    close_kind_code: str = ""
    errors: list[dict[str, Any]] = field(default_factory=list)

    def error(self, fld: str, rule: str, **params: Any) -> None:
        self.errors.append({"field": fld, "rule": rule, "params": params})

    @property
    def target_type(self) -> str:
        return columns.KINDS[self.kind_code][0] if self.kind_code else ""


def _well_formed(row: Row) -> None:
    if not row.kind:
        row.error("kind", "required")
    else:
        row.kind_code = columns.kind_code(row.kind) or ""
        if not row.kind_code:
            row.error("kind", "choice")
    if not row.target:
        row.error("target", "required")
    elif row.kind_code:
        t = row.target_type
        if not (
            len(row.target) == NUMBER_LENGTH[t]
            and row.target.isdigit()
            and luhn.is_valid(row.target)
        ):
            row.error("target", f"malformed_{t}")
    if row.kind_code == "close_client":
        if not row.close_kind:
            row.error("close_kind", "required")
        else:
            row.close_kind_code = columns.close_kind_code(row.close_kind) or ""
            if not row.close_kind_code:
                row.error("close_kind", "choice")
    elif row.close_kind and row.kind_code:
        row.error("close_kind", "not_applicable")
    if not row.reason:
        row.error("reason", "required")
    elif len(row.reason) > columns.MAX_REASON:
        row.error("reason", "max_length")


def prepare(raw: Iterable[tuple[int, dict[str, str]]]) -> list[Row]:
    """The file's rows parsed and checked on their own and against each other."""
    rows = [
        Row(
            number=n,
            kind=r.get("kind", ""),
            target=r.get("target", "").replace(" ", ""),
            close_kind=r.get("close_kind", ""),
            reason=r.get("reason", ""),
        )
        for n, r in raw
    ]
    first: dict[str, int] = {}
    for row in rows:
        _well_formed(row)
        if row.target:
            if row.target in first:
                row.error("target", "duplicate", row=first[row.target])
            else:
                first[row.target] = row.number
    return rows


def _closing_in_file(rows: list[Row]) -> set[str]:
    return {
        r.target
        for r in rows
        if r.kind_code == "close_account" and not any(e["field"] == "target" for e in r.errors)
    }


class Checker:
    """The checks against the database, a chunk of rows at a time."""

    def __init__(self, rows: list[Row]) -> None:
        self.closing = _closing_in_file(rows)

    def check(self, chunk: list[Row]) -> None:
        ok = [r for r in chunk if r.kind_code and not any(e["field"] == "target" for e in r.errors)]
        client_nos = [r.target for r in ok if r.target_type == "client"]
        account_nos = [r.target for r in ok if r.target_type == "account"]
        clients = {c.client_no: c for c in Client.objects.filter(client_no__in=client_nos)}
        accounts = {a.number: a for a in Account.objects.filter(number__in=account_nos)}
        open_accounts: dict[int, list[str]] = defaultdict(list)
        for client_id, number in (
            Account.objects.filter(client__in=list(clients.values()))
            .exclude(status=Account.Status.CLOSED)
            .order_by("number")
            .values_list("client_id", "number")
        ):
            open_accounts[client_id].append(number)
        pending = self._pending(list(clients.values()), list(accounts.values()))
        for row in ok:
            if row.target_type == "client":
                c = clients.get(row.target)
                if c is None:
                    row.error("target", "unknown_client")
                    continue
                self._client(row, c, open_accounts[c.pk])
                open_order = pending.get(("client", c.pk, row.kind_code))
            else:
                a = accounts.get(row.target)
                if a is None:
                    row.error("target", "unknown_account")
                    continue
                self._account(row, a)
                open_order = pending.get(("account", a.pk, row.kind_code))
            if open_order:
                row.error("target", "pending_order", number=open_order)

    def _client(self, row: Row, c: Client, open_numbers: list[str]) -> None:
        if c.status == Client.Status.CLOSED:
            row.error("target", "closed")
        elif row.kind_code == "unfreeze_client" and c.status != Client.Status.FROZEN:
            row.error("target", "not_frozen")
        elif row.kind_code == "close_client":
            if c.status == Client.Status.FROZEN:
                row.error("target", "frozen")
            still_open = [n for n in open_numbers if n not in self.closing]
            if still_open:
                row.error("target", "open_accounts", accounts=", ".join(still_open[:5]))

    def _account(self, row: Row, a: Account) -> None:
        if a.status == Account.Status.CLOSED:
            row.error("target", "closed")
        elif row.kind_code == "unfreeze_account" and not a.frozen:
            row.error("target", "not_frozen")
        elif row.kind_code == "close_account" and a.frozen:
            row.error("target", "frozen")

    @staticmethod
    def _pending(clients: list[Client], accounts: list[Account]) -> dict[tuple[str, int, str], str]:
        out: dict[tuple[str, int, str], str] = {}
        open_q = Q(status__in=WorkOrder.OPEN_STATUSES)
        for client_id, kind, number in WorkOrder.objects.filter(
            open_q, client__in=clients, kind__in=("close_client", "unfreeze_client")
        ).values_list("client_id", "kind", "number"):
            out[("client", client_id, kind)] = number
        for account_id, kind, number in WorkOrderAccount.objects.filter(
            account__in=accounts,
            order__status__in=WorkOrder.OPEN_STATUSES,
            order__kind__in=("close_account", "unfreeze_account"),
        ).values_list("account_id", "order__kind", "order__number"):
            out[("account", account_id, kind)] = number
        return out
