"""The generation mark: its counts say whether a full pass is needed, and the migration that
turned its encoded string into columns converts existing marks both ways."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from duties.models import Duty, DutySchedule, GenerationMark, Obligation
from duties.schedules.generation import ensure_generated

D = datetime.date
BEFORE = [("duties", "0005_obligation_event_description")]
AFTER = [("duties", "0006_generationmark_counts")]


@pytest.mark.django_db
def test_it_counts_the_schedules_and_villages_it_generated_from(east, west):
    ensure_generated(through=D(2026, 6, 30))
    mark = GenerationMark.objects.get()
    schedules = list(DutySchedule.objects.all())
    assert mark.through == D(2026, 6, 30)
    assert mark.schedule_count == len(schedules)
    assert mark.schedule_last_pk == max(s.pk for s in schedules)
    assert mark.schedule_last_recorded_at == max(s.recorded_at for s in schedules)
    assert (mark.village_count, mark.village_last_pk) == (2, max(east.pk, west.pk))


@pytest.mark.django_db
def test_an_edited_schedule_brings_a_full_pass(east):
    ensure_generated(through=D(2026, 6, 30))
    duty = Duty.objects.get(article_id=36, clause=1)
    Obligation.objects.filter(village=east, duty=duty, period_label="2026-Q1").delete()
    ensure_generated(through=D(2026, 6, 30))
    assert not Obligation.objects.filter(village=east, duty=duty, period_label="2026-Q1").exists()
    schedule = DutySchedule.objects.get(duty=duty)
    schedule.evidence += "（修订）"
    schedule.save()  # a new recorded_at
    ensure_generated(through=D(2026, 6, 30))
    assert Obligation.objects.filter(village=east, duty=duty, period_label="2026-Q1").exists()


def _mark_model(executor, target):
    return executor.loader.project_state(target).apps.get_model("duties", "GenerationMark")


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    return _mark_model(MigrationExecutor(connection), target)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_turns_encoded_marks_into_columns_and_back():
    signatures = [
        "s103:205:2026-11-30 02:03:04.000005+00:00|v61:61",
        "s0:None:None|v0:None",
    ]
    try:
        old = _migrate(BEFORE)
        old.objects.all().delete()
        for pk, signature in enumerate(signatures, start=1):
            old.objects.create(pk=pk, through=D(2026, 9, 30), signature=signature)
        old.objects.create(pk=3, through=D(2026, 9, 30), signature="garbled")

        new = _migrate(AFTER)
        rows = list(
            new.objects.order_by("pk").values_list(
                "pk",
                "through",
                "schedule_count",
                "schedule_last_pk",
                "schedule_last_recorded_at",
                "village_count",
                "village_last_pk",
            )
        )
        moment = datetime.datetime(2026, 11, 30, 2, 3, 4, 5, tzinfo=datetime.UTC)
        assert rows == [
            (1, D(2026, 9, 30), 103, 205, moment, 61, 61),
            (2, D(2026, 9, 30), 0, None, None, 0, None),
        ]  # the unreadable mark is dropped: the next read generates and marks again

        old = _migrate(BEFORE)
        assert list(old.objects.order_by("pk").values_list("signature", flat=True)) == signatures
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
