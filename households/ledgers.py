"""The registry's ledgers: `households`, `members`, `member_changes`, `pairings`, exactly as
docs/ledger-formats.md says, on the `xigang.ledgers` engine.

Fast by construction: `plan` reads each table it needs once (one query per table, whatever the
file size), validates every row in Python and decides its action; `apply` writes with
`bulk_create` / `bulk_update`. Member changes are the exception on the write side: each new
change goes through `member_change_record`, so the household is updated exactly as when a
change is entered by hand.

Scope: a row may only touch households the importing user keeps (`xigang.scope.visible`);
exports list only the user's rows, with ID numbers masked for roles that do not keep the
registry.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from django.contrib.auth.models import Group
from django.db.models import Count
from django.utils.translation import gettext as _

from duties.models import Cadre, Village
from households.models import Household, Member, MemberChange, Pairing
from households.services import (
    active_elsewhere_message,
    find_leaving_member,
    member_change_record,
    number_unusable_message,
    overlap_message,
    pairings_end_for_closed,
    spans_overlap,
)
from xigang import roles
from xigang.ledgers import (
    Action,
    Column,
    LedgerKind,
    Report,
    Row,
    RowError,
    choice_parser,
    parse_bool,
    parse_date,
    parse_id_number,
    parse_int,
    register,
)
from xigang.scope import mask_id, scope_of, visible

BATCH = 2000


def _duplicate_keys(
    kind: LedgerKind, rows: list[Row], key: Callable[[Row], Hashable], header: str, report: Report
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


def _yes_no(value: bool) -> str:
    return "是" if value else "否"


def _none_if_blank(value: Any) -> Any:
    return None if value == "" else value


def _in_scope(user, households: Iterable[dict[str, Any]]) -> set[int]:
    """Ids of the households the user keeps (no query for the whole-town roles, else one)."""
    if scope_of(user).whole_town:
        return {h["id"] for h in households}
    return set(visible(user, Household.objects.all()).values_list("id", flat=True))


def _household_numbers(user) -> tuple[dict[str, dict[str, Any]], set[int]]:
    """Every household by number (one query) and the ids of those in the user's scope."""
    households = {
        h["number"]: h for h in Household.objects.values("id", "number", "size", "status")
    }
    return households, _in_scope(user, households.values())


def _household_of(
    row: Row, households: dict[str, dict[str, Any]], in_scope: set[int], report: Report
) -> dict[str, Any] | None:
    """The household a row names under 户编号, if it exists within the user's scope; otherwise
    the row's error is reported and None returned. A household out of scope is answered like
    a missing one: a ledger does not tell who else is in the register."""
    household = households.get(row["household"]) if row["household"] else None
    if household is None or household["id"] not in in_scope:
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


def _elsewhere(household_id: int, number_of: dict[int, str], in_scope: set[int]) -> str:
    """An ID number already counts in another household: named only if the user keeps it."""
    return active_elsewhere_message(number_of[household_id] if household_id in in_scope else None)


def _active_counts() -> dict[int, int]:
    return dict(
        Member.objects.filter(active=True)
        .values("household_id")
        .annotate(n=Count("id"))
        .values_list("household_id", "n")
    )


def size_mismatch_message(size: int, count: int) -> str:
    return _(
        "家庭人口 is %(size)d but %(count)d members count in the household in the register; "
        "correct the number or the members"
    ) % {"size": size, "count": count}


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
        Column("户编号", "number", key=True, max_length=30),
        Column("村", "village", required=True, max_length=50),
        Column("户主姓名", "head_name", required=True, max_length=50),
        Column("户主身份证号", "head_id_number", parse_id_number),
        Column("家庭人口", "size", parse_int),
        Column("联系电话", "phone", max_length=20),
        Column("贫困户属性", "category", choice_parser(Household.Category.values)),
        Column("脱贫状态", "status", choice_parser(Household.Status.values)),
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
        refused = _duplicate_keys(self, rows, lambda r: r["number"], "户编号", report)
        villages = dict(Village.objects.values_list("name", "id"))
        if scope_of(self.user).whole_town:
            own_villages = set(villages.values())
        else:
            own_villages = set(scope_of(self.user).village_ids)
        existing = {
            h["number"]: h for h in Household.objects.values("id", "number", *HOUSEHOLD_FIELDS)
        }
        in_scope = _in_scope(self.user, existing.values())
        counts = _active_counts()
        actions = []
        for row in rows:
            if row["number"] is None or row.number in refused:
                continue
            current = existing.get(row["number"])
            # A number kept out of the user's scope is checked like a new one: the answer must
            # not confirm that another village has a household of that number.
            taken = current is not None and current["id"] not in in_scope
            current = None if taken else current
            wanted: dict[str, Any] = {}
            ok = True
            for column in self.columns[1:]:
                attr = column.attr
                if attr not in row.present:
                    continue
                value = row[attr]
                if attr == "village":
                    village_id = villages.get(value)
                    if village_id is None:
                        report.errors.append(
                            RowError(
                                row.number,
                                "村",
                                _("no village is called 「%(name)s」") % {"name": value},
                            )
                        )
                        ok = False
                    elif village_id not in own_villages and (
                        current is None or current["village_id"] != village_id
                    ):
                        report.errors.append(
                            RowError(
                                row.number,
                                "村",
                                _("you may not keep households of 「%(name)s」") % {"name": value},
                            )
                        )
                        ok = False
                    wanted["village_id"] = village_id
                elif value is None:
                    if attr in self.BLANK:
                        wanted[attr] = self.BLANK[attr]
                    elif attr != "size":
                        wanted[attr] = None
                else:
                    wanted[attr] = value
            if not ok:
                continue
            if taken:
                report.errors.append(RowError(row.number, "户编号", number_unusable_message()))
                continue
            merged = {
                **(current or {"size": 1, "year_identified": None, "year_exited": None}),
                **wanted,
            }
            if (
                merged.get("year_exited") is not None
                and merged.get("year_identified") is not None
                and merged["year_exited"] < merged["year_identified"]
            ):
                report.errors.append(
                    RowError(
                        row.number,
                        "脱贫年度",
                        _("the year of exit is before the year identified (%(year)d)")
                        % {"year": merged["year_identified"]},
                    )
                )
                continue
            # A 家庭人口 the row changes must agree with the members counting in the register;
            # an old disagreement left as it was is a data-quality finding, not an import error
            # (so that a round trip of the register never fails on it).
            if current is not None and current["id"] in counts and "size" in wanted:
                if wanted["size"] != current["size"] and wanted["size"] != counts[current["id"]]:
                    report.errors.append(
                        RowError(
                            row.number,
                            "家庭人口",
                            size_mismatch_message(wanted["size"], counts[current["id"]]),
                        )
                    )
                    continue
            if current is None:
                actions.append(Action("created", row.number, (row["number"], wanted)))
            elif any(current[f] != v for f, v in wanted.items()):
                actions.append(Action("updated", row.number, (current, wanted)))
            else:
                actions.append(Action("unchanged", row.number))
        return actions

    def apply(self, actions: list[Action]) -> None:
        new = []
        changed = []
        closed = []
        for action in actions:
            if action.kind == "created":
                number, wanted = action.payload
                household = Household(number=number, **wanted)
                new.append(household)
            elif action.kind == "updated":
                current, wanted = action.payload
                household = Household(**{**current, **wanted})
                changed.append(household)
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
        households = visible(self.user, Household.objects.all()).order_by("number")
        full = scope_of(self.user).sees_full_id
        for (
            number,
            village,
            head,
            head_id,
            size,
            phone,
            category,
            status,
            identified,
            exited,
            cause,
            key,
        ) in households.values_list(
            "number",
            "village__name",
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
        ).iterator(chunk_size=5000):
            yield (
                number,
                village,
                head,
                _none_if_blank(head_id if full else mask_id(self.user, head_id)),
                size,
                _none_if_blank(phone),
                category,
                status,
                identified,
                exited,
                _none_if_blank(cause),
                _yes_no(key),
            )


# --- members ----------------------------------------------------------------------------------

MEMBER_FIELDS = ["name", "relation", "health", "disability_grade", "labour", "schooling", "active"]


@register
class MemberLedger(LedgerKind):
    name = "members"
    title = "西岗镇建档立卡贫困户家庭成员台账"
    columns = [
        Column("身份证号", "id_number", parse_id_number, key=True),
        Column("户编号", "household", required=True, max_length=30),
        Column("姓名", "name", required=True, max_length=50),
        Column("与户主关系", "relation", choice_parser(Member.Relation.values)),
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
        refused = _duplicate_keys(self, rows, lambda r: r["id_number"], "身份证号", report)
        households, in_scope = _household_numbers(self.user)
        number_of = {h["id"]: number for number, h in households.items()}
        by_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
        active_count: dict[int, int] = defaultdict(int)
        for m in Member.objects.values(
            "id", "household_id", "id_number", "left_on", *MEMBER_FIELDS
        ):
            by_id[m["id_number"]].append(m)
            if m["active"]:
                active_count[m["household_id"]] += 1
        count_before = dict(active_count)
        actions = []
        first_row_of: dict[int, int] = {}
        for row in rows:
            if row["id_number"] is None or row.number in refused:
                continue
            household = _household_of(row, households, in_scope, report)
            if household is None:
                continue
            first_row_of.setdefault(household["id"], row.number)
            wanted = {
                attr: (row[attr] if row[attr] is not None else self.BLANK[attr])
                for attr in MEMBER_FIELDS
                if attr in row.present
            }
            records = by_id.get(row["id_number"], [])
            here = sorted(
                (m for m in records if m["household_id"] == household["id"]),
                key=lambda m: not m["active"],
            )
            current = here[0] if here else None
            active = wanted.get("active", current["active"] if current else True)
            elsewhere = next(
                (m for m in records if m["active"] and m["household_id"] != household["id"]),
                None,
            )
            if active and elsewhere is not None:
                report.errors.append(
                    RowError(
                        row.number,
                        "身份证号",
                        _elsewhere(elsewhere["household_id"], number_of, in_scope),
                    )
                )
                continue
            was_active = current["active"] if current else False
            active_count[household["id"]] += int(active) - int(was_active)
            if current is None:
                actions.append(
                    Action("created", row.number, (household["id"], row["id_number"], wanted))
                )
            elif any(current[f] != v for f, v in wanted.items()):
                actions.append(Action("updated", row.number, (current, wanted)))
            else:
                actions.append(Action("unchanged", row.number))
        # 家庭人口 against the members that will count once the file is in, for the households
        # whose count the file changes (an old disagreement is a data-quality finding).
        for household_id, row_number in first_row_of.items():
            size = households[number_of[household_id]]["size"]
            if active_count[household_id] not in (size, count_before.get(household_id, 0)):
                report.errors.append(
                    RowError(
                        row_number,
                        "户编号",
                        _("household 「%(number)s」: %(problem)s")
                        % {
                            "number": number_of[household_id],
                            "problem": size_mismatch_message(size, active_count[household_id]),
                        },
                    )
                )
        return actions

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
        members = visible(self.user, Member.objects.all()).order_by("household__number", "id")
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
                *(_none_if_blank(v) for v in rest),
                _yes_no(active),
            )


# --- member changes ---------------------------------------------------------------------------


@register
class MemberChangeLedger(LedgerKind):
    name = "member_changes"
    title = "西岗镇建档立卡贫困户人口变动台账"
    columns = [
        Column("户编号", "household", key=True, max_length=30),
        Column("身份证号", "id_number", parse_id_number),
        Column("姓名", "name", key=True, max_length=50),
        Column("变动类型", "kind", choice_parser(MemberChange.Kind.values), key=True),
        Column("变动日期", "happened_on", parse_date, key=True),
        Column("上报日期", "reported_on", parse_date, required=True),
    ]
    permission = "households.add_memberchange"
    export_permission = "households.view_memberchange"

    @staticmethod
    def _key(row: Row) -> tuple | None:
        key = (row["household"], row["name"], row["kind"], row["happened_on"])
        return None if None in key else key

    def plan(self, rows: list[Row], report: Report) -> list[Action]:
        refused = _duplicate_keys(self, rows, self._key, "户编号", report)
        households, in_scope = _household_numbers(self.user)
        number_of = {h["id"]: number for number, h in households.items()}
        existing = {
            (c["household_id"], c["name"], c["kind"], c["happened_on"]): c
            for c in MemberChange.objects.values(
                "id", "household_id", "name", "kind", "happened_on", "reported_on", "id_number"
            )
        }
        # The members as they stand, then as each planned row leaves them (file order).
        members: dict[int, list[Member]] = defaultdict(list)
        active_in: dict[str, int] = {}
        for m in Member.objects.only("id", "household_id", "id_number", "name", "active"):
            members[m.household_id].append(m)
            if m.active:
                active_in[m.id_number] = m.household_id
        actions = []
        for row in rows:
            key = self._key(row)
            if key is None or row.number in refused:
                continue
            household = _household_of(row, households, in_scope, report)
            if household is None:
                continue
            if row["reported_on"] is None:
                report.errors.append(RowError(row.number, "上报日期", _("must not be empty")))
                continue
            if row["reported_on"] < row["happened_on"]:
                report.errors.append(
                    RowError(
                        row.number,
                        "上报日期",
                        _("the report date is before the date of the change"),
                    )
                )
                continue
            id_number = row["id_number"] or ""
            current = existing.get((household["id"], row["name"], row["kind"], row["happened_on"]))
            if current is not None:
                wanted = {"reported_on": row["reported_on"]}
                if id_number:
                    wanted["id_number"] = id_number
                if any(current[f] != v for f, v in wanted.items()):
                    actions.append(Action("updated", row.number, (current, wanted)))
                else:
                    actions.append(Action("unchanged", row.number))
                continue
            if row["kind"] in MemberChange.ADDING:
                if id_number:
                    other = active_in.get(id_number)
                    if other is not None:
                        report.errors.append(
                            RowError(row.number, "身份证号", _elsewhere(other, number_of, in_scope))
                        )
                        continue
                    joined = Member(
                        household_id=household["id"], id_number=id_number, name=row["name"]
                    )
                    members[household["id"]].append(joined)
                    active_in[id_number] = household["id"]
            else:
                leaving, error = find_leaving_member(
                    members[household["id"]], id_number, row["name"]
                )
                if leaving is None:
                    report.errors.append(
                        RowError(row.number, "身份证号" if id_number else "姓名", error)
                    )
                    continue
                gone = Member(
                    household_id=leaving.household_id,
                    id_number=leaving.id_number,
                    name=leaving.name,
                    active=False,
                )
                roster = members[household["id"]]
                roster[roster.index(leaving)] = gone
                active_in.pop(leaving.id_number, None)
            change = {f: row[f] for f in ("kind", "name", "happened_on", "reported_on")}
            actions.append(Action("created", row.number, (household["id"], id_number, change)))
        return actions

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
        changes = visible(self.user, MemberChange.objects.all()).order_by(
            "household__number", "happened_on", "id"
        )
        full = scope_of(self.user).sees_full_id
        for number, id_number, name, kind, happened_on, reported_on in changes.values_list(
            "household__number", "id_number", "name", "kind", "happened_on", "reported_on"
        ).iterator(chunk_size=5000):
            yield (
                number,
                _none_if_blank(id_number if full else mask_id(self.user, id_number)),
                name,
                kind,
                happened_on,
                reported_on,
            )


# --- pairings ---------------------------------------------------------------------------------


@register
class PairingLedger(LedgerKind):
    name = "pairings"
    title = "西岗镇结对帮扶台账"
    columns = [
        Column("户编号", "household", key=True, max_length=30),
        Column("帮扶责任人", "cadre", key=True, max_length=150),
        Column("开始日期", "start", parse_date, key=True),
        Column("结束日期", "end", parse_date),
    ]
    permission = "households.add_pairing"
    export_permission = "households.view_pairing"

    @staticmethod
    def _key(row: Row) -> tuple | None:
        key = (row["household"], row["cadre"], row["start"])
        return None if None in key else key

    def plan(self, rows: list[Row], report: Report) -> list[Action]:
        refused = _duplicate_keys(self, rows, self._key, "户编号", report)
        households, in_scope = _household_numbers(self.user)
        cadres = {
            c["user__username"]: c for c in Cadre.objects.values("id", "name", "user__username")
        }
        pairing_cadres = set(
            Group.objects.filter(name=roles.PAIRING).values_list("user__username", flat=True)
        )
        cadre_names = {c["id"]: c["name"] for c in cadres.values()}
        spans: dict[int, dict[Any, tuple[datetime.date, datetime.date | None, int | None]]] = (
            defaultdict(dict)
        )
        existing = {}
        for p in Pairing.objects.values("id", "household_id", "cadre_id", "start", "end"):
            existing[(p["household_id"], p["cadre_id"], p["start"])] = p
            spans[p["household_id"]][("db", p["id"])] = (p["start"], p["end"], p["cadre_id"])
        planned = []
        for row in rows:
            key = self._key(row)
            if key is None or row.number in refused:
                continue
            household = _household_of(row, households, in_scope, report)
            if household is None:
                continue
            cadre = cadres.get(row["cadre"])
            if cadre is None or row["cadre"] not in pairing_cadres:
                report.errors.append(
                    RowError(
                        row.number,
                        "帮扶责任人",
                        _("no pairing cadre (帮扶责任人) has the user name 「%(name)s」")
                        % {"name": row["cadre"]},
                    )
                )
                continue
            if row["end"] is not None and row["end"] < row["start"]:
                report.errors.append(
                    RowError(row.number, "结束日期", _("the last day is before the first day"))
                )
                continue
            current = existing.get((household["id"], cadre["id"], row["start"]))
            if current is None and household["status"] == Household.Status.CLOSED:
                report.errors.append(
                    RowError(
                        row.number,
                        "户编号",
                        _("the household is closed (已销户): it is no longer paired"),
                    )
                )
                continue
            span_key = ("db", current["id"]) if current else ("row", row.number)
            spans[household["id"]][span_key] = (row["start"], row["end"], cadre["id"])
            planned.append((row, household, cadre, current, span_key))
        # Overlaps, once every row's span is known (a handover may be split over two rows).
        clashes: dict[Any, tuple] = {}
        touched = {h["id"] for _r, h, _c, _cur, _k in planned}
        for household_id in touched:
            ordered = sorted(spans[household_id].items(), key=lambda item: item[1][0])
            for (key_a, a), (key_b, b) in zip(ordered, ordered[1:], strict=False):
                if spans_overlap(a[:2], b[:2]):
                    clashes.setdefault(key_a, b)
                    clashes.setdefault(key_b, a)
            # An open span overlaps every later one, not only the next.
            for index, (key_a, a) in enumerate(ordered):
                for key_b, b in ordered[index + 2 :]:
                    if spans_overlap(a[:2], b[:2]):
                        clashes.setdefault(key_a, b)
                        clashes.setdefault(key_b, a)
        actions = []
        for row, household, cadre, current, span_key in planned:
            if span_key in clashes:
                start, end, other_cadre = clashes[span_key]
                report.errors.append(
                    RowError(
                        row.number,
                        "开始日期",
                        overlap_message(start, end, cadre_names.get(other_cadre, "")),
                    )
                )
                continue
            if current is None:
                payload = {
                    "household_id": household["id"],
                    "cadre_id": cadre["id"],
                    "start": row["start"],
                    "end": row["end"],
                }
                actions.append(Action("created", row.number, payload))
            elif current["end"] != row["end"]:
                actions.append(
                    Action("updated", row.number, {"id": current["id"], "end": row["end"]})
                )
            else:
                actions.append(Action("unchanged", row.number))
        return actions

    def apply(self, actions: list[Action]) -> None:
        Pairing.objects.bulk_update(
            [Pairing(**a.payload) for a in actions if a.kind == "updated"], ["end"], batch_size=500
        )
        Pairing.objects.bulk_create(
            [Pairing(**a.payload) for a in actions if a.kind == "created"], batch_size=BATCH
        )

    def export_rows(self) -> Iterable[tuple]:
        pairings = visible(self.user, Pairing.objects.all()).order_by("household__number", "start")
        yield from pairings.values_list(
            "household__number", "cadre__user__username", "start", "end"
        ).iterator(chunk_size=5000)
