"""两不愁三保障 (art. 38): assessments, the gaps they open, the rules `assessment.due` and
`assessment.gap`, and who sees what."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from duties.models import Department, RuleParameter
from households.assessments.models import AssessmentGap
from households.assessments.rules import AssessmentDueRule, AssessmentGapRule
from households.assessments.services import assessment_enter, assessment_record, gap_close
from households.models import Assessment, Household, Pairing
from tests.conftest import SHANGHAI, make_user
from visits.models import Visit
from xigang import roles
from xigang.obligations import Filters, MetLater, overdue_items, pending_items
from xigang.scope import visible

D = datetime.date
ALL_MET = dict.fromkeys(Assessment.Item.values, True)
SINCE_2025, SINCE_2026 = D(2025, 1, 1), D(2026, 1, 1)


def unmet(*items):
    return {**ALL_MET, **dict.fromkeys(items, False)}


def gaps(user, *, as_of, since=SINCE_2026, **filters):
    items = AssessmentGapRule().overdue(
        user=user, as_of=as_of, since=since, filters=Filters(**filters)
    )
    return sorted((i.household, i.department, i.article, i.due, i.days_overdue) for i in items)


def due(user, *, as_of, since=SINCE_2025, **filters):
    items = AssessmentDueRule().overdue(
        user=user, as_of=as_of, since=since, filters=Filters(**filters)
    )
    return sorted((i.household, i.period, i.due, i.cadre) for i in items)


def pending(user, rule, *, as_of):
    return sorted(
        (i.household, i.period, i.due)
        for i in pending_items(user=user, as_of=as_of, filters=Filters(rule=rule))
    )


@pytest.fixture
def housing_dept(db):
    return make_user("housing", roles.DEPARTMENT, Department.objects.get(name="村建办"))


# --- the service -------------------------------------------------------------------------


def test_an_item_not_met_opens_a_gap_for_the_department_that_answers(
    today, east_household, pairing
):
    assessment_enter(
        household=east_household,
        assessed_on=D(2026, 6, 1),
        results=unmet("housing", "food"),
        assessed_by=pairing,
    )
    assert sorted(
        AssessmentGap.objects.values_list("item", "department__name", "found_on", "due")
    ) == [
        ("food", "民政科", D(2026, 6, 1), D(2026, 7, 31)),
        ("housing", "村建办", D(2026, 6, 1), D(2026, 7, 31)),
    ]
    assessment = Assessment.objects.get(item="housing")
    assert assessment.entered_by == pairing and assessment.created_at is not None
    # Found not met again: the gap open already stays the one gap.
    assessment_enter(
        household=east_household,
        assessed_on=D(2026, 7, 1),
        results=unmet("housing"),
        assessed_by=pairing,
    )
    assert AssessmentGap.objects.filter(item="housing").count() == 1


def test_the_gap_days_are_a_dated_parameter(today, east_household, pairing, office):
    RuleParameter.objects.create(
        rule="assessment.gap", name="days", value=20, effective_from=D(2026, 7, 1)
    )
    assessment_record(household=east_household, item="water", met=False, assessed_on=D(2026, 6, 30))
    assessment_record(
        household=east_household, item="medical", met=False, assessed_on=D(2026, 7, 1)
    )
    assert dict(AssessmentGap.objects.values_list("item", "due")) == {
        "water": D(2026, 8, 29),
        "medical": D(2026, 7, 21),
    }


def test_every_item_is_assessed_and_not_in_the_future(today, east_household, pairing):
    with pytest.raises(ValidationError, match="饮水安全"):
        assessment_enter(
            household=east_household,
            assessed_on=D(2026, 6, 1),
            results={k: v for k, v in ALL_MET.items() if k != "water"},
            assessed_by=pairing,
        )
    with pytest.raises(ValidationError):
        assessment_enter(
            household=east_household,
            assessed_on=D(2026, 12, 1),
            results=ALL_MET,
            assessed_by=pairing,
        )
    assert not Assessment.objects.exists()


def test_a_gap_closes_only_with_evidence_and_a_reassessment_finding_it_met(
    today, east_household, pairing, housing_dept
):
    assessment_record(
        household=east_household, item="housing", met=False, assessed_on=D(2026, 6, 1)
    )
    gap = AssessmentGap.objects.get()
    with pytest.raises(ValidationError, match="re-assess|重新评估"):
        gap_close(gap=gap, user=housing_dept, evidence="危房已改造完成")
    assessment_record(household=east_household, item="housing", met=True, assessed_on=D(2026, 7, 1))
    with pytest.raises(ValidationError):
        gap_close(gap=gap, user=housing_dept, evidence="  ")
    photo = SimpleUploadedFile("改造.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20)
    closed = gap_close(gap=gap, user=housing_dept, evidence="危房已改造完成", upload=photo)
    assert closed.closed_user == housing_dept and closed.closed_at is not None
    assert closed.closed_by.assessed_on == D(2026, 7, 1)
    assert closed.evidence_name == "改造.png" and closed.evidence_type == "image/png"
    with pytest.raises(ValidationError):
        gap_close(gap=closed, user=housing_dept, evidence="again")


# --- rule assessment.gap ------------------------------------------------------------------


def test_a_gap_open_past_its_due_day_is_overdue_for_its_department(
    today, office, east_household, housing_dept
):
    assessment_record(
        household=east_household, item="housing", met=False, assessed_on=D(2026, 6, 1)
    )
    # Due 2026-07-31: pending within 14 days of it, overdue from the day after.
    assert gaps(office, as_of=D(2026, 7, 31)) == []
    assert pending(office, "assessment.gap", as_of=D(2026, 7, 20)) == [
        ("东村-001", "2026-06-01", D(2026, 7, 31))
    ]
    assert pending(office, "assessment.gap", as_of=D(2026, 7, 10)) == []
    assert gaps(office, as_of=D(2026, 8, 10)) == [("东村-001", "村建办", 11, D(2026, 7, 31), 10)]
    assert gaps(office, as_of=D(2026, 8, 10), department="民政科") == []
    assert gaps(office, as_of=D(2026, 8, 10), cadre="pairing") == []
    assert gaps(office, as_of=D(2026, 8, 10), since=D(2026, 6, 2)) == []


def test_a_closed_gap_is_met_from_the_day_it_closed(
    today, office, east_household, pairing, housing_dept
):
    assessment_record(
        household=east_household, item="housing", met=False, assessed_on=D(2025, 10, 1)
    )
    assessment_record(
        household=east_household, item="housing", met=True, assessed_on=D(2026, 11, 1)
    )
    gap_close(gap=AssessmentGap.objects.get(), user=housing_dept, evidence="已修缮")
    # Closed today (2026-11-30): overdue as of yesterday, met as of today.
    assert gaps(office, as_of=D(2026, 11, 29), since=D(2025, 1, 1)) == [
        ("东村-001", "村建办", 11, D(2025, 11, 30), 364)
    ]
    assert gaps(office, as_of=D(2026, 11, 30), since=D(2025, 1, 1)) == []


def test_the_department_sees_its_gaps_and_nothing_else(
    today, cast, east_household, west_household, housing_dept
):
    assessment_record(household=east_household, item="food", met=False, assessed_on=D(2026, 6, 1))
    assessment_record(
        household=east_household, item="housing", met=False, assessed_on=D(2026, 6, 1)
    )
    assessment_record(household=west_household, item="food", met=False, assessed_on=D(2026, 6, 1))
    dept, east_cadre, pairing = cast["dept"], cast["east_cadre"], cast["pairing"]

    def seen(user):
        rows = visible(user, AssessmentGap.objects.all())
        return sorted(rows.values_list("household__number", "item"))

    everything = [("东村-001", "food"), ("东村-001", "housing"), ("西村-001", "food")]
    assert seen(cast["inspector"]) == seen(cast["leader"]) == seen(cast["office"]) == everything
    assert seen(dept) == [("东村-001", "food"), ("西村-001", "food")]  # 民政科's only
    assert seen(housing_dept) == [("东村-001", "housing")]
    assert seen(east_cadre) == seen(pairing) == [("东村-001", "food"), ("东村-001", "housing")]
    assert seen(cast["west_cadre"]) == [("西村-001", "food")]
    assert seen(cast["outsider"]) == []
    # The household's minimal facts come with the gap; its other assessments do not.
    assert visible(housing_dept, Household.objects.filter(pk=west_household.pk)).count() == 0
    assert visible(housing_dept, Household.objects.filter(pk=east_household.pk)).count() == 1
    assert sorted(visible(housing_dept, Assessment.objects.all()).values_list("item", flat=True))
    assert not visible(housing_dept, Assessment.objects.filter(household=west_household)).exists()
    # In the overdue list too: each department its own items.
    as_of = D(2026, 8, 10)
    listed = overdue_items(user=housing_dept, as_of=as_of, since=D(2026, 1, 1))
    assert [(i.rule, i.department) for i in listed if i.rule == "assessment.gap"] == [
        ("assessment.gap", "村建办")
    ]
    assert gaps(dept, as_of=as_of) == [
        ("东村-001", "民政科", 15, D(2026, 7, 31), 10),
        ("西村-001", "民政科", 15, D(2026, 7, 31), 10),
    ]
    assert gaps(cast["west_cadre"], as_of=as_of) == [("西村-001", "民政科", 15, D(2026, 7, 31), 10)]


# --- rule assessment.due -------------------------------------------------------------------


def test_each_calendar_year_is_owed_an_assessment(today, office, east_household, pairing):
    # Paired from 2026-01-01 (the fixture): 2025 has no cadre to answer, the village does.
    assert due(office, as_of=D(2026, 11, 30)) == [("东村-001", "2025", D(2025, 12, 31), None)]
    assessment_enter(
        household=east_household, assessed_on=D(2025, 3, 1), results=ALL_MET, assessed_by=office
    )
    assert due(office, as_of=D(2026, 11, 30)) == []
    # 2026 is the current year: pending within 30 days of its end (from 1 December), overdue after it.
    assert pending(office, "assessment.due", as_of=D(2026, 12, 1)) == [
        ("东村-001", "2026", D(2026, 12, 31))
    ]
    assert pending(office, "assessment.due", as_of=D(2026, 12, 1)) == pending(
        pairing, "assessment.due", as_of=D(2026, 12, 1)
    )
    assert pending(office, "assessment.due", as_of=D(2026, 11, 1)) == []
    assert due(office, as_of=D(2027, 1, 1)) == [("东村-001", "2026", D(2026, 12, 31), "pairing")]
    assessment_enter(
        household=east_household, assessed_on=D(2026, 11, 2), results=ALL_MET, assessed_by=pairing
    )
    assert due(office, as_of=D(2027, 1, 1)) == []
    assert pending(office, "assessment.due", as_of=D(2026, 12, 1)) == []


def test_closed_households_and_those_identified_later_owe_nothing(today, office, east):
    Household.objects.create(
        number="东村-002", village=east, head_name="王五", year_identified=2026
    )
    Household.objects.create(
        number="东村-003", village=east, head_name="赵六", status=Household.Status.CLOSED
    )
    assert due(office, as_of=D(2026, 11, 30)) == []


def test_a_visit_reporting_a_change_owes_a_reassessment_within_the_days_allowed(
    today, office, east_household, pairing
):
    assessment_enter(
        household=east_household, assessed_on=D(2026, 1, 5), results=ALL_MET, assessed_by=pairing
    )
    Visit.objects.create(
        household=east_household,
        cadre=pairing.cadre,
        kind=Visit.Kind.HOME,
        on=D(2026, 9, 1),
        reports_change=True,
    )
    assert pending(office, "assessment.due", as_of=D(2026, 9, 10)) == [
        ("东村-001", "2026-09-01", D(2026, 9, 16))
    ]
    assert due(office, as_of=D(2026, 9, 16), since=D(2026, 1, 1)) == []
    assert due(office, as_of=D(2026, 9, 17), since=D(2026, 1, 1)) == [
        ("东村-001", "2026-09-01", D(2026, 9, 16), "pairing")
    ]
    assessment_enter(
        household=east_household, assessed_on=D(2026, 9, 15), results=ALL_MET, assessed_by=pairing
    )
    assert due(office, as_of=D(2026, 9, 17), since=D(2026, 1, 1)) == []


def test_the_cadre_paired_on_the_due_day_answers_after_a_handover(
    today, office, east_household, pairing, east_cadre
):
    successor = make_user("successor", roles.PAIRING, east_household.village)
    Pairing.objects.filter(household=east_household).update(start=D(2025, 1, 1), end=D(2026, 3, 1))
    Pairing.objects.create(household=east_household, cadre=successor.cadre, start=D(2026, 3, 2))
    as_of = D(2026, 11, 30)
    assert due(office, as_of=as_of) == [("东村-001", "2025", D(2025, 12, 31), "pairing")]
    assert due(pairing, as_of=as_of) == due(east_cadre, as_of=as_of) == due(office, as_of=as_of)
    assert due(successor, as_of=as_of) == []
    assert due(office, as_of=as_of, cadre="successor") == []
    assert due(office, as_of=as_of, department="村建办") == []


@pytest.mark.parametrize("entered, late", [(D(2026, 1, 1), False), (D(2026, 1, 2), True)])
def test_a_year_assessed_in_it_but_entered_after_the_day_after_it_is_met_late(
    settings, time_machine, office, east_household, entered, late
):
    # From go-live the entry day counts: entered on 2 January, 2025 was on the list of the 1st.
    settings.GO_LIVE = D(2025, 1, 1)
    time_machine.move_to(datetime.datetime.combine(entered, datetime.time(12), SHANGHAI))
    assessment_enter(
        household=east_household, assessed_on=D(2025, 12, 20), results=ALL_MET, assessed_by=office
    )
    listed = [("东村-001", "2025", D(2025, 12, 31), None)]
    assert due(office, as_of=D(2026, 1, 1)) == (listed if late else [])
    assert due(office, as_of=D(2026, 1, 20)) == []
    later = AssessmentDueRule().met_later(
        user=office, as_of=D(2026, 1, 20), since=SINCE_2025, filters=Filters()
    )
    assert later == ([MetLater("assessment.due", D(2025, 12, 31), entered, 1)] if late else [])


def test_a_year_with_a_dated_calendar_is_owed_by_its_own_periods(office, east_household):
    # Half-yearly from 2025-07-01 (art. 44): 2025-H2 unmet is listed, 2025-H1 of the yearly
    # calendar's days is not a period any more than 2025 is.
    RuleParameter.objects.create(
        rule="assessment.due", name="months", value=6, effective_from=D(2025, 7, 1)
    )
    assessment_enter(
        household=east_household, assessed_on=D(2025, 3, 1), results=ALL_MET, assessed_by=office
    )
    assert due(office, as_of=D(2026, 1, 5), since=D(2025, 7, 1)) == [
        ("东村-001", "2025-H2", D(2025, 12, 31), None)
    ]
    assessment_enter(
        household=east_household, assessed_on=D(2025, 9, 1), results=ALL_MET, assessed_by=office
    )
    assert due(office, as_of=D(2026, 1, 5), since=D(2025, 7, 1)) == []
