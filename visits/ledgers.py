"""The `visits` ledger (帮扶记录), as docs/ledger-formats.md says.

Key: 户编号 + 帮扶责任人 + 方式 + 日期. Planning reads the households, cadres, pairings and
existing visits the file refers to in one query each, so a file of thousands of rows costs a
handful of queries; writing is one bulk insert and one bulk update. The rules of a visit are the
service's (`visit_record`): the cadre was paired with the household that day, no future date.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from duties.models import Cadre
from households.models import Household, Pairing
from visits.models import Visit
from xigang.ledgers import (
    Action,
    Column,
    LedgerKind,
    Report,
    Row,
    RowError,
    choice_parser,
    parse_date,
    register,
)
from xigang.scope import visible

TEXT_FIELDS = ("content", "problems_found")


@register
class VisitLedger(LedgerKind):
    name = "visits"
    title = "西岗镇帮扶记录台账"
    columns = [
        Column("户编号", "household", key=True, max_length=30),
        Column("帮扶责任人", "cadre", key=True, max_length=150),
        Column("方式", "kind", choice_parser(Visit.Kind.values), key=True),
        Column("日期", "on", parse_date, key=True),
        Column("内容", "content"),
        Column("发现问题", "problems_found"),
    ]
    permission = "visits.add_visit"
    export_permission = "visits.view_visit"

    def plan(self, rows: list[Row], report: Report) -> list[Action]:
        keyed = [
            r for r in rows if all(r[a] is not None for a in ("household", "cadre", "kind", "on"))
        ]
        numbers = {r["household"] for r in keyed}
        usernames = {r["cadre"] for r in keyed}
        households = dict(
            visible(self.user, Household.objects.filter(number__in=numbers)).values_list(
                "number", "pk"
            )
        )
        cadres = dict(
            Cadre.objects.filter(user__username__in=usernames).values_list("user__username", "pk")
        )
        spans: dict[tuple[int, int], list[tuple[datetime.date, datetime.date | None]]] = {}
        for household_id, cadre_id, start, end in Pairing.objects.filter(
            household_id__in=households.values()
        ).values_list("household_id", "cadre_id", "start", "end"):
            spans.setdefault((household_id, cadre_id), []).append((start, end))
        existing = {
            (v.household_id, v.cadre_id, v.kind, v.on): v
            for v in Visit.objects.filter(household_id__in=households.values())
        }
        today = timezone.localdate()
        first_row: dict[tuple, int] = {}
        actions = []
        for row in keyed:
            household_id = households.get(row["household"])
            cadre_id = cadres.get(row["cadre"])
            if household_id is None:
                report.errors.append(
                    RowError(
                        row.number,
                        "户编号",
                        _("no household 「%(number)s」 that you may record for")
                        % {"number": row["household"]},
                    )
                )
                continue
            if cadre_id is None:
                report.errors.append(
                    RowError(
                        row.number,
                        "帮扶责任人",
                        _("no cadre 「%(name)s」") % {"name": row["cadre"]},
                    )
                )
                continue
            on = row["on"]
            if on > today:
                report.errors.append(
                    RowError(
                        row.number, "日期", _("the date %(date)s is in the future") % {"date": on}
                    )
                )
                continue
            if not any(
                start <= on and (end is None or on <= end)
                for start, end in spans.get((household_id, cadre_id), [])
            ):
                report.errors.append(
                    RowError(
                        row.number,
                        "帮扶责任人",
                        _("%(cadre)s was not paired with household %(household)s on %(date)s")
                        % {"cadre": row["cadre"], "household": row["household"], "date": on},
                    )
                )
                continue
            key = (household_id, cadre_id, row["kind"], on)
            if key in first_row:
                report.errors.append(
                    RowError(
                        row.number,
                        "",
                        _("the same visit already appears in row %(row)d")
                        % {"row": first_row[key]},
                    )
                )
                continue
            first_row[key] = row.number
            wanted = {f: (row[f] or "") for f in TEXT_FIELDS if f in row.present}
            visit = existing.get(key)
            if visit is None:
                actions.append(
                    Action(
                        "created",
                        row.number,
                        Visit(
                            household_id=household_id,
                            cadre_id=cadre_id,
                            kind=row["kind"],
                            on=on,
                            **{f: wanted.get(f, "") for f in TEXT_FIELDS},
                        ),
                    )
                )
                continue
            changed = {f: v for f, v in wanted.items() if getattr(visit, f) != v}
            for field, value in changed.items():
                setattr(visit, field, value)
            actions.append(Action("updated" if changed else "unchanged", row.number, visit))
        return actions

    def apply(self, actions: list[Action]) -> None:
        Visit.objects.bulk_create(
            [a.payload for a in actions if a.kind == "created"], batch_size=2000
        )
        Visit.objects.bulk_update(
            [a.payload for a in actions if a.kind == "updated"], TEXT_FIELDS, batch_size=2000
        )

    def export_rows(self):
        visits = visible(self.user, Visit.objects.all()).order_by(
            "household__number", "on", "kind", "cadre__user__username"
        )
        for number, username, kind, on, content, problems in visits.values_list(
            "household__number", "cadre__user__username", "kind", "on", "content", "problems_found"
        ).iterator(chunk_size=5000):
            yield (number, username, kind, on, content or None, problems or None)
