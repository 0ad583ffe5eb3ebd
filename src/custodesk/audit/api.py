from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Query, Router
from ninja.pagination import paginate

from custodesk.core import access
from custodesk.core.apiauth import actor, auth
from custodesk.core.schema_types import Pages, download

from . import exports, selectors
from . import permissions as perms
from .schemas import AuditEntryOut, AuditFilters, ChainReportOut
from .services import verify as verify_chain_and_anchors

router = Router(auth=auth, tags=["audit"])

EXPORT_LIMIT = 100_000


@router.get("", response=list[AuditEntryOut])
@paginate(Pages, page_size=50)
def list_entries(request: HttpRequest, filters: Query[AuditFilters]) -> Any:
    """Operation records, newest first; filter by action prefix, actor, object, dates."""
    return selectors.audit_list(actor=actor(request), filters=filters.dict(exclude_none=True))


@router.get("/export", response={200: None}, openapi_extra=download())
def export_entries(
    request: HttpRequest, filters: Query[AuditFilters], format: Literal["csv", "xlsx"] = "csv"
) -> StreamingHttpResponse:
    """The filtered operation records as CSV (`format=csv`) or XLSX (`format=xlsx`)."""
    user = actor(request)
    access.require(user, perms.EXPORT)
    entries = selectors.audit_list(actor=user, filters=filters.dict(exclude_none=True))
    return exports.response(entries[:EXPORT_LIMIT].iterator(), format)


@router.post("/verify", response=ChainReportOut)
def verify(request: HttpRequest) -> dict[str, Any]:
    """Recompute the hash chain and check it against the anchors kept outside the
    database; lists every problem (first one first)."""
    access.require(actor(request), perms.VERIFY)
    problems = [str(p) for p in verify_chain_and_anchors()]
    return {"intact": not problems, "problems": problems}


@router.get("/{entry_id}", response=AuditEntryOut)
def get_entry(request: HttpRequest, entry_id: UUID) -> Any:
    return selectors.audit_get(actor=actor(request), public_id=entry_id)
