"""Answers kept between requests until the data they read changes (xigang.kept, issue 18): every
write path moves a version, a kept answer equals a fresh one after any write, and none rests on
a write rolled back."""

import datetime
import decimal
import re
import uuid

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from duties.models import Village
from households.models import Household, Pairing
from households.services import pairing_start
from tests.conftest import make_user, redis_up, workbook
from tests.dashboard.conftest import AS_OF, PAIRED_SINCE
from visits.models import Problem, ProblemCategory, Visit
from visits.services import emergency_report, problem_report, problem_resolve, visit_record
from xigang import kept, obligations, roles
from xigang.ledgers import get_kind, import_ledger
from xigang.models import Change

D = datetime.date
TEXT = "入户了解收入和就医情况"
SINCE = D(2025, 10, 1)
Q = {"as_of": AS_OF.isoformat(), "since": SINCE.isoformat()}


def _contact(user, on, *, kind=Visit.Kind.PHONE, by=None, reason="", number="东村-001"):
    """A visit recorded through the service, as the phone form records it."""
    return visit_record(
        household=Household.objects.get(number=number), cadre=user.cadre, kind=kind, on=on,
        content=TEXT, entered_by=by or user, late_reason=reason,
    )  # fmt: skip


def _version(table: str) -> int:
    return kept.versions().tables.get(table, 0)


def _lists(user) -> tuple:
    """Everything the pages ask the engine, as comparable values."""
    ask = {"user": user, "as_of": AS_OF, "since": SINCE}
    tallies, later = obligations.tallies_and_met_later(**ask)
    first, count = obligations.overdue_page(**ask, end=5)
    return (
        [i.as_json() for i in obligations.overdue_items(**ask)],
        sorted(map(repr, tallies)),
        sorted(map(repr, later)),
        [i.as_json() for i in first],
        count,
        [i.as_json() for i in obligations.pending_items(user=user, as_of=AS_OF)],
    )


def _page(response) -> str:
    """The page as read: the form tokens, new for each response, left out."""
    return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", response.content.decode())


def _fresh(user) -> tuple:
    with kept.afresh():
        return _lists(user)


@pytest.mark.django_db
def test_every_write_path_moves_the_version_of_its_table(east):
    before = _version("duties_village")
    Village.objects.create(name="南村")  # a save
    assert _version("duties_village") > before
    for write in (
        lambda: Village.objects.filter(name="南村").update(name="南村一"),  # a bulk update
        lambda: Village.objects.bulk_create([Village(name="北村")]),
        lambda: connection.cursor().execute("DELETE FROM duties_village WHERE name = '北村'"),
    ):
        before = _version("duties_village")
        write()
        assert _version("duties_village") > before


@pytest.mark.django_db
def test_signing_in_does_not_move_the_users_version(client, inspector):
    before = _version("auth_user")
    client.force_login(inspector)  # writes last_login
    assert _version("auth_user") == before
    User.objects.filter(pk=inspector.pk).update(first_name="李")
    assert _version("auth_user") > before


def test_a_second_look_at_the_dashboard_is_served_from_the_kept_answers(
    client, town, django_assert_num_queries
):
    client.force_login(town["inspector"])
    client.get("/", Q)  # generates the duties' obligations due by today: a write
    first = client.get("/", Q)
    # The session, the user and reach (5), the versions, the visits charts (2), the user's
    # permissions and roles, the unread notices: no rule's.
    with django_assert_num_queries(11):
        again = client.get("/", Q)
    assert _page(again) == _page(first)


def test_a_visit_recorded_on_the_phone_leaves_the_inspectors_list_at_once(client, town):
    inspector, pairing = town["inspector"], town["pairing"]
    client.force_login(inspector)
    url = reverse("dashboard:overdue_json")
    owed = {(i["household"], i["period"]) for i in client.get(url, Q).json()["items"]}
    assert ("东村-001", "2026-10") in owed
    _contact(pairing, D(2026, 10, 20))
    now = {(i["household"], i["period"]) for i in client.get(url, Q).json()["items"]}
    assert owed - now == {("东村-001", "2026-10")}


def test_after_a_day_of_mixed_writes_every_kept_answer_equals_a_fresh_one(
    settings, tmp_path, town, east
):
    """Services, a ledger import, a handover, a back-filled visit, a problem resolved, a bulk
    update and raw SQL: after each, the lists read through the kept answers are the engine's."""
    settings.GO_LIVE = D(2026, 1, 1)
    inspector, office, pairing = town["inspector"], town["office"], town["pairing"]
    other = make_user("other_pairing", roles.PAIRING, east)
    east_household = Household.objects.get(number="东村-001")
    second = Household.objects.create(number="东村-002", village=east, head_name="王五")
    pairings = workbook(
        tmp_path / "pairings.xlsx",
        ["户编号", "帮扶责任人", "开始日期", "结束日期"],
        [["东村-002", "pairing", "2026/1/1", ""]],
    )
    visits = workbook(
        tmp_path / "visits.xlsx",
        ["户编号", "帮扶责任人", "方式", "日期", "内容", "发现问题", "补录原因"],
        [["东村-002", "pairing", "电话", "2026/4/8", TEXT, "", "纸质记录补登"]],
    )
    steps = [
        lambda: _contact(pairing, D(2026, 11, 2), kind=Visit.Kind.HOME),
        lambda: _contact(pairing, D(2026, 9, 15), by=office, reason="纸质记录补登"),
        lambda: import_ledger(get_kind("pairings")(office), pairings),
        lambda: import_ledger(get_kind("visits")(office), visits),
        lambda: pairing_start(household=east_household, cadre=other.cadre, start=D(2026, 11, 16)),
        lambda: problem_report(
            household=second,
            category=ProblemCategory.objects.get(name="低保五保"),
            description="家中老人患病，需申请低保",
            found_on=D(2026, 6, 1),
            entered_by=pairing,
        ),  # fmt: skip
        lambda: problem_resolve(
            problem=Problem.objects.get(household=second),
            resolution="已办理低保",
            resolved_on=D(2026, 11, 20),
            user=town["dept"],
        ),  # fmt: skip
        lambda: Problem.objects.filter(household=second).update(due=D(2026, 6, 15)),
        lambda: emergency_report(  # 民政科 (dept) answers for every household's case
            household=Household.objects.get(number="西村-001"),
            cause="因病",
            expense=decimal.Decimal("20000"),
            occurred_on=D(2026, 10, 1),
            reported_on=D(2026, 10, 2),
            entered_by=office,
        ),
        lambda: Pairing.objects.filter(household=second).update(start=PAIRED_SINCE),
        lambda: connection.cursor().execute(
            "UPDATE households_household SET status = 'closed' WHERE number = '东村-002'"
        ),
    ]
    users = [inspector, pairing, other, town["east_cadre"], town["dept"]]
    for user in users:
        _lists(user)  # every answer kept
    for step in steps:
        step()
        for user in users:
            assert _lists(user) == _fresh(user), step


def test_an_answer_read_inside_a_transaction_is_kept_for_nobody(town):
    inspector, pairing = town["inspector"], town["pairing"]
    before = _fresh(inspector)
    with transaction.atomic():
        _contact(pairing, D(2026, 10, 20))
        inside = _lists(inspector)
        assert inside == _fresh(inspector) != before
        transaction.set_rollback(True)
    # Another write to the same tables, committed: its versions may equal the rolled-back ones.
    _contact(pairing, D(2026, 9, 20))
    assert _lists(inspector) == _fresh(inspector) != inside


def test_every_rule_keeps_its_answers(town):
    """No rule reads a table without a trigger (its answers would be computed every time)."""
    for user in (town["inspector"], town["pairing"], town["east_cadre"], town["dept"]):
        kept.clear()
        _lists(user)
        kept_rules = {key[1] for key in kept._kept}
        assert kept_rules == {rule.id for rule in obligations.rules()}, user


def test_the_whole_town_shares_its_answers_and_a_cadre_keeps_his_own(town, east):
    _lists(town["inspector"])  # generates the duties' obligations due by today: a write
    _lists(town["inspector"])
    entries = len(kept._kept)
    _lists(town["leader"])  # the whole town as well: served the same answers
    assert len(kept._kept) == entries
    _lists(town["pairing"])
    assert len(kept._kept) > entries


def _noted_groups() -> int:
    """How many (table, household) the changes' rows note: compacted, one row each."""
    return Change.objects.values_list("table", "household").distinct().count()


def test_compacting_keeps_every_version(town):
    _contact(town["pairing"], D(2026, 10, 20))
    household = [Household.objects.get(number="东村-001").pk]
    before, of_household = kept.versions().tables, kept.versions(household).tables
    removed = kept.compact()
    assert removed > 0
    assert kept.versions().tables == before
    assert kept.versions(household).tables == of_household
    assert _noted_groups() == Change.objects.count()


@pytest.mark.django_db
def test_the_scope_objects_and_grants_are_versioned_the_sessions_not(east):
    tables = kept.versioned()
    assert {"duties_cadre", "duties_village", "auth_user_groups"} <= tables.keys()
    assert any(t.startswith("guardian_") for t in tables)
    assert "django_session" not in tables and "xigang_change" not in tables
    before = _version("duties_cadre")
    make_user("new_pairing", roles.PAIRING, east)
    assert _version("duties_cadre") > before


def test_the_answers_kept_stay_within_their_bound(settings, town):
    """Least recently used answers go first once the rows kept pass `KEPT_ROWS`."""
    settings.KEPT_ROWS = 10**6
    _lists(town["inspector"])
    _lists(town["inspector"])
    everything = kept._size
    settings.KEPT_ROWS = everything // 2
    _lists(town["pairing"])
    assert 0 < kept._size <= everything // 2
    assert any(key[-1][0] != "whole town" for key in kept._kept)  # the cadre's, just kept


def test_a_ledger_import_leaves_one_noted_row_per_table(tmp_path, town, east):
    """SQLite notes every row a bulk import writes; the import folds them, so the pages' read
    of the versions stays short."""
    rows = [[f"东村-{n:03d}", "pairing", "2026/1/1", ""] for n in range(2, 40)]
    for number, *_rest in rows:
        Household.objects.create(number=number, village=east, head_name="王五")
    pairings = workbook(
        tmp_path / "pairings.xlsx", ["户编号", "帮扶责任人", "开始日期", "结束日期"], rows
    )
    before = kept.versions().tables
    assert import_ledger(get_kind("pairings")(town["office"]), pairings).ok
    after = kept.versions().tables
    assert after["households_pairing"] > before["households_pairing"]
    assert Change.objects.count() == _noted_groups()


def _kept_for(user) -> dict:
    """The answers kept for `user`'s own reach, by key: the same objects while they are served."""
    return {
        key: entry[2]
        for key, entry in kept._kept.items()
        if isinstance(who := key[-1][0], tuple) and who[1] == user.get_username()
    }


def test_a_cadres_answers_stay_kept_across_other_households_writes(town):
    """A village or pairing cadre's answers count the writes of their own households' rows
    only: a visit in the other village leaves them served as kept, one in theirs does not."""
    east_users = (town["pairing"], town["east_cadre"])
    _lists(town["inspector"])  # generates the duties' obligations due by today: a write
    for user in east_users:
        _lists(user)
    answers = {user: _kept_for(user) for user in east_users}
    _contact(town["west_pairing"], D(2026, 10, 20), number="西村-001")
    for user in east_users:
        assert _lists(user) == _fresh(user)
        assert all(_kept_for(user)[key] is value for key, value in answers[user].items()), user
    assert _lists(town["inspector"]) == _fresh(town["inspector"])  # the whole town's moved
    _contact(town["pairing"], D(2026, 10, 20))  # in their own village
    for user in east_users:
        assert _lists(user) == _fresh(user)
        assert any(_kept_for(user)[key] is not value for key, value in answers[user].items())


def test_a_departments_answers_stay_kept_across_visits_outside_its_households(town):
    """A department's answers count the visits of the households routed to it only; what is
    routed to it moves them whichever household it comes from, and then that household's
    visits do; 民政科's move with every household's 救急难 case."""
    dept, west = town["dept"], Household.objects.get(number="西村-001")
    _lists(town["inspector"])  # generates the duties' obligations due by today: a write
    _lists(dept)
    answers = _kept_for(dept)
    _contact(town["west_pairing"], D(2026, 10, 20), number="西村-001")
    assert _lists(dept) == _fresh(dept)
    assert all(_kept_for(dept)[key] is value for key, value in answers.items())
    problem_report(
        household=west,
        category=ProblemCategory.objects.get(name="低保五保"),  # routed to 民政科, dept's
        description="家中老人患病，需申请低保",
        found_on=D(2026, 6, 1),
        entered_by=town["west_pairing"],
    )
    assert _lists(dept) == _fresh(dept)
    answers = _kept_for(dept)
    _contact(town["west_pairing"], D(2026, 9, 20), number="西村-001")
    assert _lists(dept) == _fresh(dept)
    assert any(_kept_for(dept)[key] is not value for key, value in answers.items())
    before = _lists(dept)
    emergency_report(  # 民政科 answers for every household's 救急难 case
        household=Household.objects.get(number="东村-001"),
        cause="因病",
        expense=decimal.Decimal("20000"),
        occurred_on=D(2026, 10, 1),
        reported_on=D(2026, 10, 2),
        entered_by=town["office"],
    )
    assert _lists(dept) == _fresh(dept) != before


# --- shared between the web processes (settings.KEPT_SHARED) -------------------------------


@pytest.fixture
def shared(settings):
    """The shared store on the machine's Redis, under a namespace of the test's own (a test's
    answers rest on its transaction, rolled back after it)."""
    if not redis_up():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    settings.KEPT_SHARED = "redis://127.0.0.1:6379/14"
    store = {"LOCATION": settings.KEPT_SHARED, "KEY_PREFIX": uuid.uuid4().hex, "TIMEOUT": 300}
    settings.CACHES = {**settings.CACHES, "kept": {**settings.CACHES["kept"], **store}}


def _read_by_another_worker(user) -> tuple[tuple, list[str]]:
    """`_lists(user)` in a process that keeps nothing yet, and the statements it ran."""
    kept.clear()
    with CaptureQueriesContext(connection) as read:
        lists = _lists(user)
    return lists, [q["sql"] for q in read.captured_queries]


def _rules_computed(statements: list[str]) -> bool:
    """Whether any statement but the reads of the versions and of the reach's households ran."""
    reach = 'SELECT "households_household"."id" AS "pk" FROM "households_household" WHERE'
    return any("xigang_change" not in sql and not sql.startswith(reach) for sql in statements)


@pytest.mark.redis
def test_a_worker_reads_the_answers_another_computed(shared, town):
    pairing, inspector = town["pairing"], town["inspector"]
    _lists(inspector)  # generates the duties' obligations due by today: a write
    for user in (inspector, pairing):
        first = _lists(user)
        again, statements = _read_by_another_worker(user)
        assert again == first == _fresh(user)
        assert not _rules_computed(statements), statements  # only the versions were read
    _contact(pairing, D(2026, 10, 20))  # moves the visits' versions: what was shared is old
    for user in (inspector, pairing):
        lists, statements = _read_by_another_worker(user)
        assert _rules_computed(statements)
        assert lists == _fresh(user)


@pytest.mark.redis
def test_nothing_shared_from_another_database_or_too_large_is_read(shared, settings, town):
    inspector = town["inspector"]
    _lists(inspector)
    _lists(inspector)
    # The database made again (same name, a new epoch): what the old one shared is not its own.
    Change.objects.filter(table=kept.EPOCH).update(n=F("n") + 1)
    assert _rules_computed(_read_by_another_worker(inspector)[1])
    assert not _rules_computed(_read_by_another_worker(inspector)[1])
    settings.KEPT_SHARED_ROWS = 0  # every answer too large to share: each process its own
    _contact(town["pairing"], D(2026, 10, 20))
    _lists(inspector)
    assert _rules_computed(_read_by_another_worker(inspector)[1])


def test_pages_are_served_when_the_shared_store_is_down(client, settings, town, caplog):
    settings.KEPT_SHARED = "redis://127.0.0.1:9/0"  # nothing listens there
    settings.CACHES = {
        **settings.CACHES,
        "kept": {**settings.CACHES["kept"], "LOCATION": settings.KEPT_SHARED},
    }
    client.force_login(town["inspector"])
    response = client.get(reverse("dashboard:overdue_json"), Q)
    assert response.status_code == 200
    fresh = [
        i.as_json()
        for i in obligations.overdue_items(user=town["inspector"], as_of=AS_OF, since=SINCE)
    ]
    assert response.json()["items"] == fresh
    assert "kept: the shared store could not be" in caplog.text


def test_a_shared_key_is_the_same_in_every_process():
    """Sets are sorted: a str's hash, hence a set's order, differs from process to process."""
    scope = obligations.Filters(village="东村")
    one = kept._canonical((frozenset({"帮扶责任人", "村干部"}), scope, D(2026, 12, 1)))
    two = kept._canonical((frozenset({"村干部", "帮扶责任人"}), scope, D(2026, 12, 1)))
    assert (
        one
        == two
        == (
            ("set", "帮扶责任人", "村干部"),
            ("Filters", "东村", None, None, None, None),
            D(2026, 12, 1),
        )
    )
