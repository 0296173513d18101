"""疑点 signals (art. 41): each kind found on records built to contain it, none on clean ones;
the job incremental and idempotent; the inspector's list scoped, with its queries pinned."""

import datetime

import pytest

from households.models import Household, Pairing
from oversight.models import Inspection, Signal, SignalRun
from oversight.services import signal_dismiss, signal_open_finding
from oversight.signals import compute_signals
from tests.conftest import SHANGHAI
from visits.models import Visit

pytestmark = pytest.mark.django_db

D = datetime.date
DISTINCT = [
    "户主腿疾复发，陪同到镇卫生院复查，落实慢病卡报销，叮嘱按时服药并注意休息",
    "查看新翻修的屋顶，雨季前检查排水沟，联系村里帮忙清理院内杂物和柴草堆",
    "孙子考上县一中，帮助申请雨露计划和助学金，讲解申请材料和截止时间",
    "商量扩大养鸡规模，介绍合作社收购渠道，约定下月带技术员上门指导防疫",
    "老人独居，联系邻居互助照看，更换了损坏的电线插座，留下紧急联系电话",
    "核对家庭成员变化，儿媳外出务工，登记务工地址和收入，更新明白卡内容",
]
LONG = "入户走访了解家庭收入情况，户主反映小麦收成较好，养殖两头猪，子女在镇中学就读，已享受教育资助，医保已缴纳，住房安全"


def _households(east, cadre, count, phone="13800000000"):
    found = []
    for i in range(count):
        h = Household.objects.create(
            number=f"东村-{100 + i}", village=east, head_name=f"户主{i}", phone=phone
        )
        Pairing.objects.create(household=h, cadre=cadre, start=D(2026, 1, 1))
        found.append(h)
    return found


def _visit(household, cadre, on, *, kind=Visit.Kind.HOME, content="", entered=None):
    visit = Visit.objects.create(
        household=household, cadre=cadre, kind=kind, on=on, content=content
    )
    # the entry time is the server's; the records here are built as if entered at `entered`
    entered = entered or datetime.datetime.combine(on, datetime.time(18), SHANGHAI)
    Visit.objects.filter(pk=visit.pk).update(created_at=entered)
    return visit


def _kinds():
    return sorted(Signal.objects.values_list("kind", flat=True))


@pytest.fixture
def cadre(pairing):
    return pairing.cadre


def test_it_finds_nothing_on_clean_records(east, cadre):
    households = _households(east, cadre, 6)
    for i, h in enumerate(households):
        _visit(h, cadre, D(2026, 4, 3) + datetime.timedelta(days=14 * i), content=DISTINCT[i])
        _visit(h, cadre, D(2026, 5, 2 + i), kind=Visit.Kind.PHONE, content="电话询问近况")
    compute_signals()
    assert _kinds() == []


def test_it_finds_copied_content_across_households(east, cadre):
    a, b, c = _households(east, cadre, 3)
    first = _visit(a, cadre, D(2026, 4, 10), content=LONG)
    copy = _visit(b, cadre, D(2026, 4, 20), content=LONG.replace("两头猪", "三头猪"))
    _visit(c, cadre, D(2026, 4, 25), content="查看住房安全情况")  # a stock phrase, too short
    compute_signals()
    signal = Signal.objects.get()
    assert (signal.kind, signal.cadre, signal.period) == ("copied", cadre, "2026-Q2")
    assert signal.evidence[0]["visits"] == [first.pk, copy.pk]
    assert signal.evidence[0]["similarity"] >= 90


def test_a_text_copied_into_several_households_gives_each_pair_once(east, cadre, inspector):
    a, b, c, d = _households(east, cadre, 4)
    visits = [_visit(h, cadre, D(2026, 4, 10 + i), content=LONG) for i, h in enumerate((a, b, c))]
    _visit(d, cadre, D(2026, 4, 20), content=DISTINCT[0])
    again = _visit(a, cadre, D(2026, 5, 20), content=LONG).pk  # no copy of a's own note
    compute_signals()
    signal = Signal.objects.get()
    first, second, third = (v.pk for v in visits)
    assert [item["visits"] for item in signal.evidence] == [
        [first, second],
        [first, third],
        [second, third],
        [second, again],
        [third, again],
    ]
    assert compute_signals(full=True).signals_written == 0


def test_the_prints_are_datasketchs_minhash():
    from datasketch import MinHash

    from oversight.signals import NUM_PERM, Prints, normalized

    texts = [normalized(t) for t in (*DISTINCT, LONG, "短")]
    expected = MinHash.bulk(
        [{t[i : i + 3].encode() for i in range(max(1, len(t) - 2))} for t in texts],
        num_perm=NUM_PERM,
    )
    prints = Prints()
    prints.minhashes(texts[:3])  # a later batch reuses the 3-grams hashed before
    assert [list(v) for v in prints.minhashes(texts)] == [list(m.hashvalues) for m in expected]


def test_it_finds_copied_content_across_cadres_on_a_later_run(east, cadre, west_pairing, west):
    (a,) = _households(east, cadre, 1)
    other = Household.objects.create(number="西村-100", village=west, head_name="王五")
    Pairing.objects.create(household=other, cadre=west_pairing.cadre, start=D(2026, 1, 1))
    _visit(a, cadre, D(2026, 4, 10), content=LONG)
    compute_signals()
    assert _kinds() == []
    _visit(other, west_pairing.cadre, D(2026, 5, 10), content=LONG)
    run = compute_signals()
    assert run.visits_read == 1  # incremental: only the new visit is read
    signal = Signal.objects.get()
    assert (signal.kind, signal.cadre) == ("copied", west_pairing.cadre)


def test_it_finds_a_burst_of_back_filled_visits(east, cadre):
    households = _households(east, cadre, 8)
    sitting = datetime.datetime(2026, 7, 20, 21, 0, tzinfo=SHANGHAI)
    for i, h in enumerate(households):
        on = D(2026, 4, 1) + datetime.timedelta(days=7 * i)
        _visit(h, cadre, on, entered=sitting + datetime.timedelta(minutes=2 * i))
    compute_signals()
    signal = Signal.objects.get(kind="burst")
    assert (signal.cadre, signal.period, signal.score) == (cadre, "2026-07-20", 8.0)


def test_entries_spread_over_the_day_are_no_burst(east, cadre):
    households = _households(east, cadre, 8)
    for i, h in enumerate(households):
        entered = datetime.datetime(2026, 7, 20, 8 + i, 0, tzinfo=SHANGHAI)
        _visit(h, cadre, D(2026, 4, 1) + datetime.timedelta(days=7 * i), entered=entered)
    compute_signals()
    assert "burst" not in _kinds()


def test_it_finds_visits_bunched_on_the_quarters_last_days(east, cadre):
    households = _households(east, cadre, 5)
    for i, h in enumerate(households):
        _visit(h, cadre, D(2026, 6, 26 + i))
    compute_signals()
    signal = Signal.objects.get(kind="bunched")
    assert (signal.cadre, signal.period, signal.score) == (cadre, "2026-Q2", 5.0)


def test_it_finds_visits_entered_right_after_the_overdue_list_named_them(east, cadre):
    households = _households(east, cadre, 3)
    for i, h in enumerate(households):
        # dated in May, entered on 3 July: the quarter was overdue on 1 July
        entered = datetime.datetime(2026, 7, 3, 9, 10 * i, tzinfo=SHANGHAI)
        _visit(h, cadre, D(2026, 5, 5 + 10 * i), entered=entered)
    compute_signals()
    signal = Signal.objects.get(kind="after_overdue")
    assert (signal.period, signal.score) == ("2026-Q2", 3.0)


def test_it_finds_calls_to_households_with_no_phone(east, cadre):
    (with_phone,) = _households(east, cadre, 1)
    no_phone = Household.objects.create(number="东村-200", village=east, head_name="赵六")
    Pairing.objects.create(household=no_phone, cadre=cadre, start=D(2026, 1, 1))
    _visit(with_phone, cadre, D(2026, 5, 6), kind=Visit.Kind.PHONE)
    call = _visit(no_phone, cadre, D(2026, 5, 7), kind=Visit.Kind.PHONE)
    compute_signals()
    signal = Signal.objects.get()
    assert (signal.kind, signal.period, signal.evidence) == (
        "no_phone",
        "2026-05",
        [{"id": str(call.pk), "visits": [call.pk]}],
    )


def test_a_run_again_changes_nothing_and_a_dismissed_signal_stays(east, cadre, inspector):
    households = _households(east, cadre, 5)
    for i, h in enumerate(households):
        _visit(h, cadre, D(2026, 6, 26 + i))
    compute_signals()
    signal = Signal.objects.get()
    signal_dismiss(signal=signal, reason="季末集中走访，已核实属实", user=inspector)
    run = compute_signals(full=True)
    assert Signal.objects.count() == 1 and run.signals_written == 0
    signal.refresh_from_db()
    assert signal.status == "dismissed"
    assert SignalRun.objects.count() == 2


def test_a_finding_opened_from_a_signal_keeps_its_evidence(east, cadre, inspector):
    from duties.models import Article, Department

    households = _households(east, cadre, 5)
    for i, h in enumerate(households):
        _visit(h, cadre, D(2026, 6, 26 + i))
    compute_signals()
    signal = Signal.objects.get()
    inspection = Inspection.objects.create(
        title="数字脱贫专项检查",
        department=Department.objects.get(name="镇纪委"),
        started_on=D(2026, 7, 1),
    )
    finding = signal_open_finding(
        signal=signal,
        inspection=inspection,
        article=Article.objects.get(number=41),
        description="季末突击补记走访",
        deadline=D(2026, 12, 31),
        user=inspector,
    )
    signal.refresh_from_db()
    assert (signal.status, signal.finding, finding.cadre) == ("finding", finding, cadre)
    assert finding.evidence[0]["items"] == signal.evidence


def test_a_dismissal_needs_a_reason(east, cadre, inspector):
    from django.core.exceptions import ValidationError

    households = _households(east, cadre, 5)
    for i, h in enumerate(households):
        _visit(h, cadre, D(2026, 6, 26 + i))
    compute_signals()
    with pytest.raises(ValidationError) as error:
        signal_dismiss(signal=Signal.objects.get(), reason=" ", user=inspector)
    assert "reason" in error.value.message_dict


def test_the_list_is_the_inspectors_with_its_queries_pinned(
    client, cast, east, cadre, django_assert_num_queries
):
    for i, h in enumerate(_households(east, cadre, 5)):
        _visit(h, cadre, D(2026, 6, 26 + i))
        _visit(h, cadre, D(2026, 5, 1 + i), kind=Visit.Kind.PHONE)
    Household.objects.update(phone="")
    compute_signals()
    assert Signal.objects.count() >= 2
    client.force_login(cast["inspector"])
    client.get("/oversight/signals/")  # warm the session and the scope
    # the request's own: session, user, permissions, groups (twice: permissions and scope),
    # department grants, cadre, the header's unread messages; the page's: the count and the rows
    # with their person and village, whatever their number
    with django_assert_num_queries(10):
        response = client.get("/oversight/signals/")
    assert "季末" not in response.content.decode()
    assert response.status_code == 200 and cadre.name in response.content.decode()
    for role in ("leader", "office", "dept", "east_cadre", "pairing", "outsider"):
        client.force_login(cast[role])
        signal = Signal.objects.first()
        assert client.get(f"/oversight/signals/{signal.pk}/").status_code == (
            200 if role in ("leader", "office") else 404
        ), role
