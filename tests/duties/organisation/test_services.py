"""Scope follows the cadre's unit, its roles and its 包村干部 assignments."""

import pytest

from duties.organisation.services import cadre_save, village_assignments_set
from xigang import roles
from xigang.scope import scope_of

pytestmark = pytest.mark.django_db


def _reach(cadre):
    user = type(cadre.user).objects.get(pk=cadre.user_id)
    scope = scope_of(user)
    return scope.village_ids, scope.department_ids


def test_a_village_cadre_who_loses_the_role_loses_the_village(east):
    cadre = cadre_save(username="zhao", name="赵", unit=east, roles=[roles.VILLAGE, roles.PAIRING])
    assert _reach(cadre) == ({east.pk}, set())
    cadre = cadre_save(username="zhao", name="赵", unit=east, roles=[roles.PAIRING])
    assert _reach(cadre) == (set(), set())


def test_department_staff_who_lose_the_role_lose_the_department(civil_affairs):
    cadre = cadre_save(username="qian", name="钱", unit=civil_affairs, roles=[roles.DEPARTMENT])
    assert _reach(cadre) == (set(), {civil_affairs.pk})
    cadre = cadre_save(username="qian", name="钱", unit=civil_affairs, roles=[roles.PAIRING])
    assert _reach(cadre) == (set(), set())


def test_an_assignment_keeps_the_village_when_the_unit_role_goes(east):
    cadre = cadre_save(username="zhao", name="赵", unit=east, roles=[roles.VILLAGE])
    village_assignments_set(village=east, cadres=[cadre])
    cadre = cadre_save(username="zhao", name="赵", unit=east, roles=[roles.PAIRING])
    assert _reach(cadre) == ({east.pk}, set())


def test_ending_an_assignment_keeps_the_village_of_its_own_cadre(east, west, civil_affairs):
    own = cadre_save(username="zhao", name="赵", unit=east, roles=[roles.VILLAGE])
    town = cadre_save(username="qian", name="钱", unit=civil_affairs, roles=[roles.DEPARTMENT])
    village_assignments_set(village=east, cadres=[own, town])
    village_assignments_set(village=west, cadres=[town])
    village_assignments_set(village=east, cadres=[])
    assert _reach(own) == ({east.pk}, set())
    assert _reach(town) == ({west.pk}, {civil_affairs.pk})
