"""The rules of a registry record, one function and one message each, for the services and the
ledgers alike.

A check is pure: it takes the record's values and the rows it must be compared with, already
read, and returns why the record is refused (in the user's language) or None. A service passes
one record with the rows it read for it; a ledger passes each row of a file with the rows it
read once for the whole file, so a check costs one query per file, not one per row. The readers
at the end are those queries, shared so that both sides compare with the same data.

Each check is also reachable from the model's `clean` where it concerns one row alone, so that
admin forms say the same words.
"""

from __future__ import annotations

import datetime
from collections.abc import Container, Iterable, Mapping, Sequence
from typing import NamedTuple

from django.contrib.auth.models import AnonymousUser, User
from django.utils.translation import gettext as _

from households.models import Household, Member, Pairing
from xigang.scope import visible

Span = tuple[datetime.date, datetime.date | None]


class PairingSpan(NamedTuple):
    """A pairing as the checks see it: its days (inclusive; no end: still open) and its cadre."""

    start: datetime.date
    end: datetime.date | None
    cadre_id: int
    cadre_name: str

    def covers(self, day: datetime.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


class CountingMember(NamedTuple):
    """The member row under which an ID number counts in a household now (`active`)."""

    member_id: int | None  # None for a member a ledger plans to add
    household_id: int
    household_number: str


def spans_overlap(a: Span, b: Span) -> bool:
    """Two inclusive date spans (an open end lasts for ever) share at least one day."""
    a_start, a_end = a
    b_start, b_end = b
    return (a_end is None or b_start <= a_end) and (b_end is None or a_start <= b_end)


# --- households ---------------------------------------------------------------------------------


def exit_year_error(*, year_identified: int | None, year_exited: int | None) -> str | None:
    """A household leaves poverty in or after the year it was identified."""
    if year_identified is None or year_exited is None or year_exited >= year_identified:
        return None
    return _("the year of exit is before the year identified (%(year)d)") % {
        "year": year_identified
    }


def size_error(*, size: int, counting: int) -> str | None:
    """家庭人口 agrees with the members counting in the household."""
    if size == counting:
        return None
    return _(
        "家庭人口 is %(size)d but %(count)d members count in the household in the register; "
        "correct the number or the members"
    ) % {"size": size, "count": counting}


def number_unusable_message() -> str:
    """A household number taken out of the user's scope: said without confirming where."""
    return _("this household number cannot be used: ask the poverty-alleviation office")


def closed_household_error(*, status: str, end: datetime.date | None) -> str | None:
    """A closed (已销户) household gets no new open pairing; one of its past pairings (with its
    last day) may still be recorded, so that its history imports whole."""
    if status != Household.Status.CLOSED or end is not None:
        return None
    return _(
        "the household is closed (已销户): it is no longer paired (a past pairing of it needs "
        "its last day)"
    )


# --- members and their changes ------------------------------------------------------------------


def counting_elsewhere_error(
    *,
    id_number: str,
    member_id: int | None,
    counting: Mapping[str, CountingMember],
    in_scope: Container[int] | None = None,
) -> str | None:
    """An ID number counts in one household at most: refused when it already counts under
    another member row than `member_id` (None: a member not yet saved).
    `counting`: the ID numbers that count now (`counting_members`). The other household is named
    only if it is `in_scope` (the ids the user may see; None: all): a typed ID number must not
    tell a user where a person of another village is registered."""
    found = counting.get(id_number) if id_number else None
    if found is None or (member_id is not None and found.member_id == member_id):
        return None
    if in_scope is not None and found.household_id not in in_scope:
        return _(
            "this ID number is already registered in another household: ask the "
            "poverty-alleviation office"
        )
    return _(
        "this ID number already counts in household 「%(number)s」: the same person cannot be in "
        "two households; record the move as a member change (迁出, then 迁入)"
    ) % {"number": found.household_number}


def report_date_error(
    *, happened_on: datetime.date | None, reported_on: datetime.date | None
) -> str | None:
    """A member change is reported on or after the day it happened."""
    if happened_on is None or reported_on is None or reported_on >= happened_on:
        return None
    return _("the report date is before the date of the change")


def leaving_member(
    members: Sequence[Member], id_number: str, name: str
) -> tuple[Member | None, str | None]:
    """The active member a 死亡/迁出/嫁出 is about, matched by ID number, else by name; or the
    reason none can be chosen. `members`: the household's member rows."""
    active = [m for m in members if m.active]
    if id_number:
        found = [m for m in active if m.id_number == id_number]
    else:
        found = [m for m in active if m.name == name]
    if not found:
        return None, _("no member of this household with this ID number or name counts in it now")
    if len(found) > 1:
        return None, _("several members have this name: give the ID number")
    return found[0], None


# --- pairings -----------------------------------------------------------------------------------


def pairing_dates_error(*, start: datetime.date | None, end: datetime.date | None) -> str | None:
    """A pairing ends on or after the day it starts."""
    if start is None or end is None or end >= start:
        return None
    return _("the last day is before the first day %(start)s") % {"start": start}


def pairing_overlap_error(
    *, start: datetime.date, end: datetime.date | None, others: Iterable[PairingSpan]
) -> str | None:
    """A household has one pairing cadre at a time: the span may overlap none of `others`, the
    household's other pairings. Names the earliest one it overlaps."""
    for other in sorted(others, key=lambda span: span.start):
        if spans_overlap((start, end), (other.start, other.end)):
            return _(
                "overlaps the pairing with %(cadre)s from %(start)s to %(end)s: a household has "
                "one pairing cadre at a time"
            ) % {
                "cadre": other.cadre_name,
                "start": other.start.isoformat(),
                "end": other.end.isoformat() if other.end else "—",
            }
    return None


# --- readers: one query each, for one record or a whole file ------------------------------------


def pairing_spans(
    *, household_ids: Iterable[int] | None = None, exclude: int | None = None
) -> dict[int, dict[int, PairingSpan]]:
    """The pairings of these households (None: all), by household then pairing id, leaving out
    the pairing `exclude` (the one being checked)."""
    pairings = Pairing.objects.all()
    if household_ids is not None:
        pairings = pairings.filter(household_id__in=list(household_ids))
    if exclude is not None:
        pairings = pairings.exclude(pk=exclude)
    spans: dict[int, dict[int, PairingSpan]] = {}
    for pk, household_id, start, end, cadre_id, cadre_name in pairings.order_by().values_list(
        "pk", "household_id", "start", "end", "cadre_id", "cadre__name"
    ):
        spans.setdefault(household_id, {})[pk] = PairingSpan(start, end, cadre_id, cadre_name)
    return spans


def counting_members(*, id_numbers: Iterable[str] | None = None) -> dict[str, CountingMember]:
    """The ID numbers that count in a household now (None: all), with their member row."""
    members = Member.objects.filter(active=True).exclude(id_number="")
    if id_numbers is not None:
        members = members.filter(id_number__in=[n for n in id_numbers if n])
    return {
        id_number: CountingMember(pk, household_id, number)
        for id_number, pk, household_id, number in members.order_by().values_list(
            "id_number", "pk", "household_id", "household__number"
        )
    }


def households_in_scope(
    user: User | AnonymousUser | None, household_ids: Iterable[int]
) -> set[int] | None:
    """Which of these households `user` may see (None: no user, a command; everything)."""
    if user is None:
        return None
    ids = set(household_ids)
    if not ids:
        return set()
    return set(visible(user, Household.objects.filter(pk__in=ids)).values_list("pk", flat=True))
