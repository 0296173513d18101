"""Ledger `assessments` (两不愁三保障评估): one row per household, item and day. Rows are
checked in bulk (the households in scope, the dates), then each is written through
`assessment_record`, so that an item not met opens its gap exactly as when entered by hand."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _

from households.assessments.services import assessment_record
from households.ledgers.common import duplicate_keys, household_numbers, rows_in_scope, yes_no
from households.models import Assessment, Household
from xigang.entry import entry_time
from xigang.ledgers import (
    Action,
    Column,
    LedgerKind,
    Report,
    Row,
    RowError,
    changes,
    choice_parser,
    parse_bool,
    parse_code,
    parse_date,
    register,
)

# The items as the town's sheets name them (data, in Chinese like the headers).
ITEM_NAMES: dict[str, str] = {
    Assessment.Item.INCOME: "收入达标",
    Assessment.Item.FOOD: "不愁吃",
    Assessment.Item.CLOTHING: "不愁穿",
    Assessment.Item.EDUCATION: "义务教育有保障",
    Assessment.Item.MEDICAL: "基本医疗有保障",
    Assessment.Item.HOUSING: "住房安全有保障",
    Assessment.Item.WATER: "饮水安全有保障",
}
_ITEMS = {name: item for item, name in ITEM_NAMES.items()}
_SHORT = {
    "吃": "不愁吃",
    "穿": "不愁穿",
    "义务教育": "义务教育有保障",
    "基本医疗": "基本医疗有保障",
    "住房安全": "住房安全有保障",
    "饮水安全": "饮水安全有保障",
    "收入": "收入达标",
}


@register
class AssessmentLedger(LedgerKind):
    name = "assessments"
    title = "西岗镇两不愁三保障评估台账"
    columns = [
        Column("户编号", "household", parse_code, key=True, max_length=30),
        Column("评估项目", "item", choice_parser(ITEM_NAMES.values(), _SHORT), key=True),
        Column("是否达标", "met", parse_bool, filled=True),
        Column("评估日期", "assessed_on", parse_date, key=True),
        Column("备注", "note", max_length=200),
    ]
    entry_headers = ["录入时间", "录入人"]
    permission = "households.add_assessment"
    export_permission = "households.view_assessment"
    needs_author = True

    @staticmethod
    def _key(row: Row) -> tuple | None:
        key = (row["household"], row["item"], row["assessed_on"])
        return None if None in key else key

    def plan(self, rows: list[Row], report: Report) -> list[Action]:
        refused = duplicate_keys(rows, self._key, "户编号", report)
        households, scope = household_numbers(self.user)
        existing = {
            (pk, item, day): (met, note)
            for pk, item, day, met, note in Assessment.objects.filter(
                household_id__in=scope
            ).values_list("household_id", "item", "assessed_on", "met", "note")
        }
        today = timezone.localdate()
        actions = []
        for row, household in rows_in_scope(rows, self._key, refused, households, scope, report):
            if row["met"] is None:
                continue  # the engine reported the empty cell
            if row["assessed_on"] > today:
                message = _("the assessment date %(day)s is in the future") % {
                    "day": row["assessed_on"].isoformat()
                }
                report.errors.append(RowError(row.number, "评估日期", message))
                continue
            if household["status"] == Household.Status.CLOSED:
                message = _("household %(number)s is closed (已销户): it is no longer assessed") % {
                    "number": household["number"]
                }
                report.errors.append(RowError(row.number, "户编号", message))
                continue
            item = _ITEMS[row["item"]]
            payload = {
                "household_id": household["id"],
                "item": item,
                "met": row["met"],
                "assessed_on": row["assessed_on"],
                "note": row["note"] or "",
            }
            known = existing.get((household["id"], item, row["assessed_on"]))
            if known is None:
                actions.append(Action("created", row.number, payload))
                continue
            met, note = known
            changed = changes(
                {"met": met, "note": note}, {"met": row["met"], "note": payload["note"]}
            )
            if changed:
                actions.append(Action("updated", row.number, payload, changed))
            else:
                actions.append(Action("unchanged", row.number))
        return actions

    def apply(self, actions: list[Action]) -> None:
        households = {
            h.pk: h
            for h in Household.objects.filter(
                pk__in={a.payload["household_id"] for a in actions if a.payload}
            )
        }
        for action in actions:
            if action.payload is None:
                continue
            data = dict(action.payload)
            assessment_record(
                household=households[data.pop("household_id")],
                assessed_by=cast(User, self.user),
                **data,
            )

    def export_rows(self) -> Iterable[tuple]:
        rows = self.exported(Assessment.objects.all()).order_by(
            "household__number", "assessed_on", "item"
        )
        for number, item, met, day, note, at, by in rows.values_list(
            "household__number",
            "item",
            "met",
            "assessed_on",
            "note",
            "created_at",
            "entered_by__username",
        ).iterator(chunk_size=5000):
            yield (number, ITEM_NAMES[item], yes_no(met), day, note, entry_time(at), by)
