"""The client's message records (消息記錄) as a tab of the client and account detail
page (brokerage ``extensions``): what the outbox sent to its phone and e-mail, with the
delivery status — never a password or a code.  Imported at start (``module.py``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from custodesk.brokerage import extensions
from custodesk.core import clock

from . import permissions as perms
from . import selectors


def load(user: Any, client: Any, account: Any) -> dict[str, Any]:
    return {"messages": selectors.client_messages(actor=user, client=client, now=clock.now())}


extensions.register_tab(
    extensions.Tab(
        code="messages",
        label=_("Message records"),
        permission=perms.ORDER_VIEW,
        template="workorders/_client_messages_table.html",
        load=load,
    )
)
