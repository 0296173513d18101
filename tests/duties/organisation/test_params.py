"""Every number in a rule is a dated parameter (art. 44): written by 扶贫办 from a date after
today only, read through `in_force`, listed with its history on the parameters page."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from duties.models import RuleParameter
from duties.organisation.services import rule_parameter_save, rule_parameter_withdraw
from households.models import Household, Pairing
from visits.models import Problem, ProblemCategory
from visits.rules import PhoneContactRule, ProblemResolveRule
from xigang.obligations import Filters

D = datetime.date
TOMORROW = D(2026, 12, 1)  # the `today` fixture's day is 2026-11-30
OCTOBER = D(2026, 10, 1)


def schedule(office, rule, name, value, start, note=""):
    return rule_parameter_save(
        user=office, rule=rule, name=name, value=value, effective_from=start, note=note
    )


def refusals(call):
    with pytest.raises(ValidationError) as caught:
        call()
    return " ".join(caught.value.messages)


@pytest.fixture
def unvisited(east, pairing):
    household = Household.objects.create(number="东村-200", village=east, head_name="孙二")
    Pairing.objects.create(household=household, cadre=pairing.cadre, start=D(2026, 1, 1))
    return household


def phone_periods(office, as_of, since=OCTOBER):
    items = PhoneContactRule().overdue(user=office, as_of=as_of, since=since, filters=Filters())
    return [i.period for i in sorted(items, key=lambda i: i.period_start)]


def test_a_future_frequency_changes_nothing_today_and_applies_from_its_date(
    office, unvisited, today, time_machine
):
    before = phone_periods(office, today)
    pending = PhoneContactRule().pending(user=office, as_of=today, filters=Filters())
    schedule(office, "pairing.phone_contact", "months", 3, D(2027, 1, 1), "县里调整为每季度")
    assert phone_periods(office, today) == before == ["2026-10"]
    assert (
        [i.period for i in PhoneContactRule().pending(user=office, as_of=today, filters=Filters())]
        == [i.period for i in pending]
        == ["2026-11"]
    )
    # From its date on: the months before stay months, then quarters.
    time_machine.move_to(datetime.datetime(2027, 5, 10, 12))
    assert phone_periods(office, D(2027, 5, 10)) == ["2026-10", "2026-11", "2026-12", "2027-Q1"]
    pending = PhoneContactRule().pending(user=office, as_of=D(2027, 5, 10), filters=Filters())
    assert [(i.period, i.due) for i in pending] == [("2027-Q2", D(2027, 6, 30))]


def test_a_frequency_changes_on_the_first_day_of_a_period_of_both_frequencies(office, today):
    message = refusals(
        lambda: schedule(office, "pairing.phone_contact", "months", 3, D(2027, 2, 1))
    )
    assert "2027-02-01" in message and "第一天" in message
    assert "1、3、6、12" in refusals(
        lambda: schedule(office, "pairing.home_visit", "months", 2, D(2027, 1, 1))
    )
    assert not RuleParameter.objects.exists()
    # A later change must start a period of the one before it, too.
    schedule(office, "pairing.home_visit", "months", 12, D(2028, 1, 1))
    assert "2027-04-01" in refusals(
        lambda: schedule(office, "pairing.home_visit", "months", 6, D(2027, 4, 1))
    )
    schedule(office, "pairing.home_visit", "months", 6, D(2027, 7, 1))
    assert RuleParameter.objects.count() == 2


@pytest.mark.usefixtures("today")
def test_today_and_the_past_are_refused_and_what_is_in_force_is_kept(office):
    for start in (D(2026, 11, 30), D(2020, 1, 1)):
        message = refusals(lambda start=start: schedule(office, "emergency.aid", "days", 5, start))
        assert "之后的日期" in message
    assert not RuleParameter.objects.exists()
    in_force = RuleParameter.objects.create(
        rule="emergency.aid", name="days", value=5, effective_from=D(2026, 11, 30)
    )
    message = refusals(
        lambda: rule_parameter_save(
            user=office,
            rule="emergency.aid",
            name="days",
            value=3,
            effective_from=D(2027, 1, 1),
            parameter=in_force,
        )
    )
    assert "2026-11-30起生效" in message
    assert "不能修改或撤销" in refusals(
        lambda: rule_parameter_withdraw(user=office, parameter=in_force)
    )
    in_force.refresh_from_db()
    assert (in_force.value, in_force.effective_from) == (5, D(2026, 11, 30))


@pytest.mark.usefixtures("today")
def test_a_scheduled_change_may_be_corrected_or_withdrawn_before_its_date(office):
    change = schedule(office, "problem.resolve", "days", 20, D(2027, 1, 1))
    rule_parameter_save(
        user=office,
        rule="problem.resolve",
        name="days",
        value=25,
        effective_from=D(2027, 2, 1),
        parameter=change,
    )
    assert RuleParameter.objects.get().value == 25
    rule_parameter_withdraw(user=office, parameter=change)
    assert not RuleParameter.objects.exists()


@pytest.mark.usefixtures("today")
def test_only_the_office_changes_parameters(inspector, leader):
    root = get_user_model().objects.create_superuser("root", password="Xx-secret-2026")
    for user in (inspector, leader, root):
        message = refusals(lambda user=user: schedule(user, "emergency.aid", "days", 5, TOMORROW))
        assert "只有扶贫办" in message
    assert not RuleParameter.objects.exists()


def test_the_due_soon_window_is_a_dated_parameter(office, east_household, today):
    category = ProblemCategory.objects.order_by("id").first()
    problem = Problem.objects.create(
        household=east_household,
        category=category,
        department=category.department,
        description="漏雨",
        found_on=D(2026, 11, 20),
        due=D(2026, 12, 12),  # 12 days ahead: due soon under the default 14
    )
    rule = ProblemResolveRule()

    def soon(as_of):
        return [i.period for i in rule.pending(user=office, as_of=as_of, filters=Filters())]

    schedule(office, "problem.resolve", "due_soon_days", 10, TOMORROW)
    found = [problem.found_on.isoformat()]
    assert soon(today) == found  # 12 days ahead, the 14 still in force today
    assert soon(TOMORROW) == []  # 11 days ahead, 10 from tomorrow on
    assert soon(D(2026, 12, 2)) == found


# --- the page -----------------------------------------------------------------------------


@pytest.mark.usefixtures("today")
def test_the_page_lists_each_rule_its_article_parameters_and_history(
    client, office, django_assert_num_queries
):
    RuleParameter.objects.create(
        rule="emergency.aid", name="days", value=5, effective_from=D(2025, 1, 1), note="旧调整"
    )
    schedule(office, "emergency.aid", "days", 4, D(2027, 1, 1), "拟调整")
    client.force_login(office)
    client.get(reverse("duties:parameter_list"))  # the session warmed up
    # The session, the user and its scope (9), the parameters (1), the header's unread messages
    # (1); the same whatever the history holds.
    with django_assert_num_queries(9):
        page = client.get(reverse("duties:parameter_list")).content.decode()
    assert "规则参数" in page and "第四十条" in page and "第三十九条" in page
    assert "旧调整" in page and "拟调整" in page and "默认值" in page
    assert "计划生效" in page and "修正或撤销" in page
    assert "pairing.phone_contact" in page and "每期月数" in page


def test_town_roles_read_the_page_without_editing_it_others_do_not_see_it(
    client, inspector, east_cadre, today
):
    client.force_login(inspector)
    home = client.get(reverse("home")).content.decode()
    assert reverse("duties:parameter_list") in home
    page = client.get(reverse("duties:parameter_list")).content.decode()
    assert "第四十条" in page and "修正或撤销" not in page
    client.force_login(east_cadre)
    assert client.get(reverse("duties:parameter_list")).status_code == 403


def test_the_admin_says_who_may_change_and_withdraws_only_what_is_scheduled(client, office, today):
    root = get_user_model().objects.create_superuser("root", password="Xx-secret-2026")
    client.force_login(root)
    response = client.post(
        reverse("admin:duties_ruleparameter_add"),
        {"rule": "emergency.aid", "name": "days", "value": "5", "effective_from": "2027-01-01"},
    )
    assert response.status_code == 200 and "只有扶贫办可以调整规则参数" in response.content.decode()
    assert not RuleParameter.objects.exists()
    scheduled = schedule(office, "emergency.aid", "days", 5, D(2027, 1, 1))
    in_force = RuleParameter.objects.create(
        rule="emergency.aid", name="days", value=6, effective_from=D(2026, 1, 1)
    )
    client.force_login(office)
    for row, status in ((in_force, 403), (scheduled, 302)):
        url = reverse("admin:duties_ruleparameter_delete", args=[row.pk])
        assert client.post(url, {"post": "yes"}).status_code == status
    assert list(RuleParameter.objects.values_list("value", flat=True)) == [6]
