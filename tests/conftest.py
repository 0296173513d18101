"""What every test directory shares: the cast, its world, workbooks, the hasher and the clock.

The cast, one user per role plus an outsider, around two villages:
- leader (镇领导), office (扶贫办), inspector (纪检督查): the whole town
- dept (部门, 民政科)
- east_cadre (村干部, 东村) and west_cadre (村干部, 西村)
- pairing (帮扶责任人, 东村), paired with the household 东村-001 since 2026-01-01
- west_pairing (帮扶责任人, 西村), paired with nobody until a test pairs them
- outsider: signed in, no role
A directory that needs more people builds them with `make_user`, on the same villages.
"""

import datetime
import socket
import zoneinfo

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save

from duties.models import Department, PartyBranch, Village
from duties.organisation.services import cadre_save
from households.models import Household, Pairing
from visits.models import Visit
from xigang import history, kept, roles
from xigang.obligations import state_refresh

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# The day `today` sets the clock to: a month's last day, so "this month" is still pending.
FROZEN_DAY = datetime.date(2026, 11, 30)


# --- the world and the cast -------------------------------------------------------------------


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


def make_user(username, role, unit=None, *, name=None):
    """A user holding one role, with their cadre record in `unit` (a Village or Department)."""
    return cadre_save(username=username, name=name or username, unit=unit, roles=[role]).user


@pytest.fixture
def leader(db):
    return make_user("leader", roles.LEADER)


@pytest.fixture
def office(db):
    return make_user("office", roles.OFFICE, Department.objects.get(name="扶贫办"))


@pytest.fixture
def inspector(db):
    return make_user("inspector", roles.INSPECTOR, Department.objects.get(name="镇纪委"))


@pytest.fixture
def dept(civil_affairs):
    return make_user("dept", roles.DEPARTMENT, civil_affairs)


@pytest.fixture
def east_cadre(east):
    return make_user("east_cadre", roles.VILLAGE, east)


@pytest.fixture
def west_cadre(west):
    return make_user("west_cadre", roles.VILLAGE, west)


@pytest.fixture
def pairing(east):
    return make_user("pairing", roles.PAIRING, east)


@pytest.fixture
def west_pairing(west):
    return make_user("west_pairing", roles.PAIRING, west)


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


# --- workbooks ----------------------------------------------------------------------------------


def redis_up() -> bool:
    """Whether the machine's Redis answers on 127.0.0.1:6379 (the redis-marked tests)."""
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


def workbook(path, headers, rows, title=None):
    """Write an .xlsx as the offices make them and return `path`: the title line(s) (a string or
    a list of strings), each merged across the columns, then the header row, then the rows with
    their cells as given (numbers, dates and None stay what they are)."""
    book = openpyxl.Workbook()
    sheet = book.active
    titles = [title] if isinstance(title, str) else list(title or [])
    for line in titles:
        sheet.append([line])
        if len(headers) > 1:  # a single column has nothing to merge
            at = sheet.max_row
            sheet.merge_cells(start_row=at, start_column=1, end_row=at, end_column=len(headers))
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


# --- settings every test gets -----------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    """Passwords set in tests and their fixtures hash with MD5, not the deliberately slow
    production hasher. No test checks the production hashers; one that did would set
    settings.PASSWORD_HASHERS back in its own body."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _second_factor_off_unless_asked(request, settings):
    """The second factor (扶贫办, the three posts) is enforced in production; tests that sign in
    with force_login skip it unless they are marked `second_factor` (tests/security)."""
    if "second_factor" not in request.keywords:
        settings.OTP_REQUIRED = False


@pytest.fixture(autouse=True)
def _site_language_after_each_test():
    """A request in English (a django_language cookie) leaves English active in the worker's
    thread (LocaleMiddleware activates, never deactivates): the next test would read English
    messages. Each test ends back in the site's language."""
    yield
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _history_anchors_per_test(settings, tmp_path):
    """Each test's history anchors in its own folder: a test database starts empty."""
    settings.HISTORY_ANCHOR_DIR = tmp_path / "anchors"


@pytest.fixture(autouse=True)
def _no_actor_left_by_a_command():
    """A command names its operator for the rest of its process (`history.set_actor`); a test
    that runs one must not lend that name to the next test's changes."""
    token = history._context.set(None)
    yield
    history._context.reset(token)


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


# --- the clock ----------------------------------------------------------------------------------


@pytest.fixture
def today(time_machine):
    """For tests whose result depends on the date (what is late or pending, dates refused as in
    the future, pairings active today): the clock set to noon of FROZEN_DAY in Shanghai, ticking
    on from there. A test at a boundary (a quarter's or month's last day) sets its own moment
    instead: time_machine.move_to(datetime.datetime(2026, 6, 30, 23, 30, tzinfo=SHANGHAI))."""
    time_machine.move_to(datetime.datetime.combine(FROZEN_DAY, datetime.time(12), SHANGHAI))
    return FROZEN_DAY


@pytest.fixture(autouse=True)
def _tasks_run_inline(settings):
    """Background jobs run at once, inside the test (tests/notices runs the real workers)."""
    settings.TASKS = {
        "default": {"BACKEND": settings.TASK_BACKENDS["immediate"], "QUEUES": ["default"]}
    }


# --- the overdue list's two sources (issue 18) ----------------------------------------------------


def _refresh_saved(sender, instance, **kwargs):
    """Tests write visits and pairings with the ORM as well as through the services: each such
    write refreshes the stored state the way the services do (bulk writes call it themselves)."""
    state_refresh(households=[instance.household_id])


@pytest.fixture(params=["engine", "state"])
def obligation_source(request, settings, db):
    """Run a test of the overdue semantics against the engine and against the stored state
    (`visits.state`): built at the start, then kept by every write."""
    settings.OBLIGATION_SOURCE = request.param
    if request.param == "engine":
        yield request.param
        return
    state_refresh(households=None)
    for model in (Visit, Pairing):
        post_save.connect(_refresh_saved, sender=model, dispatch_uid="state-test")
        post_delete.connect(_refresh_saved, sender=model, dispatch_uid="state-test")
    try:
        yield request.param
    finally:
        for model in (Visit, Pairing):
            post_save.disconnect(sender=model, dispatch_uid="state-test")
            post_delete.disconnect(sender=model, dispatch_uid="state-test")


@pytest.fixture(autouse=True)
def _no_answer_kept_from_another_test(request):
    """Answers are kept per process under the tables' versions (xigang.kept); a flush empties
    the noted changes, so a later test's versions could repeat an earlier one's. A test marked
    `cold` pins what computing an answer costs: none is kept."""
    kept.clear()
    if "cold" not in request.keywords:
        yield
        return
    with kept.afresh():
        yield
