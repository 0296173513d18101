"""The shared cast: one user per role, plus an outsider, around two villages.

- leader (镇领导), office (扶贫办), inspector (纪检督查): the whole town
- dept (部门, 民政科)
- east_cadre (村干部, 东村) and west_cadre (村干部, 西村)
- pairing (帮扶责任人), paired with the household 东村-001 since 2026-01-01
- outsider: signed in, no role
"""

import datetime

import pytest
from django.contrib.auth import get_user_model

from duties.models import Department, PartyBranch, Village
from duties.organisation.services import cadre_save
from households.models import Household, Pairing
from xigang import roles


@pytest.fixture
def branch(db):
    return PartyBranch.objects.create(name="西岗党总支")


@pytest.fixture
def east(branch):
    return Village.objects.create(name="东村", branch=branch)


@pytest.fixture
def west(branch):
    return Village.objects.create(name="西村", branch=branch)


@pytest.fixture
def civil_affairs(db):
    return Department.objects.get(name="民政科")


def _user(username, role, unit=None):
    return cadre_save(username=username, name=username, unit=unit, roles=[role]).user


@pytest.fixture
def leader(db):
    return _user("leader", roles.LEADER)


@pytest.fixture
def office(db):
    return _user("office", roles.OFFICE, Department.objects.get(name="扶贫办"))


@pytest.fixture
def inspector(db):
    return _user("inspector", roles.INSPECTOR, Department.objects.get(name="镇纪委"))


@pytest.fixture
def dept(civil_affairs):
    return _user("dept", roles.DEPARTMENT, civil_affairs)


@pytest.fixture
def east_cadre(east):
    return _user("east_cadre", roles.VILLAGE, east)


@pytest.fixture
def west_cadre(west):
    return _user("west_cadre", roles.VILLAGE, west)


@pytest.fixture
def pairing(east):
    return _user("pairing", roles.PAIRING, east)


@pytest.fixture
def outsider(db):
    return get_user_model().objects.create_user("outsider", password="x-Unused-9")


@pytest.fixture
def east_household(east, pairing):
    household = Household.objects.create(number="东村-001", village=east, head_name="张三")
    Pairing.objects.create(
        household=household, cadre=pairing.cadre, start=datetime.date(2026, 1, 1)
    )
    return household


@pytest.fixture
def west_household(west):
    return Household.objects.create(number="西村-001", village=west, head_name="李四")


@pytest.fixture
def cast(leader, office, inspector, dept, east_cadre, west_cadre, pairing, outsider):
    return {
        "leader": leader,
        "office": office,
        "inspector": inspector,
        "dept": dept,
        "east_cadre": east_cadre,
        "west_cadre": west_cadre,
        "pairing": pairing,
        "outsider": outsider,
    }


@pytest.fixture(autouse=True)
def _second_factor_off_unless_asked(request, settings):
    """The second factor (扶贫办, the three posts) is enforced in production; tests that sign in
    with force_login skip it unless they are marked `second_factor` (tests/security)."""
    if "second_factor" not in request.keywords:
        settings.OTP_REQUIRED = False


@pytest.fixture(autouse=True)
def _history_anchors_per_test(settings, tmp_path):
    """Each test's history anchors in its own folder: a test database starts empty."""
    settings.HISTORY_ANCHOR_DIR = tmp_path / "anchors"


@pytest.fixture(autouse=True, scope="session")
def _flush_lifts_the_history_guard():
    """Tests that flush the database (live_server, transaction=True) empty the history too, which
    the guard triggers refuse: in tests only, flush drops them first and puts them back."""
    import importlib

    from django.db import connection

    guard = importlib.import_module("xigang.migrations.0006_history_guard_all_vendors")
    ops = type(connection.ops)
    original = ops.sql_flush

    def sql_flush(self, style, tables, *args, **kwargs):
        statements = original(self, style, tables, *args, **kwargs)
        if "xigang_auditentry" not in tables:
            return statements
        vendor = self.connection.vendor  # PostgreSQL flushes by TRUNCATE: no row trigger fires
        return [*guard.DROP.get(vendor, []), *statements, *guard.CREATE.get(vendor, [])]

    ops.sql_flush = sql_flush  # type: ignore[method-assign]
    yield
    ops.sql_flush = original  # type: ignore[method-assign]
