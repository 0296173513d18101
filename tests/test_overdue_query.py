"""xigang.overdue_query: one form for the overdue list's parameters, same names and messages on
the JSON and in the `overdue` command."""

import datetime
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from xigang.overdue_query import OverdueQueryForm, default_since

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 11, 30)


def _form(**data):
    form = OverdueQueryForm(data, today=TODAY)
    form.is_valid()
    return form


def test_the_defaults_are_today_and_a_year_of_whole_quarters():
    form = _form()
    assert form.is_valid()
    assert (form.cleaned_data["as_of"], form.cleaned_data["since"]) == (TODAY, D(2025, 10, 1))
    assert default_since(D(2026, 1, 1)) == D(2025, 1, 1)
    assert form.paging() is None
    assert form.filters().rule is None and form.filters().article is None


def test_it_reads_every_filter_and_the_paging():
    form = _form(
        as_of="2026-07-15",
        since="2026-01-01",
        village=" 东村 ",
        department="民政科",
        cadre="pairing",
        rule="pairing.home_visit",
        article="39",
        due_before="2026-05-01",
        offset="20",
    )
    assert form.is_valid(), form.errors
    filters = form.filters()
    assert (filters.village, filters.department, filters.cadre) == ("东村", "民政科", "pairing")
    assert (filters.rule, filters.article) == ("pairing.home_visit", 39)
    assert form.cleaned_data["due_before"] == D(2026, 5, 1)
    assert form.paging() == (20, None)


def test_every_error_is_reported_at_once():
    form = _form(as_of="2026-02-30", rule="nope", article="46", limit="x")
    assert len(form.messages()) == 4


def test_a_huge_number_is_refused_not_converted():
    assert "offset 应在 0 到 999999999 之间" in _form(offset="9" * 5000).messages()


@pytest.mark.parametrize(
    "params, message",
    [
        ({"as_of": "2026-13-01"}, "截止日期「2026-13-01」不是日期"),
        ({"since": "2026-12-01"}, "起始日期 2026-12-01 晚于截止日期 2026-11-29"),
        ({"rule": "pairing.visit"}, "未知的规则「pairing.visit」；现有规则："),
        ({"article": "四十"}, "条款「四十」不是数字"),
        ({"article": "46"}, "条款须在第1条至第45条之间"),
    ],
)
def test_the_json_and_the_command_give_the_same_message(client, office, params, message):
    query = {"as_of": "2026-11-29", "since": "2026-01-01", **params}
    client.force_login(office)
    response = client.get(reverse("dashboard:overdue_json"), query)
    assert response.status_code == 400
    error = json.loads(response.content)["error"]
    assert message in error
    options = [f"--{key.replace('_', '-')}={value}" for key, value in query.items()]
    with pytest.raises(CommandError) as refused:
        call_command("overdue", *options)
    assert str(refused.value) == error


def test_the_command_takes_article(east_household, pairing, tmp_path):
    out = tmp_path / "overdue.json"

    def rules(article):
        call_command(
            "overdue",
            "--as-of=2026-07-15",
            "--since=2026-01-01",
            f"--article={article}",
            "--format=json",
            f"--output={out}",
        )
        return {item["rule"] for item in json.loads(out.read_text(encoding="utf-8"))["items"]}

    assert rules(39) == {"pairing.home_visit", "pairing.phone_contact"}
    assert rules(41) == set()
