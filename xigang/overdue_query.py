"""The overdue list's parameters, validated in one place: the dashboard's pages,
`/dashboard/overdue.json` and the `overdue` command take the same names and give the same
messages.

A query is bounded (security issue M5): both dates lie between the regulation's first day and a
year from today, at most `settings.OVERDUE_QUERY_MAX_YEARS` years apart, since each rule's work
grows with the span asked for.
"""

from __future__ import annotations

import dataclasses
import datetime

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xigang import obligations
from xigang.obligations import REGULATION_START, Filters
from xigang.periods import QUARTERLY, period_of, years_after

FILTERS = tuple(field.name for field in dataclasses.fields(Filters))  # village ... article
MAX_LIMIT = 5000  # items in a page of the JSON
MAX_OFFSET = 999_999_999
ARTICLES = 45


def default_since(as_of: datetime.date) -> datetime.date:
    """The start of the quarter a year before `as_of` (the year the dashboard's trend shows, in
    whole quarters so that the quarterly home visits of that year are all in), not before the
    regulation's first day."""
    year_before = period_of(QUARTERLY, datetime.date(as_of.year - 1, as_of.month, 1)).start
    return max(year_before, REGULATION_START)


class IsoDateField(forms.Field):
    """A date written YYYY-MM-DD; empty is None."""

    def to_python(self, value):
        value = (value or "").strip()
        if not value:
            return None
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise ValidationError(
                _("%(field)s 「%(value)s」 is not a date; write it as YYYY-MM-DD")
                % {"field": self.label, "value": value},
                code="invalid",
            ) from None


class WholeNumberField(forms.Field):
    """A whole number written in digits, within bounds; empty is None."""

    def __init__(self, *, lowest: int, highest: int, **kwargs):
        super().__init__(required=False, **kwargs)
        self.lowest, self.highest = lowest, highest

    def to_python(self, value):
        value = (value or "").strip()
        if not value:
            return None
        if not (value.isascii() and value.isdigit()):
            raise ValidationError(
                _("%(field)s 「%(value)s」 is not a whole number")
                % {"field": self.label, "value": value},
                code="invalid",
            )
        # Compared as text first: a number thousands of digits long cannot be converted.
        if len(value.lstrip("0")) > len(str(self.highest)) or not (
            self.lowest <= int(value) <= self.highest
        ):
            raise ValidationError(
                _("%(field)s must be between %(lowest)d and %(highest)d")
                % {"field": self.label, "lowest": self.lowest, "highest": self.highest},
                code="range",
            )
        return int(value)


def _text() -> forms.CharField:
    return forms.CharField(required=False, empty_value=None)


class OverdueQueryForm(forms.Form):
    """as_of (default: today), since (default: `default_since`), the filters of `Filters`,
    `due_before` (the dashboard's drill-down) and the JSON's `offset` / `limit`."""

    as_of = IsoDateField(required=False, label=gettext_lazy("As-of date"))
    since = IsoDateField(required=False, label=gettext_lazy("Since date"))
    village = _text()
    department = _text()
    cadre = _text()
    rule = _text()
    article = _text()
    due_before = IsoDateField(required=False, label=gettext_lazy("Due before"))
    offset = WholeNumberField(lowest=0, highest=MAX_OFFSET, label="offset")
    limit = WholeNumberField(lowest=1, highest=MAX_LIMIT, label="limit")

    def __init__(self, data, *, today: datetime.date):
        super().__init__(data)
        self.today = today

    def clean_rule(self) -> str | None:
        rule = self.cleaned_data["rule"]
        known = sorted(r.id for r in obligations.rules())
        if rule is not None and rule not in known:
            raise ValidationError(
                _("unknown rule 「%(rule)s」; known: %(known)s")
                % {"rule": rule, "known": ", ".join(known)}
            )
        return rule

    def clean_article(self) -> int | None:
        value = self.cleaned_data["article"]
        if value is None:
            return None
        try:
            article = int(value)
        except ValueError:
            raise ValidationError(
                _("article 「%(value)s」 is not a number") % {"value": value}
            ) from None
        if not 1 <= article <= ARTICLES:
            raise ValidationError(_("article must be between 1 and 45"))
        return article

    def clean(self):
        data = super().clean()
        if "as_of" not in data or "since" not in data:
            return data  # a date already refused
        as_of = data["as_of"] = data["as_of"] or self.today
        since = data["since"] = data["since"] or default_since(as_of)
        if since > as_of:
            self.add_error(
                "since",
                _("the since date %(since)s is after the as-of date %(as_of)s")
                % {"since": since.isoformat(), "as_of": as_of.isoformat()},
            )
            return data
        self._bound_dates(as_of, since)
        return data

    def _bound_dates(self, as_of: datetime.date, since: datetime.date) -> None:
        """M5: dates within the regulation's life (up to a year ahead), a bounded span apart."""
        last = years_after(self.today, 1)
        outside = False
        for name, day in (("as_of", as_of), ("since", since)):
            if not REGULATION_START <= day <= last:
                outside = True
                self.add_error(
                    name,
                    _(
                        "%(field)s %(value)s is out of range: the list covers %(first)s (the "
                        "regulation's first day) to %(last)s (a year from today)"
                    )
                    % {
                        "field": self.fields[name].label,
                        "value": day.isoformat(),
                        "first": REGULATION_START.isoformat(),
                        "last": last.isoformat(),
                    },
                )
        years = settings.OVERDUE_QUERY_MAX_YEARS
        if not outside and since < years_after(as_of, -years):
            self.add_error(
                "since",
                _(
                    "the since date %(since)s is more than %(years)d years before the as-of "
                    "date %(as_of)s; ask for %(years)d years at most"
                )
                % {"since": since.isoformat(), "as_of": as_of.isoformat(), "years": years},
            )

    def messages(self) -> list[str]:
        """Every error, field by field, in the user's language."""
        return [str(message) for messages in self.errors.values() for message in messages]

    def filters(self) -> Filters:
        return Filters(**{name: self.cleaned_data[name] for name in FILTERS})

    def paging(self) -> tuple[int, int | None] | None:
        """The JSON's (offset, limit), or None when neither is given: the whole list."""
        offset, limit = self.cleaned_data["offset"], self.cleaned_data["limit"]
        if offset is None and limit is None:
            return None
        return offset or 0, limit
