"""The console shell's own menu section and home page (custodesk.core.modules)."""

from django.utils.translation import gettext_lazy as _

from custodesk.core.modules import MenuItem, MenuSection, Module

MODULE = Module(
    menu=(
        MenuSection("home", _("Workbench"), 0),
        MenuItem("home", _("Home"), "console:home", None, 0),
    ),
)
