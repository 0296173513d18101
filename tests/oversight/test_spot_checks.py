"""Spot checks (抽查, arts. 5, 41): a repeatable draw, the household's answers compared with the
records, a finding proposed for each contradiction."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from duties.models import Department
from households.models import Assessment, Household, Pairing
from oversight.models import Signal, SpotCheckAnswer
from oversight.services import first_secretary_save
from oversight.spot_checks import sample, spot_check_answer, spot_check_draw
from visits.models import Visit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("today")]

D = datetime.date


@pytest.fixture
def households(east, pairing):
    found = []
    for i in range(20):
        h = Household.objects.create(number=f"东村-{i:03d}", village=east, head_name=f"户主{i}")
        Pairing.objects.create(household=h, cadre=pairing.cadre, start=D(2026, 1, 1))
        found.append(h)
    return found


def _unit(name="镇纪委"):
    return Department.objects.get(name=name)


def test_a_draw_repeated_with_its_seed_gives_the_same_sample(households, east, inspector):
    check = spot_check_draw(department=_unit(), user=inspector, size=5, village=east)
    drawn = [a.household for a in check.answers.order_by("position")]
    again = sample(village=east, cadre=None, on=check.drawn_on, size=5, seed=check.seed)
    assert again == drawn and len(set(drawn)) == 5
    other = sample(village=east, cadre=None, on=check.drawn_on, size=5, seed=check.seed + 1)
    assert other != drawn


def test_a_draw_by_cadre_picks_the_cadres_households(households, pairing, west, inspector):
    Household.objects.create(number="西村-900", village=west, head_name="外人")
    check = spot_check_draw(
        department=_unit("督查科"), user=inspector, size=50, cadre=pairing.cadre
    )
    assert sorted(a.household.number for a in check.answers.all()) == sorted(
        h.number for h in households
    )


def _answer(check, household):
    return SpotCheckAnswer.objects.get(spot_check=check, household=household)


def test_a_mismatch_proposes_a_finding(households, east, pairing, inspector):
    household = households[0]
    Visit.objects.create(
        household=household, cadre=pairing.cadre, kind=Visit.Kind.HOME, on=D(2026, 10, 9)
    )
    Assessment.objects.create(
        household=household, item="housing", met=True, assessed_on=D(2026, 3, 1)
    )
    check = spot_check_draw(department=_unit(), user=inspector, size=20, village=east)
    answer = spot_check_answer(
        answer=_answer(check, household),
        user=inspector,
        visited="no",
        visitor="",
        knows_name=False,
        knows_phone=True,
        housing=False,
    )
    assert [m["item"] for m in answer.mismatches] == ["visited", "knows_name", "housing"]
    assert answer.answered_by == inspector and answer.answered_at is not None
    signal = Signal.objects.get()
    assert (signal.kind, signal.cadre, signal.period, signal.status) == (
        "spot_check",
        pairing.cadre,
        "2026-Q4",
        "open",
    )


def test_answers_that_agree_propose_nothing(households, east, pairing, inspector):
    household = households[1]
    Visit.objects.create(
        household=household, cadre=pairing.cadre, kind=Visit.Kind.HOME, on=D(2026, 10, 9)
    )
    check = spot_check_draw(department=_unit(), user=inspector, size=20, village=east)
    answer = spot_check_answer(
        answer=_answer(check, household),
        user=inspector,
        visited="yes",
        visitor="pairing",
        knows_name=True,
        knows_phone=True,
        food=True,
    )
    assert answer.mismatches == [] and not Signal.objects.exists()


def test_organisation_draws_only_where_a_first_secretary_serves(households, east, west, office):
    organisation = _unit("组织科")
    with pytest.raises(ValidationError) as error:
        spot_check_draw(department=organisation, user=office, size=3, village=east)
    assert "village" in error.value.message_dict
    from tests.conftest import make_user
    from xigang import roles

    secretary = make_user("fs", roles.VILLAGE, east, name="第一书记甲")
    first_secretary_save(
        cadre=secretary.cadre,
        village=east,
        sending_unit="县财政局",
        started_on=D(2026, 1, 1),
        user=office,
    )
    assert spot_check_draw(department=organisation, user=office, size=3, village=east).size == 3


def test_a_department_other_than_the_checking_units_cannot_draw(
    households, east, civil_affairs, dept
):
    with pytest.raises(ValidationError) as error:
        spot_check_draw(department=civil_affairs, user=dept, size=3, village=east)
    assert "department" in error.value.message_dict


def test_the_answer_form_on_a_phone(client, households, east, inspector):
    check = spot_check_draw(department=_unit(), user=inspector, size=2, village=east)
    answer = check.answers.first()
    client.force_login(inspector)
    page = client.get(f"/oversight/spot-checks/answers/{answer.pk}/")
    assert "入户" in page.content.decode() or page.status_code == 200
    refused = client.post(f"/oversight/spot-checks/answers/{answer.pk}/", {})
    assert (
        refused.status_code == 200
        and not SpotCheckAnswer.objects.filter(answered_at__isnull=False).exists()
    )
    saved = client.post(
        f"/oversight/spot-checks/answers/{answer.pk}/", {"visited": "unsure", "knows_name": "true"}
    )
    assert saved.status_code == 302
    answer.refresh_from_db()
    assert (answer.visited, answer.knows_name, answer.knows_phone) == ("unsure", True, None)
