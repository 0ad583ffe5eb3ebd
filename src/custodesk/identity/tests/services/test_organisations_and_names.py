"""organisation_open (an organisation of any kind with its roles and first admin),
the roles and menus by organisation kind, and the login name change (SELF-CRED)."""

import pytest
from django.db import transaction

from custodesk.audit.models import AuditEntry
from custodesk.core import access
from custodesk.core.errors import ValidationFailed
from custodesk.identity import services
from custodesk.identity.errors import UsernameTaken
from custodesk.identity.models import Organisation, Role, User

pytestmark = pytest.mark.django_db


def open_member(clock, admin, *, code="M100", username="acme.admin", factor="totp"):
    with transaction.atomic():
        return services.organisation_open(
            actor=admin,
            code=code,
            name="Acme Trading Ltd",
            kind="member",
            sign_in_factor=factor,
            admin_username=username,
            admin_full_name="Amy Acme",
            admin_email="amy@acme.example",
            admin_phone="+8613812345678",
            admin_language="zh_Hans",
            now=clock.now(),
        )


def test_organisation_open_makes_the_organisation_its_roles_and_first_admin(admin, clock):
    org, user, temp = open_member(clock, admin)
    assert org.kind == "member" and org.sign_in_factor == "totp"
    assert user.organisation == org and user.must_change_password and user.language == "zh_Hans"
    assert user.check_password(temp)
    assert user.role_codes() == ["admin"]
    # member roles are those declared for members; no staff-only permission in them
    roles = Role.objects.filter(organisation=org)
    assert {r.code for r in roles} == {"admin"}
    admin_role = roles.get(code="admin")
    assert admin_role.permissions and not any(
        access.is_staff_only(c) for c in admin_role.permissions
    )
    assert AuditEntry.objects.filter(action="organisation.create", object_repr__contains="M100")
    # neither the temporary password nor the login name is in an audit row (they reach
    # the user through the outbox only)
    for entry in AuditEntry.objects.all():
        row = f"{entry.object_repr} {entry.before} {entry.after} {entry.reason}"
        assert temp not in row and "acme.admin" not in row


def test_organisation_open_refuses_bad_input_and_taken_names(admin, clock):
    with pytest.raises(ValidationFailed) as exc:
        open_member(clock, admin, code="bad code", factor="fax")
    assert {e.field for e in exc.value.errors} == {"code", "sign_in_factor"}
    with pytest.raises(ValidationFailed) as exc:
        open_member(clock, admin, username="9lives")
    assert exc.value.errors[0].field == "admin_username"
    with pytest.raises(UsernameTaken) as taken:
        open_member(clock, admin, username="ADMIN")
    assert taken.value.problem()["field"] == "admin_username"
    assert not Organisation.objects.filter(kind="member").exists()


def test_the_menu_follows_the_organisation_kind(admin, clock, monkeypatch):
    from custodesk.console import menu
    from custodesk.core import modules
    from custodesk.core.modules import MenuItem

    _org, user, _ = open_member(clock, admin)
    sections, _items = modules.menu()
    staff_only = MenuItem("home", "Staff page", "console:security", None, 1, kinds=("staff",))
    everyone = MenuItem("home", "Every page", "console:home", None, 2)
    monkeypatch.setattr(modules, "menu", lambda: (sections, [staff_only, everyone]))
    assert [i["label"] for i in menu.build(admin, "/console/")[0]["items"]] == [
        "Staff page",
        "Every page",
    ]
    assert [i["label"] for i in menu.build(user, "/console/")[0]["items"]] == ["Every page"]


def test_a_user_changes_its_login_name(make_user, clock):
    alice = make_user("alice")
    services.username_change(user=alice, new_username="Alice.W@home", now=clock.now())
    alice.refresh_from_db()
    assert alice.username == "Alice.W@home"
    entry = AuditEntry.objects.get(action="user.username_change")
    assert entry.before == {"username": "alice"} and entry.after == {"username": "Alice.W@home"}


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("1alice", "pattern"),
        ("abc", "pattern"),
        ("a" * 33, "pattern"),
        ("al ice", "pattern"),
        ("alice#1", "pattern"),
        ("BOBBY", "unique"),
        ("alice", "unchanged"),
    ],
)
def test_the_login_name_rule(make_user, clock, name, rule):
    alice = make_user("alice")
    make_user("bobby")
    with pytest.raises(ValidationFailed) as exc:
        services.username_change(user=alice, new_username=name, now=clock.now())
    assert [(e.field, e.rule) for e in exc.value.errors] == [("new_username", rule)]
    assert User.objects.get(pk=alice.pk).username == "alice"


def test_the_login_name_confirmation_must_match(make_user, clock):
    alice = make_user("alice")
    with pytest.raises(ValidationFailed) as exc:
        services.username_change(
            user=alice, new_username="alice2", new_username_again="alice3", now=clock.now()
        )
    assert exc.value.errors[0].field == "new_username_again"


def test_password_reset_self_sets_a_temporary_password(make_user, clock):
    alice = make_user("alice")
    with transaction.atomic():
        temp = services.password_reset_self(user=alice, now=clock.now())
    alice.refresh_from_db()
    assert alice.check_password(temp) and alice.must_change_password
    entry = AuditEntry.objects.get(action="user.password_reset_self")
    row = f"{entry.object_repr} {entry.before} {entry.after} {entry.reason}"
    assert temp not in row and "alice" not in row


def test_organisation_open_grants_only_a_role_of_the_kind(admin, clock):
    with pytest.raises(LookupError), transaction.atomic():
        services.organisation_open(
            actor=admin,
            code="M102",
            name="Y",
            kind="member",
            sign_in_factor="sms",
            admin_username="yadmin",
            admin_full_name="Y",
            admin_email="",
            admin_phone="",
            admin_language="",
            now=clock.now(),
            admin_role="auditor",  # a staff role: members have none such
        )
    assert not Organisation.objects.filter(code="M102").exists()
