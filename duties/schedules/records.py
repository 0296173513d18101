"""The records that meet a scheduled duty's period (e.g. art. 33's 收益分配台账 is met by the
year's distributions): apps register, for the duties their records answer, a function giving
(text, link) of the records of an obligation's period in the user's scope; the obligation's
page lists them. Only the registered duties cost a query."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser, User

from duties.models import Obligation

Records = Callable[[Obligation, User | AnonymousUser], list[tuple[str, str]]]

# (article, clause) -> the functions listing the records that meet that duty's periods
_SOURCES: dict[tuple[int, int], list[Records]] = {}


def register_records(*duties: tuple[int, int]) -> Callable[[Records], Records]:
    def add(source: Records) -> Records:
        for duty in duties:
            _SOURCES.setdefault(duty, []).append(source)
        return source

    return add


def records_meeting(obligation: Obligation, user: User | AnonymousUser) -> list[tuple[str, str]]:
    duty = obligation.duty
    key = (duty.article_id, duty.clause)
    return [record for source in _SOURCES.get(key, []) for record in source(obligation, user)]
