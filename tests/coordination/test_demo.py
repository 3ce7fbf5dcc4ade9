import json

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from coordination.models import Agency, Case, Municipality, Unit
from tests.audit.test_record import _assert_one_chain


@pytest.mark.django_db
def test_demo_loads_once_through_the_services(capsys) -> None:
    call_command("load_demo")
    assert Municipality.objects.count() == 13
    motala = Agency.objects.get(name="Motala kommun – Socialkontoret")
    assert set(Unit.objects.filter(agency=motala).values_list("name", flat=True)) >= {
        "Barn och unga",
        "Vuxen",
        "Försörjningsstöd",
        "Funktionsstöd",
    }
    assert all(
        u.lead_id for u in Unit.objects.filter(agency=motala).exclude(name__startswith="Ledning")
    )
    assert Case.objects.filter(protected_identity=True).count() == 1
    assert any(c.officers.count() == 2 for c in Case.objects.all())
    assert (
        Agency.objects.filter(kind="police").exists()
        and Agency.objects.filter(kind="school").exists()
    )
    entries = AuditEvent.objects.count()
    assert entries > 50
    _assert_one_chain()

    call_command("load_demo")
    assert AuditEvent.objects.count() == entries
    assert "finns redan" in capsys.readouterr().out


@pytest.mark.django_db
def test_demo_users_json_lists_logins_that_work(capsys, client) -> None:
    call_command("load_demo")
    capsys.readouterr()
    call_command("demo_users", "--json")
    users = json.loads(capsys.readouterr().out)
    roles = {role for user in users for role in user["roles"]}
    assert {
        "case_officer",
        "section_lead",
        "forum_member",
        "coordinator",
        "auditor",
        "admin",
    } <= roles
    first = users[0]
    assert client.login(username=first["username"], password=first["password"])
