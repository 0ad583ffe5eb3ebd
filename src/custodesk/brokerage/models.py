"""Broker back office: clients, their trading accounts and what hangs off them.

Tables and constraints only (no logic in ``save()``, no signals); the writes are in
``brokerage.services``.  Three status dimensions are kept apart, as the broker manual
does (BROKER-MANUAL.md C1): the client's status (active / frozen / closed), the
account's status (pending / active / closed) and the account's freeze state
(``frozen`` + reason) — a frozen account that is not closed is still "active".  The
client app's sign-in lock lives on :class:`ClientAppLogin`, apart from both.

Human numbers (client number, account number) carry a Luhn check digit and are drawn
from :class:`NumberSequence`, so a number is never issued twice — closed or rejected
accounts keep theirs for ever.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from custodesk.core.ids import uuid7


class NumberSequence(models.Model):
    """The last serial issued for one kind of human number (``client``, ``account``).

    Read and bumped under ``select_for_update`` (services.numbers): serials only grow,
    so numbers are never reused."""

    name = models.CharField(max_length=32, primary_key=True)
    last_value = models.BigIntegerField(default=0)

    class Meta:
        db_table = "brokerage_number_sequence"


class Client(models.Model):
    """One client (客戶): a person, a company or a joint holding of several clients.

    Its data is shared by all its accounts (main and sub accounts)."""

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        CORPORATE = "corporate", _("Corporate")
        JOINT = "joint", _("Joint")

    class Category(models.TextChoices):
        RETAIL = "retail", _("Retail")
        HOUSE = "house", _("House")

    class IdType(models.TextChoices):
        # individuals, in the regulator's order of preference (HKIDR waterfall)
        HKID = "hkid", _("Hong Kong identity card")
        NATIONAL_ID = "national_id", _("National identity card")
        PASSPORT = "passport", _("Passport")
        # companies, in the regulator's order of preference
        LEI = "lei", _("Legal entity identifier")
        INCORPORATION = "incorporation", _("Certificate of incorporation")
        BUSINESS_REGISTRATION = "business_registration", _("Business registration")

    class RiskLevel(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        FROZEN = "frozen", _("Frozen")
        CLOSED = "closed", _("Closed")

    class ClosedKind(models.TextChoices):
        PERMANENT = "permanent", _("Closed permanently")
        NORMAL = "normal", _("Closed normally")

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    client_no = models.CharField(_("client number"), max_length=16, unique=True)
    kind = models.CharField(_("client type"), max_length=16, choices=Kind.choices)
    category = models.CharField(
        _("client category"), max_length=16, choices=Category.choices, default=Category.RETAIL
    )
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    id_type = models.CharField(_("ID type"), max_length=32, choices=IdType.choices, blank=True)
    id_number = models.CharField(_("ID number"), max_length=64, blank=True)
    # ISO 3166-1 alpha-2 (e.g. HK, CN)
    id_issuing_place = models.CharField(_("ID issuing place"), max_length=2, blank=True)
    nationality = models.CharField(_("nationality"), max_length=2, blank=True)
    # individuals: date of birth; companies: date of incorporation
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)  # E.164
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=400, blank=True)
    risk_level = models.CharField(
        _("risk level"), max_length=16, choices=RiskLevel.choices, default=RiskLevel.MEDIUM
    )
    status = models.CharField(
        _("client status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    status_reason = models.CharField(_("reason"), max_length=400, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    closed_kind = models.CharField(
        _("closing kind"), max_length=16, choices=ClosedKind.choices, blank=True
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    reregister_from = models.DateField(_("may register again from"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["client_no"]
        constraints = [
            # one open client per identity document; a closed one may register again
            models.UniqueConstraint(
                fields=["id_type", "id_number"],
                condition=~Q(status="closed") & ~Q(id_number=""),
                name="brokerage_client_open_id_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["name_en"], name="brokerage_client_name_en"),
            models.Index(fields=["name_zh"], name="brokerage_client_name_zh"),
            models.Index(fields=["id_number"], name="brokerage_client_id_number"),
            models.Index(fields=["phone"], name="brokerage_client_phone"),
            models.Index(fields=["status"], name="brokerage_client_status"),
        ]

    def __str__(self) -> str:
        return f"{self.client_no} {self.name_en}"


class JointHolder(models.Model):
    """One holder of a joint client (聯名): ``position`` 1 is the primary holder."""

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    joint = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="joint_holders")
    holder = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="joint_memberships")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["joint_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["joint", "holder"], name="brokerage_joint_holder_once"),
            models.UniqueConstraint(
                fields=["joint", "position"], name="brokerage_joint_position_once"
            ),
        ]


class Account(models.Model):
    """A trading account (證券賬戶) of a client: a human number with a check digit,
    a type, a base currency, a status, and the freeze state beside the status.

    An opening is an approvable command (``brokerage.account_open``): while it waits for
    its approval it is the pending request (listed with the client); the account row is
    written, active, when the opening is approved — so the account list holds opened
    accounts only, as the manual's does."""

    class Type(models.TextChoices):
        CASH = "cash", _("Cash")
        MARGIN = "margin", _("Margin")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    number = models.CharField(_("account number"), max_length=16, unique=True)
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="accounts", verbose_name=_("client")
    )
    # a sub-account's main account (主子賬戶); None for a main account
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="sub_accounts"
    )
    type = models.CharField(_("account type"), max_length=16, choices=Type.choices)
    base_currency = models.CharField(_("base currency"), max_length=3)
    status = models.CharField(
        _("account status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    frozen = models.BooleanField(_("frozen"), default=False)
    freeze_reason = models.CharField(_("freeze reason"), max_length=400, blank=True)
    frozen_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.CharField(_("reason"), max_length=400, blank=True)
    opened_on = models.DateField(_("opened"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["number"]
        indexes = [
            models.Index(fields=["client", "number"], name="brokerage_account_client"),
            models.Index(fields=["status", "number"], name="brokerage_account_status"),
            models.Index(fields=["type", "number"], name="brokerage_account_type"),
            models.Index(fields=["opened_on", "number"], name="brokerage_account_opened"),
            models.Index(fields=["frozen", "number"], name="brokerage_account_frozen"),
        ]

    def __str__(self) -> str:
        return self.number


class AccountCash(models.Model):
    """The ledger cash account (client_cash) holding one currency of an account."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="cash_accounts")
    currency = models.CharField(max_length=3)
    ledger_account_id = models.BigIntegerField(unique=True)
    # the ledger freeze placed while the account is frozen (released on unfreeze)
    freeze_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["account_id", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "currency"], name="brokerage_account_cash_once"
            ),
        ]


class BrokerCashAccount(models.Model):
    """The broker's own bank / clearing account in the ledger for one currency: the
    other side of every client deposit and withdrawal."""

    currency = models.CharField(max_length=3, unique=True)
    ledger_account_id = models.BigIntegerField(unique=True)


class CashMovement(models.Model):
    """A client deposit (入金) or withdrawal (出金) recorded by staff, dual-controlled
    (``brokerage.cash_deposit`` / ``brokerage.cash_withdrawal``): written when the request
    is decided — booked in the ledger on approval (completed), or kept as rejected.
    While it waits it is the pending approval request."""

    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Deposit")
        WITHDRAWAL = "withdrawal", _("Withdrawal")

    class Status(models.TextChoices):
        COMPLETED = "completed", _("Completed")
        REJECTED = "rejected", _("Rejected")

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="cash_movements")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    currency = models.CharField(_("currency"), max_length=3)
    amount_minor = models.BigIntegerField(_("amount"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    remark = models.CharField(_("remark"), max_length=400, blank=True)
    transfer_id = models.UUIDField(null=True, blank=True)
    approval_id = models.UUIDField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-requested_at"], name="brokerage_cash_mv_account")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="brokerage_cash_mv_amount_positive"
            ),
        ]


class TradingProduct(models.Model):
    """A market / product a broker account may be allowed to trade (交易權限 catalogue)."""

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_hant = models.CharField(_("name (traditional Chinese)"), max_length=200, blank=True)
    name_hans = models.CharField(_("name (simplified Chinese)"), max_length=200, blank=True)
    # the account types that support it, e.g. ["cash", "margin"]
    account_types = models.JSONField(_("account types"), default=list)
    margin_only = models.BooleanField(_("margin accounts only"), default=False)
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(default=100)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("trading product")
        verbose_name_plural = _("trading products")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.code


class AccountPermission(models.Model):
    """Whether one account may trade one product (selected rights; the rights in force
    are the selected ones the account type supports)."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="permissions")
    product = models.ForeignKey(TradingProduct, on_delete=models.PROTECT, related_name="+")
    enabled = models.BooleanField(default=False)
    reason = models.CharField(max_length=400, blank=True)
    effective_from = models.DateField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "product"], name="brokerage_account_permission_once"
            ),
        ]


class AccountFlag(models.Model):
    """An admin-defined account flag (賬戶標識), e.g. Virtual Account, ESOP, staff."""

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_hant = models.CharField(_("name (traditional Chinese)"), max_length=100, blank=True)
    name_hans = models.CharField(_("name (simplified Chinese)"), max_length=100, blank=True)
    colour = models.CharField(_("colour"), max_length=7, default="#607d8b")  # #rrggbb
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("account flag")
        verbose_name_plural = _("account flags")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class AccountFlagAssignment(models.Model):
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="flag_assignments")
    flag = models.ForeignKey(AccountFlag, on_delete=models.PROTECT, related_name="assignments")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "flag"], name="brokerage_flag_once"),
        ]
        indexes = [models.Index(fields=["flag", "account"], name="brokerage_flag_account")]


class Agent(models.Model):
    """An authorised person (代理人) who may act for a client within a scope."""

    class Scope(models.TextChoices):
        ENQUIRY = "enquiry", _("Enquiries only")
        TRADING = "trading", _("Trading")
        TRADING_AND_MONEY = "trading_and_money", _("Trading and money movements")
        FULL = "full", _("Full authority")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        REVOKED = "revoked", _("Revoked")

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="agents")
    name = models.CharField(_("name"), max_length=200)
    id_type = models.CharField(_("ID type"), max_length=32, choices=Client.IdType.choices)
    id_number = models.CharField(_("ID number"), max_length=64)
    relationship = models.CharField(_("relationship"), max_length=100)
    scope = models.CharField(_("authority scope"), max_length=32, choices=Scope.choices)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        ordering = ["client_id", "name", "id"]


class RelatedPerson(models.Model):
    """A person related to a client (關係人): beneficial owner, director, contact …"""

    class Role(models.TextChoices):
        BENEFICIAL_OWNER = "beneficial_owner", _("Beneficial owner")
        DIRECTOR = "director", _("Director")
        SHAREHOLDER = "shareholder", _("Shareholder")
        AUTHORISED_SIGNATORY = "authorised_signatory", _("Authorised signatory")
        EMERGENCY_CONTACT = "emergency_contact", _("Emergency contact")
        OTHER = "other", _("Other")

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="related_persons")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    name = models.CharField(_("name"), max_length=200)
    id_type = models.CharField(_("ID type"), max_length=32, blank=True)
    id_number = models.CharField(_("ID number"), max_length=64, blank=True)
    share_percent = models.DecimalField(
        _("share %"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        ordering = ["client_id", "role", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(share_percent__isnull=True)
                | (Q(share_percent__gte=0) & Q(share_percent__lte=100)),
                name="brokerage_related_share_range",
            ),
        ]


class ClientAppLogin(models.Model):
    """The client's sign-in to the broker's client app (login name + password hash)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        LOCKED = "locked", _("Locked")
        CLOSED = "closed", _("Closed")  # the client closed: the login name is free again

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    client = models.OneToOneField(Client, on_delete=models.PROTECT, related_name="app_login")
    login_name = models.CharField(_("login name"), max_length=64)
    password = models.CharField(max_length=256)  # Django password hash
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    lock_reason = models.CharField(_("lock reason"), max_length=400, blank=True)
    failed_count = models.PositiveIntegerField(default=0)
    lockout_until = models.DateTimeField(_("locked out until"), null=True, blank=True)
    must_change_password = models.BooleanField(default=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("login_name"),
                condition=~Q(status="closed"),
                name="brokerage_app_login_name_unique",
            ),
        ]


class ClientAppSession(models.Model):
    """A bearer token issued to the client app at sign-in (only its hash is stored)."""

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    login = models.ForeignKey(ClientAppLogin, on_delete=models.PROTECT, related_name="sessions")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)


class ClientLoginDevice(models.Model):
    """One client-app sign-in attempt (登錄設備): time, IP, device, app version, result."""

    class Result(models.TextChoices):
        SUCCESS = "success", _("Signed in")
        BAD_PASSWORD = "bad_password", _("Wrong password")
        UNKNOWN_LOGIN = "unknown_login", _("Unknown login name")
        LOCKED_OUT = "locked_out", _("Locked out")
        LOCKED = "locked", _("Login locked")
        CLIENT_FROZEN = "client_frozen", _("Client frozen")
        CLIENT_CLOSED = "client_closed", _("Client closed")

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.PROTECT, related_name="login_devices"
    )
    login_name = models.CharField(_("login name"), max_length=64)
    at = models.DateTimeField(_("time"))
    ip = models.CharField(_("IP address"), max_length=64, blank=True)
    device_id = models.CharField(_("device id"), max_length=64, blank=True)
    device_model = models.CharField(_("device model"), max_length=100, blank=True)
    os = models.CharField(_("operating system"), max_length=100, blank=True)
    app_version = models.CharField(_("app version"), max_length=32, blank=True)
    result = models.CharField(_("result"), max_length=16, choices=Result.choices)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["client", "-at"], name="brokerage_login_device_client"),
            models.Index(fields=["at"], name="brokerage_login_device_at"),
        ]


# The account list's own tables (brokerage-list), kept in their own file.
from .models_list import AccountListColumns  # noqa: E402, F401
