from django.utils.translation import gettext_lazy as _

from custodesk.core import access

GROUP = _("Operation records")
VIEW = access.declare("audit.entry.view", _("View operation records"), group=GROUP)
EXPORT = access.declare("audit.entry.export", _("Export operation records"), group=GROUP)
VERIFY = access.declare("audit.chain.verify", _("Verify the audit chain"), group=GROUP)
