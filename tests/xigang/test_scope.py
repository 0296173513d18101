"""The scope module: who sees which households (the row-scope matrix)."""

import pytest
from django.http import Http404

from households.models import Household
from xigang.scope import get_visible_or_404, mask_id, scope_of, visible

pytestmark = pytest.mark.django_db


def _numbers(user):
    return sorted(visible(user, Household.objects.all()).values_list("number", flat=True))


@pytest.mark.usefixtures("today")
def test_it_gives_each_role_exactly_its_households(cast, east_household, west_household):
    expected = {
        "leader": ["东村-001", "西村-001"],
        "office": ["东村-001", "西村-001"],
        "inspector": ["东村-001", "西村-001"],
        "dept": [],  # nothing routed to 民政科 yet
        "east_cadre": ["东村-001"],
        "west_cadre": ["西村-001"],
        "pairing": ["东村-001"],
        "outsider": [],
    }
    assert {name: _numbers(user) for name, user in cast.items()} == expected


def test_it_answers_404_for_another_villages_household(east_cadre, west_household):
    with pytest.raises(Http404):
        get_visible_or_404(east_cadre, Household.objects.all(), pk=west_household.pk)


def test_it_adds_up_scopes_of_several_roles(east_cadre, west, west_household):
    from duties.organisation.services import grant_village
    from xigang.scope import invalidate

    grant_village(east_cadre, west)
    invalidate(east_cadre)
    assert "西村-001" in _numbers(east_cadre)


def test_it_masks_id_numbers_for_roles_that_do_not_keep_the_registry(cast):
    number = "11010519491231002X"
    assert mask_id(cast["office"], number) == number
    assert mask_id(cast["east_cadre"], number) == number
    assert mask_id(cast["pairing"], number) == "110105********002X"
    assert mask_id(cast["inspector"], number) == "110105********002X"


def test_it_computes_the_reach_in_a_fixed_number_of_queries(
    django_assert_max_num_queries, east_cadre
):
    east_cadre = type(east_cadre).objects.get(pk=east_cadre.pk)
    # groups, village grants (user ∪ group), department grants (user ∪ group), cadre
    with django_assert_max_num_queries(4):
        scope_of(east_cadre)
    with django_assert_max_num_queries(0):
        scope_of(east_cadre)


def test_it_lets_民政科_reach_every_emergency_case_and_no_other_department(
    dept, east_household, west_household, civil_affairs
):
    import datetime
    from decimal import Decimal

    from duties.models import Department
    from duties.organisation.services import cadre_save
    from visits.models import EmergencyCase
    from xigang import roles

    for household in (east_household, west_household):
        EmergencyCase.objects.create(
            household=household,
            cause="因病",
            expense=Decimal("20000"),
            occurred_on=datetime.date(2026, 3, 1),
            reported_on=datetime.date(2026, 3, 1),
        )
    water = cadre_save(
        username="water",
        name="水利站干部",
        unit=Department.objects.get(name="水利站"),
        roles=[roles.DEPARTMENT],
    ).user
    assert visible(dept, EmergencyCase.objects.all()).count() == 2
    assert visible(water, EmergencyCase.objects.all()).count() == 0


def test_it_shows_every_signed_in_user_the_units_the_regulation_names(cast):
    from duties.models import Department

    names = {name: visible(user, Department.objects.all()).count() for name, user in cast.items()}
    assert names == {name: 30 for name in cast}
    from django.contrib.auth.models import AnonymousUser

    assert visible(AnonymousUser(), Department.objects.all()).count() == 0
