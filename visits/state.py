"""The visit rules' stored state (issue 18): each owed (rule, household, period) kept with what
met it, so that the lists read the open rows instead of recomputing every period.

`refresh` is the one writer: `xigang.obligations.state_refresh` calls it from the services and
ledger imports that change visits, pairings or households, in their transaction. It recomputes
the households' rows with the engine's own conditions (`visits.rules`), one DELETE and one
INSERT … SELECT per rule and chunk of households. Without households it rebuilds every row
through the current period (the daily task, `check_obligations --rebuild`); that also moves the
coverage (`VisitStateBuilt`) on to a new period or calendar.
"""

from __future__ import annotations

import datetime
import json

from django.db import connection, transaction
from django.utils import timezone

from duties.organisation.params import period_steps
from households.models import Household, Pairing
from visits.models import VisitState, VisitStateBuilt
from visits.rules import HomeVisitRule, PairingRule, PhoneContactRule, meeting_sql, owed_sql
from xigang.obligations import REGULATION_START
from xigang.periods import Period, Steps, stepped_period_of, stepped_periods_between

CHUNK = 500  # households per statement: well under SQLite's bound on parameters


def steps_key(steps: Steps) -> str:
    """A calendar as `VisitStateBuilt.steps` stores it."""
    return json.dumps([[start.isoformat(), kind] for start, kind in steps])


def _steps_of(key: str) -> Steps:
    return tuple((datetime.date.fromisoformat(start), kind) for start, kind in json.loads(key))


def visit_rules() -> list[PairingRule]:
    return [HomeVisitRule(), PhoneContactRule()]


def _fresh(
    rule: PairingRule, periods: list[Period], households: list[int] | None
) -> tuple[str, str, list]:
    """The rows of `rule` recomputed from the visits and pairings for `periods` and
    `households` (None: all), by the engine's conditions: (the WITH clause of the periods, the
    SELECT, their parameters)."""
    cast = "::date" if connection.vendor == "postgresql" else ""
    values = ", ".join(f"(%s{cast}, %s{cast})" for _ in periods)
    params: list = [value for p in periods for value in (p.start, p.end)]
    pairing = Pairing._meta.db_table
    kinds = list(rule.kinds)
    meeting = meeting_sql(pairing, len(kinds), "1 = 1")
    first = "ORDER BY w.created_at, w.id LIMIT 1"
    in_scope = "1 = 1"
    if households is not None:
        in_scope = f"h.id IN ({', '.join('%s' for _ in households)})"
    false = "FALSE" if connection.vendor == "postgresql" else "0"
    text = "::text" if connection.vendor == "postgresql" else ""
    select = f"""SELECT %s{text}, h.id, pr.ps, pr.pe,
       (SELECT p.cadre_id FROM {pairing} p
         WHERE p.household_id = h.id AND p.start <= pr.pe AND (p."end" IS NULL OR p."end" >= pr.pe)
         ORDER BY p.start DESC, p.id DESC LIMIT 1),
       ({meeting.format('MIN(w."on")')}),
       ({meeting.format("MIN(w.created_at)")}),
       COALESCE(({meeting.format("w.late_entry")} {first}), {false})
  FROM periods pr
 CROSS JOIN {Household._meta.db_table} h
 WHERE {in_scope}
   AND {owed_sql(pairing)}"""
    params += [rule.id, *kinds, *kinds, *kinds, *(households or [])]
    return f"WITH periods (ps, pe) AS (VALUES {values})", select, params


COLUMNS = "rule, household_id, period_start, period_end, cadre_id, first_on, met_at, met_late"


def _insert(rule: PairingRule, periods: list[Period], households: list[int] | None) -> None:
    """Insert the owed rows of `rule` for `periods` and `households` (None: all)."""
    with_, select, params = _fresh(rule, periods, households)
    sql = f"{with_}\nINSERT INTO {VisitState._meta.db_table} ({COLUMNS})\n{select}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _covered(coverage: VisitStateBuilt) -> list[Period]:
    steps = _steps_of(coverage.steps)
    return stepped_periods_between(
        steps, coverage.first, coverage.through + datetime.timedelta(days=1)
    )


def differences(rule: PairingRule) -> int:
    """How many (household, period) rows of `rule` differ between the stored state and a
    recomputation from scratch (missing, extra or changed): 0 unless a write went round
    `refresh`."""
    coverage = VisitStateBuilt.objects.filter(rule=rule.id).first()
    if coverage is None:
        return 0
    periods = _covered(coverage)
    if not periods:
        return 0
    with_, select, params = _fresh(rule, periods, None)
    stored = f"SELECT {COLUMNS} FROM {VisitState._meta.db_table} WHERE rule = %s"  # noqa: S608
    sql = f"""{with_}, fresh ({COLUMNS}) AS ({select}), stored AS ({stored})
SELECT COUNT(*) FROM (
  SELECT household_id, period_start FROM (SELECT * FROM fresh EXCEPT SELECT * FROM stored) a
  UNION
  SELECT household_id, period_start FROM (SELECT * FROM stored EXCEPT SELECT * FROM fresh) b
) differing"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, rule.id])
        return int(cursor.fetchone()[0])


def check(*, rebuild: bool) -> dict[str, int]:
    """The differences of each visit rule (`differences`); with `rebuild`, every row rebuilt
    afterwards, through today's period (the nightly run)."""
    found = {rule.id: differences(rule) for rule in visit_rules()}
    if rebuild:
        refresh(households=None)
    return found


def _delete(rule: PairingRule, households: list[int] | None) -> None:
    """Delete the rows of `rule` for `households` (None: all), in one statement: no model
    deletion (the rows are derived, the change history records their causes)."""
    sql = f"DELETE FROM {VisitState._meta.db_table} WHERE rule = %s"  # noqa: S608
    if households is not None:
        sql += f" AND household_id IN ({', '.join('%s' for _ in households)})"
    with connection.cursor() as cursor:
        cursor.execute(sql, [rule.id, *(households or [])])


@transaction.atomic
def refresh(*, households: list[int] | None) -> None:
    """Recompute the stored rows of `households` (ids), or rebuild them all with None."""
    if households is None:
        for rule in visit_rules():
            _rebuild(rule)
        return
    built = {b.rule: b for b in VisitStateBuilt.objects.all()}
    for rule in visit_rules():
        coverage = built.get(rule.id)
        if coverage is None:
            continue  # never built: the engine answers until the first rebuild
        periods = _covered(coverage)
        for i in range(0, len(households), CHUNK):
            chunk = households[i : i + CHUNK]
            _delete(rule, chunk)
            if periods:
                _insert(rule, periods, chunk)


def _rebuild(rule: PairingRule) -> None:
    """Every row of `rule`, through the current period (of today's calendar)."""
    steps = period_steps(rule.id)
    current = stepped_period_of(steps, timezone.localdate())
    periods = stepped_periods_between(steps, REGULATION_START, current.end + datetime.timedelta(1))
    _delete(rule, None)
    if periods:
        _insert(rule, periods, None)
    VisitStateBuilt.objects.update_or_create(
        rule=rule.id,
        defaults={
            "steps": steps_key(steps),
            "first": periods[0].start if periods else current.start,
            "through": current.end,
        },
    )
