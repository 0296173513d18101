"""The 第一书记 register (art. 5): 组织科 keeps it, the village and the 第一书记 read it, and its
定期调度 (monthly) and 随机抽查 (quarterly) are owed and overdue like any rule."""

import datetime

import pytest

from duties.models import Department
from oversight.models import FirstSecretary
from oversight.services import first_secretary_check_record, first_secretary_save
from tests.conftest import make_user
from xigang import roles
from xigang.obligations import Filters, overdue_items
from xigang.scope import can_write, visible

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("today")]

D = datetime.date


@pytest.fixture
def organisation_staff(db):
    return make_user("zzk", roles.DEPARTMENT, Department.objects.get(name="组织科"))


@pytest.fixture
def secretary(east, organisation_staff):
    person = make_user("fs", roles.PAIRING, east, name="第一书记甲")
    return first_secretary_save(
        cadre=person.cadre,
        village=east,
        sending_unit="县财政局",
        started_on=D(2026, 7, 1),
        user=organisation_staff,
    )


def _items(user, rule):
    return overdue_items(
        user=user, as_of=D(2026, 11, 30), since=D(2026, 1, 1), filters=Filters(rule=rule)
    )


def test_dispatch_is_owed_each_month_served_and_met_by_a_dispatch(secretary, organisation_staff):
    first_secretary_check_record(
        first_secretary=secretary,
        kind="定期调度",
        on=D(2026, 8, 12),
        result="工作正常",
        user=organisation_staff,
    )
    items = _items(organisation_staff, "first_secretary.dispatch")
    assert [(i.period, i.department, i.village, i.article) for i in items] == [
        (p, "组织科", "东村", 5) for p in ("2026-07", "2026-09", "2026-10")
    ]


def test_a_spot_check_is_owed_each_quarter(secretary, organisation_staff):
    assert [i.period for i in _items(organisation_staff, "first_secretary.spot_check")] == [
        "2026-Q3"
    ]
    first_secretary_check_record(
        first_secretary=secretary,
        kind="随机抽查",
        on=D(2026, 9, 2),
        result="在岗",
        user=organisation_staff,
    )
    assert _items(organisation_staff, "first_secretary.spot_check") == []


def test_a_check_on_a_day_not_served_is_refused(secretary, organisation_staff):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        first_secretary_check_record(
            first_secretary=secretary,
            kind="定期调度",
            on=D(2026, 6, 1),
            result="x",
            user=organisation_staff,
        )
    assert "on" in error.value.message_dict


def test_who_reads_and_who_keeps_the_register(secretary, cast, organisation_staff):
    fs_user = secretary.cadre.user
    readers = {
        name
        for name, user in {**cast, "zzk": organisation_staff, "fs": fs_user}.items()
        if user.has_perm("oversight.view_firstsecretary")
        and visible(user, FirstSecretary.objects.all()).exists()
    }
    assert readers == {"leader", "office", "inspector", "east_cadre", "zzk", "fs"}
    keepers = {
        name
        for name, user in {**cast, "zzk": organisation_staff}.items()
        if user.has_perm("oversight.change_firstsecretary") and can_write(user, secretary)
    }
    assert keepers == {"zzk"}


def test_the_organisation_records_a_check_in_the_portal(
    client, secretary, organisation_staff, east_cadre
):
    url = f"/oversight/first-secretaries/{secretary.pk}/"
    client.force_login(east_cadre)
    assert "第一书记甲" in client.get("/oversight/first-secretaries/").content.decode()
    assert (
        client.post(url, {"kind": "定期调度", "on": "2026-11-02", "result": "x"}).status_code == 403
    )
    client.force_login(organisation_staff)
    refused = client.post(url, {"kind": "定期调度", "on": "2026-06-01", "result": "到岗"})
    assert "未任第一书记" in refused.content.decode()
    saved = client.post(url, {"kind": "定期调度", "on": "2026-11-02", "result": "到岗在位"})
    assert saved.status_code == 302
    check = secretary.checks.get()
    assert (check.created_by, check.result) == (organisation_staff, "到岗在位")
