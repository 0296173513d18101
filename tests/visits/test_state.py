"""The visit rules' stored state (issue 18): kept by every write, equal to the engine."""

import datetime
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from households.models import Household
from households.services import household_save, pairing_start
from tests.conftest import make_user, workbook
from visits.models import Visit, VisitState
from visits.services import visit_record
from xigang import roles
from xigang.ledgers import get_kind, import_ledger
from xigang.obligations import (
    met_later,
    overdue_items,
    overdue_tallies,
    pending_items,
    state_check,
    state_refresh,
)

D = datetime.date
TEXT = "入户了解收入和就医情况"
CLEAN = {"pairing.home_visit": 0, "pairing.phone_contact": 0}

pytestmark = pytest.mark.usefixtures("today")  # 2026-11-30


@pytest.fixture
def built(settings, db):
    """The state built on the (near empty) database, and read by the lists; the town live
    from 2026-01-01 (records dated since count from their entry)."""
    settings.GO_LIVE = D(2026, 1, 1)
    settings.OBLIGATION_SOURCE = "state"
    state_refresh(households=None)


def _lists(settings, user, as_of, source):
    settings.OBLIGATION_SOURCE = source
    since = D(2026, 1, 1)
    return (
        overdue_items(user=user, as_of=as_of, since=since),
        pending_items(user=user, as_of=as_of),
        Counter(met_later(user=user, as_of=as_of, since=since)),
        Counter(repr(t) for t in overdue_tallies(user=user, as_of=as_of, since=since)),
    )


def _record(household, cadre_user, kind, on, by, reason=""):
    return visit_record(
        household=household, cadre=cadre_user.cadre, kind=kind, on=on, content=TEXT,
        entered_by=by, late_reason=reason,
    )  # fmt: skip


def _periods(items):
    return [(i.rule, i.period) for i in items if i.rule.startswith("pairing.")]


def test_a_day_of_mixed_writes_leaves_the_state_equal_to_the_engine(
    settings, tmp_path, office, inspector, pairing, east, east_household, built
):
    other = make_user("other_pairing", roles.PAIRING, east)
    second = Household.objects.create(number="东村-002", village=east, head_name="王五")
    third = Household.objects.create(number="东村-003", village=east, head_name="赵六")
    # Services: a visit this month, a 补录 of October entered by the office.
    _record(east_household, pairing, Visit.Kind.HOME, D(2026, 11, 2), pairing)
    _record(east_household, pairing, Visit.Kind.PHONE, D(2026, 10, 15), office, "纸质记录补登")
    # Ledger imports: pairings, then visits of history.
    pairings = workbook(
        tmp_path / "pairings.xlsx",
        ["户编号", "帮扶责任人", "开始日期", "结束日期"],
        [["东村-002", "pairing", "2026/1/1", ""], ["东村-003", "pairing", "2026/2/1", ""]],
    )
    assert import_ledger(get_kind("pairings")(office), pairings).ok
    visits = workbook(
        tmp_path / "visits.xlsx",
        ["户编号", "帮扶责任人", "方式", "日期", "内容", "发现问题", "补录原因"],
        [
            ["东村-002", "pairing", "入户", "2026/3/2", TEXT, "", "纸质记录补登"],
            ["东村-002", "pairing", "电话", "2026/4/8", TEXT, "", "纸质记录补登"],
        ],
    )
    assert import_ledger(get_kind("visits")(office), visits).ok
    # A handover mid-month, and a household closed.
    pairing_start(household=east_household, cadre=other.cadre, start=D(2026, 11, 16))
    third.status = Household.Status.CLOSED
    household_save(household=third, closed_on=D(2026, 9, 30))

    assert state_check(rebuild=False) == CLEAN
    assert VisitState.objects.filter(household=second, met_at__isnull=False).count() == 3
    for as_of in (D(2026, 11, 30), D(2026, 11, 5), D(2026, 10, 31)):
        engine = _lists(settings, inspector, as_of, "engine")
        state = _lists(settings, inspector, as_of, "state")
        assert engine == state
        assert state[0]  # something overdue: not two empty lists compared
    # The 补录 counts from its entry: overdue as of 5 November, met since.
    assert any(
        m.rule == "pairing.phone_contact"
        for m in _lists(settings, inspector, D(2026, 11, 30), "state")[2]
    )


def test_a_write_round_the_services_is_reported_and_the_rebuild_mends_it(
    settings, capsys, inspector, pairing, east_household, built
):
    # Straight into the table: no service, so no refresh of the state.
    Visit.objects.create(
        household=east_household, cadre=pairing.cadre, kind=Visit.Kind.HOME, on=D(2026, 10, 9)
    )
    as_of = D(2026, 11, 30)
    # The list reads the stored state: the October visit is not there yet.
    stale = _periods(_lists(settings, inspector, as_of, "state")[0])
    fresh = _periods(_lists(settings, inspector, as_of, "engine")[0])
    assert ("pairing.phone_contact", "2026-10") in stale
    assert ("pairing.phone_contact", "2026-10") not in fresh
    with pytest.raises(CommandError, match="不一致"):
        call_command("check_obligations")
    assert "pairing.phone_contact：1 行" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("check_obligations", "--rebuild")  # says what it found, then mends
    assert state_check(rebuild=False) == CLEAN
    assert _periods(_lists(settings, inspector, as_of, "state")[0]) == fresh


def test_a_list_beyond_the_built_periods_is_the_engines(
    settings, inspector, pairing, east_household, built
):
    # Built through December 2026 (today's quarter): a list as of 2027 is the engine's.
    settings.OBLIGATION_SOURCE = "state"
    as_of = D(2027, 2, 10)
    assert _lists(settings, inspector, as_of, "state") == _lists(
        settings, inspector, as_of, "engine"
    )
    assert any(i.period == "2026-12" for i in _lists(settings, inspector, as_of, "state")[0])


def test_deleting_a_visit_in_the_admin_refreshes_the_state(
    client, office, inspector, pairing, east_household, built
):
    visit = _record(east_household, pairing, Visit.Kind.PHONE, D(2026, 11, 3), pairing)
    client.force_login(office)
    response = client.post(reverse("admin:visits_visit_delete", args=[visit.pk]), {"post": "yes"})
    assert response.status_code == 302 and not Visit.objects.exists()
    assert state_check(rebuild=False) == CLEAN
    items = overdue_items(user=inspector, as_of=D(2026, 11, 30), since=D(2026, 11, 1))
    assert ("pairing.phone_contact", "2026-11") not in _periods(items)  # pending, not overdue
    assert ("pairing.phone_contact", "2026-11") in _periods(
        pending_items(user=inspector, as_of=D(2026, 11, 30))
    )


def test_the_stored_state_is_kept_out_of_the_change_history(office, pairing, east_household, built):
    from xigang.history import acting
    from xigang.models import AuditEntry

    _record(east_household, pairing, Visit.Kind.HOME, D(2026, 11, 2), pairing)
    assert VisitState.objects.filter(household=east_household).exists()
    with acting(office, "admin"):
        east_household.delete()  # cascades to the visit and to the household's state rows
    deleted = set(AuditEntry.objects.filter(action="delete").values_list("model", flat=True))
    assert "visits.visit" in deleted  # the record is evidence
    assert not {"visits.visitstate", "visits.visitstatebuilt"} & deleted
