"""What the registry's ledgers share: duplicate keys in a file, the households a row may name,
cell formatting for exports."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count
from django.utils.translation import gettext as _

from households.models import Household, Member
from xigang.ledgers import Report, Row, RowError
from xigang.scope import scope_of, visible

BATCH = 2000


def duplicate_keys(
    rows: list[Row], key: Callable[[Row], Hashable], header: str, report: Report
) -> set[int]:
    """A natural key may appear once in a file: a second row would silently undo the first.
    Returns the row numbers refused."""
    first_row: dict[Hashable, int] = {}
    refused = set()
    for row in rows:
        value = key(row)
        if value is None:
            continue
        if value in first_row:
            report.errors.append(
                RowError(
                    row.number,
                    header,
                    _("the same record already appears in row %(row)d") % {"row": first_row[value]},
                )
            )
            refused.add(row.number)
        else:
            first_row[value] = row.number
    return refused


def yes_no(value: bool) -> str:
    return "是" if value else "否"


def none_if_blank(value: Any) -> Any:
    return None if value == "" else value


def in_scope(user: User | AnonymousUser, households: Iterable[dict[str, Any]]) -> set[int]:
    """Ids of the households the user keeps (no query for the whole-town roles, else one)."""
    if scope_of(user).whole_town:
        return {h["id"] for h in households}
    return set(visible(user, Household.objects.all()).values_list("id", flat=True))


def household_numbers(user: User | AnonymousUser) -> tuple[dict[str, dict[str, Any]], set[int]]:
    """Every household by number (one query) and the ids of those in the user's scope."""
    households = {
        number: {"id": pk, "number": number, "size": size, "status": status}
        for pk, number, size, status in Household.objects.values_list(
            "id", "number", "size", "status"
        )
    }
    return households, in_scope(user, households.values())


def household_of(
    row: Row, households: dict[str, dict[str, Any]], scope: set[int], report: Report
) -> dict[str, Any] | None:
    """The household a row names under 户编号, if it exists within the user's scope; otherwise
    the row's error is reported and None returned. A household out of scope is answered like
    a missing one: a ledger does not tell who else is in the register."""
    household = households.get(row["household"]) if row["household"] else None
    if household is None or household["id"] not in scope:
        report.errors.append(
            RowError(
                row.number,
                "户编号",
                _("no household has the number 「%(number)s」")
                % {"number": row["household"] or ""},
            )
        )
        return None
    return household


def active_counts() -> dict[int, int]:
    """How many members count in each household now (one query)."""
    return dict(
        Member.objects.filter(active=True)
        .values("household_id")
        .annotate(n=Count("id"))
        .values_list("household_id", "n")
    )
