from __future__ import annotations

import datetime as dt

import pytest

from custodesk.brokerage import services
from custodesk.brokerage.models import Client, JointHolder
from custodesk.core.errors import ValidationFailed
from custodesk.testing.brokerage import hkid, individual

pytestmark = pytest.mark.django_db


def _rules(exc: pytest.ExceptionInfo[ValidationFailed]) -> set[tuple[str, str]]:
    return {(e.field, e.rule) for e in exc.value.errors}


def test_id_documents_are_validated_naming_the_field(admin, clock):
    with pytest.raises(ValidationFailed) as bad:
        individual(
            admin,
            now=clock.now(),
            id_number="A123456(4)",
            phone="12345",
            email="not-mail",
            date_of_birth=dt.date(2015, 1, 1),
        )
    assert _rules(bad) >= {
        ("id_number", "hkid"),
        ("phone", "phone"),
        ("email", "email"),
        ("date_of_birth", "min_age"),
    }
    with pytest.raises(ValidationFailed) as bad:
        individual(
            admin,
            now=clock.now(),
            id_type="national_id",
            id_number="11010519491231002Y",
            id_issuing_place="CN",
            nationality="CN",
        )
    assert ("id_number", "cn_ric") in _rules(bad)
    ok = individual(
        admin,
        now=clock.now(),
        id_type="national_id",
        id_number="11010519491231002x",
        id_issuing_place="cn",
        nationality="CN",
    )
    assert ok.id_number == "11010519491231002X" and ok.id_issuing_place == "CN"
    with pytest.raises(ValidationFailed) as bad:  # the waterfall: a Chinese national's ID card
        individual(
            admin,
            now=clock.now(),
            id_type="passport",
            id_number="E12345678",
            id_issuing_place="CN",
            nationality="CN",
        )
    assert ("id_type", "waterfall") in _rules(bad)
    with pytest.raises(ValidationFailed) as bad:
        individual(admin, now=clock.now(), id_type="lei", id_number="5493001KJTIIGC8Y1R12")
    assert ("id_type", "choice") in _rules(bad)
    with pytest.raises(ValidationFailed) as bad:
        individual(
            admin,
            now=clock.now(),
            id_number=ok.id_number,
            id_type="national_id",
            id_issuing_place="CN",
            nationality="CN",
        )
    assert ("id_number", "unique") in _rules(bad)
    assert Client.objects.count() == 1


def test_corporate_and_joint_clients(admin, clock):
    now = clock.now()
    corp = services.client_create(
        actor=admin,
        kind="corporate",
        name_en="Harbour Trading Ltd",
        name_zh="海港貿易有限公司",
        id_type="lei",
        id_number="5493001kjtiigc8y1r12",
        nationality="HK",
        phone="+85221234567",
        now=now,
    )
    assert corp.id_number == "5493001KJTIIGC8Y1R12"
    with pytest.raises(ValidationFailed) as bad:
        services.client_create(
            actor=admin,
            kind="corporate",
            name_en="Bad",
            id_type="lei",
            id_number="5493001KJTIIGC8Y1R13",
            phone="+85221234567",
            now=now,
        )
    assert ("id_number", "lei") in _rules(bad)
    a = individual(admin, now=now)
    b = individual(admin, now=now, name_en="LEE Siu Ling")
    joint = services.client_create(
        actor=admin,
        kind="joint",
        name_en="CHAN Tai Man & LEE Siu Ling",
        holders=[a.client_no, b.client_no],
        now=now,
    )
    assert list(JointHolder.objects.filter(joint=joint).values_list("holder_id", "position")) == [
        (a.pk, 1),
        (b.pk, 2),
    ]
    with pytest.raises(ValidationFailed) as bad:
        services.client_create(
            actor=admin, kind="joint", name_en="Alone", holders=[a.client_no], now=now
        )
    assert ("holders", "min_items") in _rules(bad)


def test_client_update_is_audited_with_before_and_after(admin, clock):
    from custodesk.audit.selectors import audit_list

    c = individual(admin, now=clock.now())
    with pytest.raises(ValidationFailed):
        services.client_update(
            actor=admin,
            client_id=c.public_id,
            changes={"phone": "+85261234567"},
            reason="",
            now=clock.now(),
        )
    services.client_update(
        actor=admin,
        client_id=c.public_id,
        changes={"phone": "+852 6123 4567", "id_number": hkid(7)},
        reason="client letter",
        now=clock.now(),
    )
    row = audit_list(actor=admin, filters={"action": "brokerage.client.update"}).get()
    assert row.before["phone"] == "+85291234567" and row.after["phone"] == "+85261234567"
    assert set(row.after) == {"phone", "id_number"} and row.reason == "client letter"


def test_agents_and_related_persons_are_audited(admin, clock):
    from custodesk.audit.selectors import audit_list

    c = individual(admin, now=clock.now())
    now = clock.now()
    agent = services.agent_create(
        actor=admin,
        client_id=c.public_id,
        data={
            "name": "WONG Ka Fai",
            "id_type": "hkid",
            "id_number": "a123456(3)",
            "relationship": "brother",
            "scope": "trading",
            "valid_from": dt.date(2026, 1, 1),
        },
        now=now,
    )
    assert agent.id_number == "A123456(3)"
    with pytest.raises(ValidationFailed) as bad:
        services.agent_update(
            actor=admin,
            agent_id=agent.public_id,
            changes={"valid_to": dt.date(2025, 1, 1)},
            reason="x",
            now=now,
        )
    assert ("valid_to", "range") in _rules(bad)
    services.agent_update(
        actor=admin,
        agent_id=agent.public_id,
        changes={"scope": "full"},
        reason="new mandate",
        now=now,
    )
    services.agent_revoke(actor=admin, agent_id=agent.public_id, reason="mandate ended", now=now)
    person = services.related_create(
        actor=admin,
        client_id=c.public_id,
        data={"role": "beneficial_owner", "name": "LEE Mei", "share_percent": "25.5"},
        now=now,
    )
    with pytest.raises(ValidationFailed) as bad:
        services.related_update(
            actor=admin,
            person_id=person.public_id,
            changes={"share_percent": "101"},
            reason="x",
            now=now,
        )
    assert ("share_percent", "range") in _rules(bad)
    services.related_delete(actor=admin, person_id=person.public_id, reason="error", now=now)
    actions = list(
        audit_list(actor=admin, filters={"action": "brokerage."})
        .filter(object_type__in=["brokerage_agent", "brokerage_related_person"])
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "brokerage.agent.create",
        "brokerage.agent.update",
        "brokerage.agent.revoke",
        "brokerage.related_person.create",
        "brokerage.related_person.delete",
    ]
    update = audit_list(actor=admin, filters={"action": "brokerage.agent.update"}).get()
    assert (update.before["scope"], update.after["scope"]) == ("trading", "full")
