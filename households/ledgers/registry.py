"""Ledgers `households` and `members`: the register itself, written in bulk.

Both read each table they need once, check every row with `households.checks` and write with
`bulk_create` / `bulk_update`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from duties.models import Village
from households.checks import (
    counting_elsewhere_error,
    counting_members,
    exit_year_error,
    number_unusable_message,
    size_error,
)
from households.ledgers.common import (
    BATCH,
    active_counts,
    duplicate_keys,
    household_numbers,
    household_of,
    in_scope,
    none_if_blank,
    yes_no,
)
from households.models import Household, Member
from households.services import pairings_end_for_closed
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
    parse_id_number,
    parse_int,
    register,
)
from xigang.scope import mask_id, scope_of

# --- the national system's spellings (全国扶贫开发信息系统), read as ours -------------------------

CATEGORY_SPELLINGS = {
    "五保贫困户": Household.Category.SUPPORTED,  # the name before 特困供养 (2016)
    "特困贫困户": Household.Category.SUPPORTED,
    "特困供养户": Household.Category.SUPPORTED,
    "五保户": Household.Category.SUPPORTED,
    "低保户": Household.Category.SUBSISTENCE,
}
STATUS_SPELLINGS = {
    "已脱贫(不再享受政策)": Household.Status.OUT,
    "脱贫(享受政策)": Household.Status.OUT_WITH_POLICY,
    "脱贫(不享受政策)": Household.Status.OUT,
    "销户": Household.Status.CLOSED,
}
# 与户主关系: the national code list's 21 values onto the register's seven.
R = Member.Relation
RELATION_SPELLINGS = {
    "本人": R.HEAD,
    "之子": R.SON,
    "之女": R.DAUGHTER,
    "之父": R.PARENT,
    "之母": R.PARENT,
    "父亲": R.PARENT,
    "母亲": R.PARENT,
    "之孙子": R.GRANDCHILD,
    "之孙女": R.GRANDCHILD,
    "之外孙子": R.GRANDCHILD,
    "之外孙女": R.GRANDCHILD,
    "孙子": R.GRANDCHILD,
    "孙女": R.GRANDCHILD,
    **dict.fromkeys(
        (
            "之儿媳",
            "之女婿",
            "之岳父",
            "之岳母",
            "之公公",
            "之婆婆",
            "之祖父",
            "之祖母",
            "之外祖父",
            "之外祖母",
            "之兄弟姐妹",
            "之曾孙子女",
        ),
        R.OTHER,
    ),
}

# --- households -------------------------------------------------------------------------------

HOUSEHOLD_FIELDS = [
    "village_id",
    "head_name",
    "head_id_number",
    "size",
    "phone",
    "category",
    "status",
    "year_identified",
    "year_exited",
    "cause",
    "is_key",
]


@register
class HouseholdLedger(LedgerKind):
    name = "households"
    title = "西岗镇建档立卡贫困户台账"
    columns = [
        Column("户编号", "number", parse_code, key=True, max_length=30),
        Column("村", "village", required=True, filled=True, max_length=50),
        Column("户主姓名", "head_name", required=True, filled=True, max_length=50),
        Column("户主身份证号", "head_id_number", parse_id_number),
        Column("家庭人口", "size", parse_int),
        Column("联系电话", "phone", max_length=20),
        Column(
            "贫困户属性", "category", choice_parser(Household.Category.values, CATEGORY_SPELLINGS)
        ),
        Column("脱贫状态", "status", choice_parser(Household.Status.values, STATUS_SPELLINGS)),
        Column("识别年度", "year_identified", parse_int),
        Column("脱贫年度", "year_exited", parse_int),
        Column("主要致贫原因", "cause", choice_parser(Household.Cause.values)),
        Column("重点户", "is_key", parse_bool),
    ]
    permission = "households.add_household"
    export_permission = "households.view_household"

    # blank cell -> stored value
    BLANK = {
        "head_id_number": "",
        "phone": "",
        "category": Household.Category.GENERAL,
        "status": Household.Status.POOR,
        "cause": "",
        "is_key": False,
    }

    def plan(self, rows: list[Row], report: Report) -> list[Action]:
        refused = duplicate_keys(rows, lambda r: r["number"], "户编号", report)
        self._villages = dict(Village.objects.values_list("name", "id"))
        self._village_names = {pk: name for name, pk in self._villages.items()}
        reach = scope_of(self.user)
        self._own_villages = set(self._villages.values() if reach.whole_town else reach.village_ids)
        existing = {
            h["number"]: h for h in Household.objects.values("id", "number", *HOUSEHOLD_FIELDS)
        }
        scope = in_scope(self.user, existing.values())
        self._counts = active_counts()
        actions = []
        for row in rows:
            if row["number"] is None or row.number in refused:
                continue
            current = existing.get(row["number"])
            # A number kept out of the user's scope is checked like a new one: the answer must
            # not confirm that another village has a household of that number.
            taken = current is not None and current["id"] not in scope
            current = None if taken else current
            wanted = self._wanted(row, current, report)
            if wanted is None:
                continue
            error = ("户编号", number_unusable_message()) if taken else None
            error = error or self._record_error(current, wanted)
            if error is not None:
                report.errors.append(RowError(row.number, *error))
            elif current is None:
                actions.append(Action("created", row.number, (row["number"], wanted)))
            elif changed := self._changed(current, wanted):
                actions.append(Action("updated", row.number, (current, wanted), changed))
            else:
                actions.append(Action("unchanged", row.number))
        return actions

    def _wanted(
        self, row: Row, current: dict[str, Any] | None, report: Report
    ) -> dict[str, Any] | None:
        """The values the row sets (blank cells as stored), or None when its village is refused."""
        wanted: dict[str, Any] = {}
        for column in self.columns[1:]:
            attr = column.attr
            if attr not in row.present:
                continue
            value = row[attr]
            if attr == "village":
                wanted["village_id"] = self._village_id(row, current, report)
                if wanted["village_id"] is None:
                    return None
            elif value is None:
                if attr in self.BLANK:
                    wanted[attr] = self.BLANK[attr]
                elif attr != "size":
                    wanted[attr] = None
            else:
                wanted[attr] = value
        return wanted

    def _changed(self, current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
        """What an update changes as the file writes it: the village by name, the head's ID
        number as this user may read it."""
        changed = changes(current, wanted)
        if "village_id" in changed:
            changed["village"] = self._village_names[changed.pop("village_id")]
        if changed.get("head_id_number"):
            changed["head_id_number"] = mask_id(self.user, changed["head_id_number"])
        return changed

    def _village_id(self, row: Row, current: dict[str, Any] | None, report: Report) -> int | None:
        name = row["village"]
        village_id = self._villages.get(name)
        if village_id is None:
            message = _("no village is called 「%(name)s」") % {"name": name}
        elif village_id not in self._own_villages and (
            current is None or current["village_id"] != village_id
        ):
            message = _("you may not keep households of 「%(name)s」") % {"name": name}
        else:
            return village_id
        report.errors.append(RowError(row.number, "村", message))
        return None

    def _record_error(
        self, current: dict[str, Any] | None, wanted: dict[str, Any]
    ) -> tuple[str, str] | None:
        """(header, message) of the household's first broken rule, as it would stand."""
        merged = {**(current or {"year_identified": None, "year_exited": None}), **wanted}
        error = exit_year_error(
            year_identified=merged.get("year_identified"), year_exited=merged.get("year_exited")
        )
        if error:
            return "脱贫年度", error
        # A 家庭人口 the row changes must agree with the members counting in the register; an
        # old disagreement left as it was is a data-quality finding, not an import error (so
        # that a round trip of the register never fails on it).
        if current is not None and current["id"] in self._counts and "size" in wanted:
            if wanted["size"] != current["size"]:
                error = size_error(size=wanted["size"], counting=self._counts[current["id"]])
                if error:
                    return "家庭人口", error
        return None

    def apply(self, actions: list[Action]) -> None:
        new = []
        changed = []
        closed = []
        for action in actions:
            if action.kind == "created":
                number, wanted = action.payload
                new.append(Household(number=number, **wanted))
            elif action.kind == "updated":
                current, wanted = action.payload
                changed.append(Household(**{**current, **wanted}))
                if (
                    wanted.get("status") == Household.Status.CLOSED
                    and current["status"] != Household.Status.CLOSED
                ):
                    closed.append(current["id"])
        Household.objects.bulk_create(new, batch_size=BATCH)
        Household.objects.bulk_update(changed, HOUSEHOLD_FIELDS, batch_size=500)
        if closed:
            pairings_end_for_closed(household_ids=closed)

    def export_rows(self) -> Iterable[tuple]:
        households = self.exported(Household.objects.all()).order_by("number")
        full = scope_of(self.user).sees_full_id
        for (
            number,
            village,
            head,
            head_id,
            size,
            phone,
            *rest,
            cause,
            key,
        ) in households.values_list("number", "village__name", *HOUSEHOLD_FIELDS[1:]).iterator(
            chunk_size=5000
        ):
            yield (
                number,
                village,
                head,
                none_if_blank(head_id if full else mask_id(self.user, head_id)),
                size,
                none_if_blank(phone),
                *rest,
                none_if_blank(cause),
                yes_no(key),
            )


# --- members ----------------------------------------------------------------------------------

MEMBER_FIELDS = ["name", "relation", "health", "disability_grade", "labour", "schooling", "active"]


@register
class MemberLedger(LedgerKind):
    name = "members"
    title = "西岗镇建档立卡贫困户家庭成员台账"
    columns = [
        Column("身份证号", "id_number", parse_id_number, key=True),
        Column("户编号", "household", parse_code, required=True, filled=True, max_length=30),
        Column("姓名", "name", required=True, filled=True, max_length=50),
        Column("与户主关系", "relation", choice_parser(Member.Relation.values, RELATION_SPELLINGS)),
        Column("健康状况", "health", choice_parser(Member.Health.values)),
        Column("残疾等级", "disability_grade", choice_parser(Member.Disability.values)),
        Column("劳动能力", "labour", choice_parser(Member.Labour.values)),
        Column("在校生状况", "schooling", choice_parser(Member.Schooling.values)),
        Column("在册", "active", parse_bool),
    ]
    permission = "households.add_member"
    export_permission = "households.view_member"

    BLANK = {
        "name": "",
        "relation": Member.Relation.OTHER,
        "health": "",
        "disability_grade": "",
        "labour": "",
        "schooling": "",
        "active": True,
    }

    def plan(self, rows: list[Row], report: Report) -> list[Action]:
        refused = duplicate_keys(rows, lambda r: r["id_number"], "身份证号", report)
        households, scope = household_numbers(self.user)
        self._by_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._active_count: dict[int, int] = defaultdict(int)
        for m in Member.objects.values(
            "id", "household_id", "id_number", "left_on", *MEMBER_FIELDS
        ):
            self._by_id[m["id_number"]].append(m)
            if m["active"]:
                self._active_count[m["household_id"]] += 1
        count_before = dict(self._active_count)
        self._counting = counting_members()
        self._scope = scope
        actions = []
        first_row_of: dict[int, int] = {}
        for row in rows:
            if row["id_number"] is None or row.number in refused:
                continue
            household = household_of(row, households, scope, report)
            if household is None:
                continue
            first_row_of.setdefault(household["id"], row.number)
            action = self._plan_row(row, household["id"], report)
            if action is not None:
                actions.append(action)
        self._check_sizes(households, first_row_of, count_before, report)
        return actions

    def _check_sizes(
        self,
        households: dict[str, dict[str, Any]],
        first_row_of: dict[int, int],
        count_before: dict[int, int],
        report: Report,
    ) -> None:
        """家庭人口 against the members that will count once the file is in, for the households
        whose count the file changes (an old disagreement is a data-quality finding)."""
        by_id = {h["id"]: h for h in households.values()}
        for household_id, row_number in first_row_of.items():
            counting = self._active_count[household_id]
            if counting == count_before.get(household_id, 0):
                continue
            error = size_error(size=by_id[household_id]["size"], counting=counting)
            if error:
                report.errors.append(
                    RowError(
                        row_number,
                        "户编号",
                        _("household 「%(number)s」: %(problem)s")
                        % {"number": by_id[household_id]["number"], "problem": error},
                    )
                )

    def _plan_row(self, row: Row, household_id: int, report: Report) -> Action | None:
        wanted: dict[str, Any] = {
            attr: (row[attr] if row[attr] is not None else self.BLANK[attr])
            for attr in MEMBER_FIELDS
            if attr in row.present
        }
        here: list[dict[str, Any]] = sorted(
            (m for m in self._by_id.get(row["id_number"], []) if m["household_id"] == household_id),
            key=lambda m: not m["active"],
        )
        current = here[0] if here else None
        active = wanted.get("active", current["active"] if current else True)
        if active:
            error = counting_elsewhere_error(
                id_number=row["id_number"],
                member_id=current["id"] if current else None,
                counting=self._counting,
                in_scope=self._scope,
            )
            if error:
                report.errors.append(RowError(row.number, "身份证号", error))
                return None
        was_active = current["active"] if current else False
        self._active_count[household_id] += int(active) - int(was_active)
        if current is None:
            return Action("created", row.number, (household_id, row["id_number"], wanted))
        changed = changes(current, wanted)
        if changed:
            return Action("updated", row.number, (current, wanted), changed)
        return Action("unchanged", row.number)

    def apply(self, actions: list[Action]) -> None:
        new = []
        changed = []
        for action in actions:
            if action.kind == "created":
                household_id, id_number, wanted = action.payload
                fields = {**self.BLANK, **wanted}
                new.append(Member(household_id=household_id, id_number=id_number, **fields))
            elif action.kind == "updated":
                current, wanted = action.payload
                fields = {**current, **wanted}
                if fields["active"]:
                    fields["left_on"] = None
                changed.append(Member(**fields))
        # Members leaving first, so that the one-household constraint holds at every step.
        Member.objects.bulk_update(
            [m for m in changed if not m.active], [*MEMBER_FIELDS, "left_on"], batch_size=500
        )
        Member.objects.bulk_update(
            [m for m in changed if m.active], [*MEMBER_FIELDS, "left_on"], batch_size=500
        )
        Member.objects.bulk_create(new, batch_size=BATCH)

    def export_rows(self) -> Iterable[tuple]:
        members = self.exported(Member.objects.all()).order_by("household__number", "id")
        full = scope_of(self.user).sees_full_id
        for id_number, number, *rest, active in members.values_list(
            "id_number",
            "household__number",
            "name",
            "relation",
            "health",
            "disability_grade",
            "labour",
            "schooling",
            "active",
        ).iterator(chunk_size=5000):
            yield (
                id_number if full else mask_id(self.user, id_number),
                number,
                *(none_if_blank(v) for v in rest),
                yes_no(active),
            )
