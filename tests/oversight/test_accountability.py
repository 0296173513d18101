"""Accountability (art. 43): the ladder, 从重 when an inspection found the case, the discipline
referral, and the 5.3 通报 obligation of 组织科 that each decision opens."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from duties.models import Article, Department, Obligation
from oversight.models import Accountability, Finding, Inspection
from oversight.services import accountability_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("today")]

D = datetime.date
M, S = Accountability.Measure, Accountability.Severity


@pytest.fixture
def finding(east):
    inspection = Inspection.objects.create(
        title="专项检查", department=Department.objects.get(name="镇纪委"), started_on=D(2026, 9, 1)
    )
    return Finding.objects.create(
        inspection=inspection,
        article=Article.objects.get(number=41),
        description="走访记录弄虚作假",
        found_on=D(2026, 9, 5),
        deadline=D(2026, 10, 5),
        village=east,
    )


def _record(user, **kw):
    base = {"decided_on": D(2026, 11, 2), "reason": "走访不实", "user": user}
    return accountability_record(**(base | kw))


@pytest.mark.parametrize(
    ("severity", "allowed"),
    [
        (S.MINOR, {M.EDUCATION, M.ADMONITION}),
        (S.SERIOUS, {M.CIRCULAR, M.APOLOGY}),
        (S.GRAVE, {M.TRANSFER, M.DISMISSAL}),
    ],
)
def test_each_severity_takes_its_own_measures(inspector, pairing, severity, allowed):
    for measure in M.values:
        if measure in allowed:
            assert _record(inspector, severity=severity, measure=measure, cadre=pairing.cadre).pk
        else:
            with pytest.raises(ValidationError):
                _record(inspector, severity=severity, measure=measure, cadre=pairing.cadre)


def test_a_case_found_by_inspection_takes_the_heavier_measure(inspector, finding, east):
    with pytest.raises(ValidationError) as error:
        _record(inspector, severity=S.MINOR, measure=M.EDUCATION, finding=finding)
    assert "从重" in " ".join(error.value.message_dict["measure"])
    decision = _record(inspector, severity=S.MINOR, measure=M.ADMONITION, finding=finding)
    assert (decision.aggravated, decision.village, decision.created_by) == (True, east, inspector)


def test_discipline_is_a_referral_on_top_of_a_measure(inspector, pairing):
    with pytest.raises(ValidationError):
        _record(inspector, severity=S.GRAVE, measure=M.DISCIPLINE, cadre=pairing.cadre)
    with pytest.raises(ValidationError) as error:
        _record(
            inspector,
            severity=S.GRAVE,
            measure=M.DISMISSAL,
            cadre=pairing.cadre,
            referral="移送县纪委",
        )
    assert "referral" in error.value.message_dict
    decision = _record(
        inspector,
        severity=S.GRAVE,
        measure=M.DISMISSAL,
        cadre=pairing.cadre,
        referral="移送县纪委",
        referred_on=D(2026, 11, 3),
    )
    assert decision.referral == "移送县纪委"


def test_a_decision_opens_the_organisations_circular_obligation(inspector, pairing, east):
    first = _record(inspector, severity=S.SERIOUS, measure=M.CIRCULAR, cadre=pairing.cadre)
    same_day = _record(inspector, severity=S.MINOR, measure=M.EDUCATION, village=east)
    obligation = Obligation.objects.get(duty__article_id=5, duty__clause=3)
    assert first.obligation == same_day.obligation == obligation
    assert (obligation.department.name, obligation.period_start, obligation.status) == (
        "组织科",
        D(2026, 11, 2),
        "open",
    )


def test_the_finding_page_holds_to_account_with_the_heavier_measure(client, inspector, finding):
    url = f"/oversight/findings/{finding.pk}/"
    client.force_login(inspector)
    base = {
        "action": "measure",
        "severity": S.SERIOUS,
        "decided_on": "2026-11-02",
        "reason": "不实",
    }
    refused = client.post(url, base | {"measure": M.CIRCULAR})
    assert refused.status_code == 200 and "从重" in refused.content.decode()
    assert not Accountability.objects.exists()
    assert client.post(url, base | {"measure": M.APOLOGY}).status_code == 302
    decision = Accountability.objects.get()
    assert (decision.measure, decision.aggravated, decision.finding) == (M.APOLOGY, True, finding)


def test_the_admin_refuses_a_decision_off_the_ladder_without_an_error_page(client, inspector, east):
    client.force_login(inspector)
    data = {
        "village": east.pk,
        "severity": S.MINOR,
        "measure": M.DISMISSAL,
        "decided_on": "2026-11-02",
        "reason": "不实",
        "referral": "移送县纪委",
    }
    response = client.post("/admin/oversight/accountability/add/", data)
    page = response.content.decode()
    assert response.status_code == 200 and "第四十三条" in page and "移送日期" in page
    assert not Accountability.objects.exists()


def test_both_forms_explain_the_heavier_measure_in_chinese(client, inspector, finding):
    """从重 as the 中国共产党纪律处分条例 (2023) art. 22(2) defines it: within the measures the
    step allows, the heavier; not 加重 (art. 23(2)), one step beyond. Art. 43's 从重 for a case
    an inspection found therefore keeps the case's own step: a minor case takes 诫勉谈话, never
    a serious case's 通报批评. Both the portal's and the admin's forms say so."""
    with pytest.raises(ValidationError):
        _record(inspector, severity=S.MINOR, measure=M.CIRCULAR, finding=finding)
    assert _record(inspector, severity=S.MINOR, measure=M.ADMONITION, finding=finding).aggravated
    client.force_login(inspector)
    for url in (f"/oversight/findings/{finding.pk}/", "/admin/oversight/accountability/add/"):
        page = client.get(url).content.decode()
        assert "在本档两项措施中给予较重的一项，不跨档" in page, url
