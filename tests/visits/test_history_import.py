"""A town's history imports whole (issue 12, point 6): households of which some are closed
(已销户), their past pairings, and visits including ones by people not paired with the household
that day (a 包村干部 going along, a cadre after their handover) import in one pass each, nothing
lost, and the overdue list computed from them is the list computed from the same records
entered directly. The workbooks are built by code from one seeded history."""

import datetime
import random

import pytest

from households.models import Household, Pairing
from tests.conftest import make_user, workbook
from visits.models import Visit
from xigang import roles
from xigang.ledgers import get_kind, import_ledger
from xigang.obligations import overdue_items
from xigang.periods import MONTHLY, QUARTERLY, periods_between

pytestmark = pytest.mark.usefixtures("obligation_source")

D = datetime.date
AS_OF, SINCE = D(2026, 11, 29), D(2025, 1, 1)
FIRST = D(2025, 1, 1)
CLOSED = {2, 7, 10}
CONTENT = "入户走访了解家庭近况并宣传帮扶政策"


def _history(rng, villages, cadres, companion):
    """(households, pairings, visits) as plain tuples: each household paired from 2025-01-01,
    handed over once (sometimes after a gap); closed ones' last pairing ended on closing."""
    households, pairings, visits = [], [], set()
    for n in range(12):
        village = villages[n % 2]
        number = f"{village.name}-{n:03d}"
        closed = n in CLOSED
        households.append((number, village.name, closed))
        first, second = rng.sample(cadres, 2)
        handover = FIRST + datetime.timedelta(days=rng.randrange(120, 520))
        gap = rng.choice([0, 0, 0, 5, 12])
        second_start = handover + datetime.timedelta(days=1 + gap)
        second_end = D(2026, 4, 30) if closed else None
        pairings += [(number, first, FIRST, handover), (number, second, second_start, second_end)]
        last_day = second_end or AS_OF
        for kind, periods, chance in (
            (Visit.Kind.PHONE, periods_between(MONTHLY, FIRST, AS_OF), 0.75),
            (Visit.Kind.HOME, periods_between(QUARTERLY, FIRST, AS_OF), 0.6),
        ):
            for period in periods:
                on = period.start + datetime.timedelta(days=rng.randrange(0, 28))
                if on > last_day or rng.random() > chance:
                    continue
                paired = first if on <= handover else second if on >= second_start else None
                if paired is not None:
                    visits.add((number, paired, kind, on))
                if rng.random() < 0.2:  # the 包村干部 going along: not paired that day
                    visits.add((number, companion, Visit.Kind.HOME, on))
        # The first cadre calling once after the handover: not paired that day either.
        visits.add((number, first, Visit.Kind.PHONE, min(handover + datetime.timedelta(20), AS_OF)))
    return households, pairings, sorted(visits, key=lambda v: (v[0], v[3], v[2], v[1].pk))


def _enter_directly(households, pairings, visits, villages):
    by_name = {v.name: v for v in villages}
    made = {
        number: Household.objects.create(
            number=number,
            village=by_name[village],
            head_name="户主",
            status=Household.Status.CLOSED if closed else Household.Status.POOR,
        )
        for number, village, closed in households
    }
    for number, cadre, start, end in pairings:
        Pairing.objects.create(household=made[number], cadre=cadre, start=start, end=end)
    for number, cadre, kind, on in visits:
        Visit.objects.create(household=made[number], cadre=cadre, kind=kind, on=on, content=CONTENT)


def _workbooks(tmp_path, households, pairings, visits):
    registry = workbook(
        tmp_path / "贫困户台账.xlsx",
        ["户编号", "村", "户主姓名", "脱贫状态"],
        [
            [number, village, "户主", "已销户" if closed else "未脱贫"]
            for number, village, closed in households
        ],
    )
    paired = workbook(
        tmp_path / "结对帮扶台账.xlsx",
        ["户编号", "帮扶责任人", "开始日期", "结束日期"],
        [[number, c.user.username, start, end] for number, c, start, end in pairings],
    )
    visited = workbook(
        tmp_path / "帮扶记录台账.xlsx",
        ["户编号", "帮扶责任人", "方式", "日期", "内容"],
        [[number, c.user.username, kind, on, CONTENT] for number, c, kind, on in visits],
    )
    return [("households", registry), ("pairings", paired), ("visits", visited)]


def _paired_on(pairings, number, cadre, on):
    return any(
        n == number and c == cadre and s <= on and (e is None or on <= e) for n, c, s, e in pairings
    )


@pytest.mark.usefixtures("today")
def test_a_towns_history_imports_whole_and_owes_the_same(tmp_path, office, east, west):
    villages = [east, west]
    cadres = [
        make_user(name, roles.PAIRING, village).cadre
        for name, village in (("alice", east), ("bob", east), ("carol", west), ("dan", west))
    ]
    companion = make_user("baocun", roles.VILLAGE, east, name="包村干部").cadre
    households, pairings, visits = _history(random.Random(12), villages, cadres, companion)
    unpaired = {v for v in visits if not _paired_on(pairings, v[0], v[1], v[3])}
    assert len(unpaired) >= 12 and any(v[1] == companion for v in unpaired)  # the case at hand

    _enter_directly(households, pairings, visits, villages)
    before = [i.as_json() for i in overdue_items(user=office, as_of=AS_OF, since=SINCE)]
    assert any(i["rule"] == "pairing.assigned" for i in before)  # the gaps are in the list
    Visit.objects.all().delete()
    Pairing.objects.all().delete()
    Household.objects.all().delete()

    for kind, path in _workbooks(tmp_path, households, pairings, visits):
        report = import_ledger(get_kind(kind)(office), path)
        assert report.ok and report.written, report.lines()

    # Nothing lost: every household, pairing and visit, each carrying its import.
    assert Household.objects.filter(status=Household.Status.CLOSED).count() == len(CLOSED)
    assert Household.objects.count() == len(households)
    got_pairings = set(Pairing.objects.values_list("household__number", "cadre_id", "start", "end"))
    assert got_pairings == {(n, c.pk, s, e) for n, c, s, e in pairings}
    got_visits = {
        (number, cadre_id, kind, on): (not_counted, file_name, by)
        for number, cadre_id, kind, on, not_counted, file_name, by in Visit.objects.values_list(
            "household__number",
            "cadre_id",
            "kind",
            "on",
            "not_counted",
            "imported_in__file_name",
            "imported_in__imported_by__username",
        )
    }
    assert set(got_visits) == {(n, c.pk, k, on) for n, c, k, on in visits}
    for number, cadre, kind, on in visits:
        not_counted, file_name, by = got_visits[(number, cadre.pk, kind, on)]
        assert (file_name, by) == ("帮扶记录台账.xlsx", "office")
        # Marked, with the reason, exactly when the cadre was not paired that day.
        marked = (number, cadre, kind, on) in unpaired
        assert bool(not_counted) == marked
        if marked:
            assert cadre.name in not_counted and number in not_counted
    assert not Pairing.objects.filter(imported_in__isnull=True).exists()
    assert set(Pairing.objects.values_list("imported_in__file_name", flat=True)) == {
        "结对帮扶台账.xlsx"
    }

    # The same overdue list as from the records entered directly.
    after = [i.as_json() for i in overdue_items(user=office, as_of=AS_OF, since=SINCE)]
    assert after == before
