"""Ledger `member_changes` (人口变动): each new change goes through `member_change_record`, so
the household is updated exactly as when a change is entered by hand. Planning checks every
row with `households.checks` against the members as they stand, then as each planned row
leaves them (file order)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from households.checks import (
    CountingMember,
    counting_elsewhere_error,
    counting_members,
    leaving_member,
    report_date_error,
)
from households.ledgers.common import (
    duplicate_keys,
    household_numbers,
    none_if_blank,
    rows_in_scope,
)
from households.models import Household, Member, MemberChange
from households.services import member_change_record
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
    parse_code,
    parse_date,
    parse_id_number,
    register,
)
from xigang.scope import mask_id, scope_of


@register
class MemberChangeLedger(LedgerKind):
    name = "member_changes"
    title = "西岗镇建档立卡贫困户人口变动台账"
    columns = [
        Column("户编号", "household", parse_code, key=True, max_length=30),
        Column("身份证号", "id_number", parse_id_number),
        Column("姓名", "name", key=True, max_length=50),
        Column("变动类型", "kind", choice_parser(MemberChange.Kind.values), key=True),
        Column("变动日期", "happened_on", parse_date, key=True),
        Column("上报日期", "reported_on", parse_date, required=True, filled=True),
    ]
    entry_headers = ["录入时间", "录入人"]
    permission = "households.add_memberchange"
    export_permission = "households.view_memberchange"
    needs_author = True  # each change records who reported it

    @staticmethod
    def _key(row: Row) -> tuple | None:
        key = (row["household"], row["name"], row["kind"], row["happened_on"])
        return None if None in key else key

    def plan(self, rows: list[Row], report: Report) -> list[Action]:
        refused = duplicate_keys(rows, self._key, "户编号", report)
        households, scope = household_numbers(self.user)
        self._existing: dict[tuple, dict[str, Any]] = {
            (c["household_id"], c["name"], c["kind"], c["happened_on"]): dict(c)
            for c in MemberChange.objects.values(
                "id", "household_id", "name", "kind", "happened_on", "reported_on", "id_number"
            )
        }
        self._rosters: dict[int, list[Member]] = defaultdict(list)
        for m in Member.objects.only("id", "household_id", "id_number", "name", "active"):
            self._rosters[m.household_id].append(m)
        self._counting = counting_members()
        self._scope = scope
        actions = []
        for row, household in rows_in_scope(rows, self._key, refused, households, scope, report):
            action = self._plan_row(row, household, report)
            if action is not None:
                actions.append(action)
        return actions

    def _plan_row(self, row: Row, household: dict[str, Any], report: Report) -> Action | None:
        if row["reported_on"] is None:
            report.errors.append(RowError(row.number, "上报日期", _("must not be empty")))
            return None
        error = report_date_error(happened_on=row["happened_on"], reported_on=row["reported_on"])
        if error:
            report.errors.append(RowError(row.number, "上报日期", error))
            return None
        id_number = row["id_number"] or ""
        current = self._existing.get(
            (household["id"], row["name"], row["kind"], row["happened_on"])
        )
        if current is not None:
            wanted = {"reported_on": row["reported_on"]}
            if id_number:
                wanted["id_number"] = id_number
            changed = changes(current, wanted)
            if changed.get("id_number"):
                changed["id_number"] = mask_id(self.user, changed["id_number"])
            if changed:
                return Action("updated", row.number, (current, wanted), changed)
            return Action("unchanged", row.number)
        if row["kind"] in MemberChange.ADDING:
            error = self._joins(household, id_number, row["name"])
        else:
            error = self._leaves(household["id"], id_number, row["name"])
        if error:
            report.errors.append(RowError(row.number, "身份证号" if id_number else "姓名", error))
            return None
        change = {f: row[f] for f in ("kind", "name", "happened_on", "reported_on")}
        return Action("created", row.number, (household["id"], id_number, change))

    def _joins(self, household: dict[str, Any], id_number: str, name: str) -> str | None:
        """Why the person cannot join the household, or None (they count in it from now on)."""
        if not id_number:
            return None  # a 新生 without an ID number yet: counted, no member row
        error = counting_elsewhere_error(
            id_number=id_number, member_id=None, counting=self._counting, in_scope=self._scope
        )
        if error:
            return error
        self._rosters[household["id"]].append(
            Member(household_id=household["id"], id_number=id_number, name=name)
        )
        self._counting[id_number] = CountingMember(None, household["id"], household["number"])
        return None

    def _leaves(self, household_id: int, id_number: str, name: str) -> str | None:
        """Why no member can be chosen to leave, or None (they no longer count from now on)."""
        roster = self._rosters[household_id]
        leaving, error = leaving_member(roster, id_number, name)
        if leaving is None:
            return error
        roster[roster.index(leaving)] = Member(
            household_id=household_id, id_number=leaving.id_number, name=leaving.name, active=False
        )
        self._counting.pop(leaving.id_number, None)
        return None

    def apply(self, actions: list[Action]) -> None:
        households = {}
        changed = []
        for action in actions:
            if action.kind == "created":
                household_id, id_number, row = action.payload
                if household_id not in households:
                    households[household_id] = Household.objects.get(pk=household_id)
                member_change_record(
                    household=households[household_id],
                    kind=row["kind"],
                    name=row["name"],
                    id_number=id_number,
                    happened_on=row["happened_on"],
                    reported_on=row["reported_on"],
                    reported_by=self.user if self.user.is_authenticated else None,
                )
            elif action.kind == "updated":
                current, wanted = action.payload
                change = MemberChange(id=current["id"], id_number=current["id_number"])
                for field, value in wanted.items():
                    setattr(change, field, value)
                changed.append(change)
        MemberChange.objects.bulk_update(changed, ["reported_on", "id_number"], batch_size=500)

    def export_rows(self) -> Iterable[tuple]:
        changes = self.exported(MemberChange.objects.all()).order_by(
            "household__number", "happened_on", "id"
        )
        full = scope_of(self.user).sees_full_id
        rows = changes.values_list(
            "household__number",
            "id_number",
            "name",
            "kind",
            "happened_on",
            "reported_on",
            "created_at",
            "reported_by__username",
        )
        for number, id_number, name, kind, happened_on, reported_on, at, by in rows.iterator(
            chunk_size=5000
        ):
            yield (
                number,
                none_if_blank(id_number if full else mask_id(self.user, id_number)),
                name,
                kind,
                happened_on,
                reported_on,
                entry_time(at),
                by,
            )
