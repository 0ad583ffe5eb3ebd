"""Everything this module adds to the running system (custodesk.core.modules)."""

from custodesk.core.modules import ApiRouter, BuiltinRole, DemoStep, MenuItem, MenuSection, Module

from . import permissions as perms

MODULE = Module(
    console_urls="tests.sample_module.urls",
    api=ApiRouter("/sample", "tests.sample_module.api"),
    menu=(
        MenuSection("sample", "Sample module", 700),
        MenuItem("sample", "Sample notes", "console:sample_page", perms.NOTE_VIEW, 10),
    ),
    schedule={"tests.sample_module.tasks.tick": 3600},
    permissions="tests.sample_module.permissions",
    roles=(BuiltinRole("sample_reader", (perms.NOTE_VIEW,), "Sample reader"),),
    demo=DemoStep("tests.sample_module.demo.seed", 90),
)
