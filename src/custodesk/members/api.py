"""The members API: public registration (REG-ENT, REG-IND) and recovery (FORGOT), and
the bank counter's review of enterprise applications (staff)."""

from typing import Any
from uuid import UUID

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import FileResponse, HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router
from ninja.pagination import paginate
from pydantic import ValidationError as PydanticError

from custodesk.core import clock
from custodesk.core.apiauth import actor, auth
from custodesk.core.errors import FieldError, NotFound, ValidationFailed
from custodesk.core.schema_types import Pages
from custodesk.identity import services as identity

from . import selectors, services, uploads
from .schemas import (
    ApplicationListFilters,
    ApplicationRejectIn,
    ApplicationSubmittedOut,
    EnterpriseApplicationOut,
    EnterpriseIn,
    EnterpriseSubmitIn,
    ForgotEnterpriseIn,
    ForgotIndividualIn,
    IndividualIn,
    IndividualRegisteredOut,
    IndividualSubmitIn,
    MemberProfileFilters,
    MemberProfileOut,
    MemberSmsCodeIn,
    MemberSmsCodeOut,
    RecoveryOut,
    RegistrationCheckOut,
)

router = Router(auth=auth, tags=["members"])
PURPOSES = {"register": services.PURPOSE_REGISTER, "forgot": services.PURPOSE_FORGOT}


def _language() -> str:
    return translation.get_language() or ""


# -- public: SMS codes, registration, recovery -----------------------------------------
@router.post("/sms-codes", auth=None, response={201: MemberSmsCodeOut}, tags=["registration"])
def send_sms_code(request: HttpRequest, payload: MemberSmsCodeIn) -> tuple[int, dict[str, Any]]:
    """Send a 6-digit code (valid 5 minutes, single use, 5 tries) to the registered or
    bank-reserved mobile, for registering or recovering.  Another code for the same
    phone and purpose is refused for 60 s (429 `code_throttled`)."""
    from custodesk.members.ids import IdProblem, normalise_mobile

    try:
        phone = normalise_mobile(payload.phone)
    except IdProblem as problem:
        raise ValidationFailed.single("phone", problem.rule, problem.message) from None
    challenge = identity.verification_send(
        purpose=PURPOSES[payload.purpose], phone=phone, language=_language(), now=clock.now()
    )
    return 201, {"challenge_id": challenge.public_id, "expires_at": challenge.expires_at}


@router.post(
    "/registrations/enterprise/check",
    auth=None,
    response=RegistrationCheckOut,
    tags=["registration"],
)
def check_enterprise(request: HttpRequest, payload: EnterpriseIn) -> dict[str, Any]:
    """The confirmation step: the form checked and normalised, nothing kept."""
    clean, warnings = services.enterprise_check(
        services.EnterpriseForm(**payload.dict()), now=clock.now()
    )
    return {"values": clean, "warnings": warnings}


_FIELDS = set(EnterpriseSubmitIn.model_fields)
_MULTIPART = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [
                        *(n for n, f in EnterpriseSubmitIn.model_fields.items() if f.is_required()),
                        "archive",
                    ],
                    "properties": {
                        **{n: {"type": "string"} for n in sorted(_FIELDS)},
                        "archive": {"type": "string", "format": "binary"},
                    },
                }
            }
        },
    }
}


def _multipart(request: HttpRequest) -> tuple[EnterpriseSubmitIn, Any]:
    """Read the multipart body with the archive's own upload handlers (at most 5 MB of
    the file is ever taken; the rest is not read)."""
    if request.content_type != "multipart/form-data":
        raise ValidationFailed.single(
            "body", "content_type", _("Send the form as multipart/form-data.")
        )
    if uploads.declared_too_large(request):
        raise uploads.too_large()
    handler = uploads.install_handler(request)
    try:
        post, files = request.POST, request.FILES
    except RequestDataTooBig:
        raise
    except (MultiPartParserError, SuspiciousOperation, ValueError):
        raise ValidationFailed.single(
            "body", "multipart", _("The form could not be read.")
        ) from None
    if handler.exceeded:
        raise uploads.too_large()
    unknown = sorted(set(post) - _FIELDS)
    problems = [FieldError(n[:64], "extra_forbidden", _("Unknown field.")) for n in unknown]
    try:
        form = EnterpriseSubmitIn.model_validate({k: post.get(k) for k in post if k in _FIELDS})
    except PydanticError as exc:
        for e in exc.errors():
            field = ".".join(str(p) for p in e.get("loc", ())) or "body"
            problems.append(FieldError(field, e.get("type", "invalid"), e.get("msg", "")))
        raise ValidationFailed(problems) from None
    if problems:
        raise ValidationFailed(problems)
    return form, files.get(uploads.FIELD)


@router.post(
    "/registrations/enterprise",
    auth=None,
    response={201: ApplicationSubmittedOut},
    tags=["registration"],
    openapi_extra=_MULTIPART,
)
def register_enterprise(request: HttpRequest) -> tuple[int, dict[str, Any]]:
    """Submit an enterprise registration (multipart/form-data): the form's fields, the
    SMS code sent to the registered mobile (`challenge_id`, `sms_code`) and `archive`:
    one zip or rar of at most 5 MB with the documents (recognised by its signature,
    kept with its SHA-256, never extracted).  It waits for the bank counter's review.
    Problems name the field: `archive` `too_large` / `archive_type` / `required`,
    `id_number` `checksum` / `format` / `duplicate`, `sms_code` `code_*` ..."""
    form, archive = _multipart(request)
    fields = form.dict(exclude={"challenge_id", "sms_code"})
    app = services.enterprise_apply(
        form=services.EnterpriseForm(**fields),
        archive=archive,
        archive_name=getattr(archive, "name", "") or "",
        challenge_id=form.challenge_id,
        sms_code=form.sms_code,
        language_code=_language(),
        now=clock.now(),
    )
    return 201, {
        "application_id": app.public_id,
        "status": app.status,
        "submitted_at": app.submitted_at,
        "archive": {
            "name": app.archive_name,
            "size": app.archive_size,
            "sha256": app.archive_sha256,
            "kind": app.archive_kind,
        },
    }


@router.post(
    "/registrations/individual/check",
    auth=None,
    response=RegistrationCheckOut,
    tags=["registration"],
)
def check_individual(request: HttpRequest, payload: IndividualIn) -> dict[str, Any]:
    """The confirmation step: the form checked and normalised (warnings: an unknown area
    code, a card number failing Luhn), nothing kept."""
    clean, warnings = services.individual_check(
        services.IndividualForm(**payload.dict()), now=clock.now()
    )
    return {"values": clean, "warnings": warnings}


@router.post(
    "/registrations/individual",
    auth=None,
    response={201: IndividualRegisteredOut},
    tags=["registration"],
)
def register_individual(
    request: HttpRequest, payload: IndividualSubmitIn
) -> tuple[int, dict[str, Any]]:
    """Register an individual: the form, the SMS code sent to the bank-reserved mobile,
    then the card authentication.  A refused card answers 422
    `card_authentication_failed` with the verifier's `reason`; nothing is registered —
    try another card with a new code.  The login name and initial password go by SMS."""
    data = payload.dict(exclude={"challenge_id", "sms_code"})
    done = services.individual_register(
        form=services.IndividualForm(**data),
        challenge_id=payload.challenge_id,
        sms_code=payload.sms_code,
        language_code=_language(),
        now=clock.now(),
    )
    return 201, {"member_id": done.member.public_id, "warnings": done.warnings}


@router.post("/recovery/enterprise", auth=None, response=RecoveryOut, tags=["registration"])
def forgot_enterprise(request: HttpRequest, payload: ForgotEnterpriseIn) -> dict[str, Any]:
    """Forgotten login name or password (enterprise): answers the login name; a
    temporary password goes by SMS to the registered mobile.  Any mismatch is one
    answer, 422 `recovery_refused`."""
    done = services.forgot_enterprise(**payload.dict(), now=clock.now())
    return {"username": done.username}


@router.post("/recovery/individual", auth=None, response=RecoveryOut, tags=["registration"])
def forgot_individual(request: HttpRequest, payload: ForgotIndividualIn) -> dict[str, Any]:
    """Forgotten login name or password (individual): name, ID, the bound card and its
    bank-reserved mobile, the SMS code, then the card authentication."""
    done = services.forgot_individual(**payload.dict(), now=clock.now())
    return {"username": done.username}


# -- staff: the counter's review ---------------------------------------------------------
@router.get("/applications", response=list[EnterpriseApplicationOut], tags=["counter"])
@paginate(Pages, page_size=50)
def list_applications(request: HttpRequest, filters: Query[ApplicationListFilters]) -> Any:
    rows = selectors.applications(actor=actor(request), status=filters.status)
    return [selectors.application_row(a) for a in rows]


@router.get("/applications/{application_id}", response=EnterpriseApplicationOut, tags=["counter"])
def get_application(request: HttpRequest, application_id: UUID) -> dict[str, Any]:
    app = selectors.application_get(actor=actor(request), public_id=application_id)
    return selectors.application_row(app)


_ARCHIVE_ANSWER = {
    "responses": {
        200: {
            "description": "the archive as uploaded (an attachment)",
            "content": {
                kind: {"schema": {"type": "string", "format": "binary"}}
                for kind in uploads.CONTENT_TYPES.values()
            },
        }
    }
}


@router.get(
    "/applications/{application_id}/archive", tags=["counter"], openapi_extra=_ARCHIVE_ANSWER
)
def download_archive(request: HttpRequest, application_id: UUID) -> FileResponse:
    """The archive as uploaded, as an attachment (never shown inline)."""
    app = selectors.application_get(actor=actor(request), public_id=application_id)
    return archive_response(app)


def archive_response(app: Any) -> FileResponse:
    try:
        handle = uploads.absolute(app.archive_path).open("rb")
    except OSError:
        raise NotFound(object="archive") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=uploads.download_name(app.archive_name, app.archive_kind),
        content_type=uploads.CONTENT_TYPES[app.archive_kind],
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@router.post(
    "/applications/{application_id}/approve", response=EnterpriseApplicationOut, tags=["counter"]
)
def approve_application(request: HttpRequest, application_id: UUID) -> dict[str, Any]:
    """Approve: the member organisation and its first admin user are created; the login
    name and temporary password go to the applicant through the outbox only."""
    app = services.application_approve(
        actor=actor(request), application_id=application_id, now=clock.now()
    )
    return selectors.application_row(app)


@router.post(
    "/applications/{application_id}/reject", response=EnterpriseApplicationOut, tags=["counter"]
)
def reject_application(
    request: HttpRequest, application_id: UUID, payload: ApplicationRejectIn
) -> dict[str, Any]:
    """Reject with a reason, which the applicant is sent (SMS, e-mail)."""
    app = services.application_reject(
        actor=actor(request),
        application_id=application_id,
        reason=payload.reason,
        now=clock.now(),
    )
    return selectors.application_row(app)


@router.get("/members", response=list[MemberProfileOut], tags=["counter"])
@paginate(Pages, page_size=50)
def list_members(request: HttpRequest, filters: Query[MemberProfileFilters]) -> Any:
    """Custody members (staff): by type, or a name / ID number / organisation code."""
    rows = selectors.members(actor=actor(request), member_type=filters.member_type, q=filters.q)
    return [selectors.member_row(m) for m in rows]


@router.get("/members/{member_id}", response=MemberProfileOut, tags=["counter"])
def get_member(request: HttpRequest, member_id: UUID) -> dict[str, Any]:
    return selectors.member_row(selectors.member_get(actor=actor(request), public_id=member_id))
