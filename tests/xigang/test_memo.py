"""A read-only page reads each shared input once; anything else reads afresh (xigang.memo)."""

import datetime

import pytest

from duties.models import RuleParameter
from duties.organisation.params import in_force
from xigang.memo import reads_once

D = datetime.date


@pytest.mark.django_db
def test_a_page_reads_the_parameters_once_for_every_rule(django_assert_num_queries):
    with reads_once(), django_assert_num_queries(1):
        assert in_force("pairing.home_visit", "months").on(D(2026, 1, 1)) == 3
        assert in_force("problem.resolve", "days").on(D(2026, 1, 1)) == 30
        assert in_force("pairing.home_visit", "months").on(D(2026, 1, 1)) == 3


@pytest.mark.django_db
def test_outside_a_page_every_ask_reads_what_is_stored(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert in_force("problem.resolve", "days").on(D(2026, 6, 1)) == 30
    RuleParameter.objects.create(
        rule="problem.resolve", name="days", effective_from=D(2026, 1, 1), value=20
    )
    assert in_force("problem.resolve", "days").on(D(2026, 6, 1)) == 20
    with reads_once():  # a new page sees the change too
        assert in_force("problem.resolve", "days").on(D(2026, 6, 1)) == 20


@pytest.mark.django_db
def test_a_page_reads_the_same_rows_once_and_each_shape_apart(django_assert_num_queries):
    from duties.models import Village
    from xigang.memo import rows

    Village.objects.create(name="东村")
    villages = Village.objects.filter(name__in=["东村", "西村"]).order_by("name")
    with reads_once(), django_assert_num_queries(3):
        assert rows(villages.values_list("name", flat=True)) == ["东村"]
        assert rows(villages.values_list("name", flat=True)) == ["东村"]
        assert rows(villages.values_list("name")) == [("东村",)]
        assert rows(villages.filter(name="西村").values_list("name", flat=True)) == []
        assert rows(villages.none()) == []
    with django_assert_num_queries(2):  # outside a page: each ask reads
        rows(villages.values_list("name", flat=True))
        rows(villages.values_list("name", flat=True))
