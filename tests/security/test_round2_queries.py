"""M5: the overdue list answers bounded questions only, on the JSON, the pages and the command."""

import datetime
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from xigang import obligations

pytestmark = pytest.mark.django_db


def _refuse_engine(monkeypatch):
    def computed(**kwargs):
        raise AssertionError("a refused query must not reach the engine")

    monkeypatch.setattr(obligations, "overdue_items", computed)
    monkeypatch.setattr(obligations, "overdue_tallies", computed)


def _json(client, user, params):
    client.force_login(user)
    response = client.get(reverse("dashboard:overdue_json"), params)
    return response, json.loads(response.content)


def test_m5_a_century_wide_query_is_refused_with_400_in_chinese(client, office, monkeypatch):
    _refuse_engine(monkeypatch)
    response, data = _json(
        client, office, {"since": "2016-01-01", "as_of": "2100-12-31", "limit": "1"}
    )
    assert response.status_code == 400
    assert "items" not in data
    assert "超出可查询范围" in data["error"] and "2019-06-15" in data["error"]
    assert "截止日期 2100-12-31" in data["error"] and "起始日期 2016-01-01" in data["error"]


def _year_from_today() -> datetime.date:
    today = timezone.localdate()
    return datetime.date(today.year + 1, today.month, min(today.day, 28))


@pytest.mark.parametrize(
    "params, message",
    [
        ({"as_of": "2026-11-29", "since": "2019-06-14"}, "超出可查询范围"),
        ({"as_of": "2019-06-14", "since": "2019-06-14"}, "细则施行之日"),
        ({"as_of": "2022-06-16", "since": "2019-06-15"}, "每次最多查询 3 年"),
        ({"as_of": "2026-11-29", "since": "2023-11-28"}, "超过 3 年"),
    ],
)
def test_m5_dates_out_of_bounds_or_too_far_apart_are_refused(
    client, office, monkeypatch, params, message
):
    _refuse_engine(monkeypatch)
    response, data = _json(client, office, params)
    assert response.status_code == 400
    assert message in data["error"]


def test_m5_the_bounds_themselves_are_allowed(client, office):
    for params in (
        {"as_of": "2022-06-15", "since": "2019-06-15"},  # exactly three years
        {"as_of": "2026-11-29", "since": "2023-11-29"},
        {"as_of": _year_from_today().isoformat()},  # since: its default
    ):
        response, data = _json(client, office, params)
        assert response.status_code == 200, data
        assert data["as_of"] == params["as_of"]


def test_m5_a_default_since_never_falls_before_the_regulation(client, office):
    response, data = _json(client, office, {"as_of": "2019-09-30"})
    assert response.status_code == 200
    assert data["since"] == "2019-06-15"


def test_m5_the_span_allowed_is_a_setting(client, office, settings, monkeypatch):
    _refuse_engine(monkeypatch)
    settings.OVERDUE_QUERY_MAX_YEARS = 1
    response, data = _json(client, office, {"as_of": "2026-11-29", "since": "2025-10-01"})
    assert response.status_code == 400
    assert "每次最多查询 1 年" in data["error"]


def test_m5_a_page_shows_the_forms_error(client, office, monkeypatch):
    _refuse_engine(monkeypatch)
    client.force_login(office)
    for name in ("home", "dashboard:items", "dashboard:items_xlsx"):
        response = client.get(reverse(name), {"since": "2016-01-01"})
        assert response.status_code == 400
        assert "起始日期 2016-01-01 超出可查询范围" in response.content.decode()


def test_m5_the_command_refuses_with_a_chinese_command_error(db, monkeypatch):
    _refuse_engine(monkeypatch)
    with pytest.raises(CommandError, match="超出可查询范围") as refused:
        call_command("overdue", "--as-of=2100-12-31", "--since=2016-01-01")
    assert "截止日期 2100-12-31" in str(refused.value)
    assert "起始日期 2016-01-01" in str(refused.value)
    with pytest.raises(CommandError, match="超过 3 年"):
        call_command("overdue", "--as-of=2026-11-29", "--since=2020-01-01")
