"""The brokerage module's writes (clients, accounts, security actions, cash, app logins,
agents and related persons), re-exported by concern; see each module's docstring."""

from .accounts import account_open_check, account_open_within, cash_balances, get_account
from .app_login import (
    Device,
    app_login_create,
    app_login_lock,
    app_login_reset_password,
    app_login_unlock,
    client_password_change,
    client_session,
    client_sign_in,
    client_sign_out,
)
from .cash import cash_check
from .clients import client_create, client_create_within, client_update, get_client
from .people import (
    agent_create,
    agent_revoke,
    agent_update,
    related_create,
    related_delete,
    related_update,
)
from .security import (
    account_close,
    account_freeze_check,
    account_unfreeze,
    client_close,
    client_freeze_check,
    client_unfreeze,
)

__all__ = [
    "Device",
    "account_close",
    "account_freeze_check",
    "account_open_check",
    "account_open_within",
    "account_unfreeze",
    "agent_create",
    "agent_revoke",
    "agent_update",
    "app_login_create",
    "app_login_lock",
    "app_login_reset_password",
    "app_login_unlock",
    "cash_balances",
    "cash_check",
    "client_close",
    "client_create",
    "client_create_within",
    "client_freeze_check",
    "client_password_change",
    "client_session",
    "client_sign_in",
    "client_sign_out",
    "client_unfreeze",
    "client_update",
    "get_account",
    "get_client",
    "related_create",
    "related_delete",
    "related_update",
]
