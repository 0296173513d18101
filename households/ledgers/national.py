"""Ledger `national_persons`: the person-level export of the national system (全国扶贫开发信息系统),
one row per person, imported as it is: it creates or updates the households and their members
in one file, all-or-nothing.

Each household is the rows sharing a 户编号; its 户主 row gives the head's name and ID number,
and the household's fields (村, 人数, 贫困户属性, 脱贫状态 …) are read from it. The households are
planned with the `households` ledger's plan and written inside the import's transaction, then
the members are planned with the `members` ledger's plan against them: every rule of both
ledgers applies, and a dry run writes nothing (the engine rolls the transaction back).
县, 乡(镇), 人编号 and other columns the register does not keep are named in the report.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from households.ledgers.common import none_if_blank
from households.ledgers.registry import (
    HouseholdLedger,
    MemberLedger,
)
from households.models import Member
from xigang.ledgers import (
    Action,
    Column,
    LedgerError,
    LedgerKind,
    Report,
    Row,
    RowError,
    borrowed,
    parse_code,
    register,
)
from xigang.scope import mask_id, scope_of

# column attr in this ledger -> attr in the households ledger (the 户主 row's cells)
HOUSEHOLD_ATTRS = {
    "household": "number",
    "village": "village",
    "name": "head_name",
    "id_number": "head_id_number",
    "size": "size",
    "phone": "phone",
    "category": "category",
    "status": "status",
    "year_identified": "year_identified",
    "year_exited": "year_exited",
    "cause": "cause",
}
HOUSEHOLD_COLUMNS = [
    ("家庭人口", "size"),
    ("联系电话", "phone"),
    ("贫困户属性", "category"),
    ("脱贫状态", "status"),
    ("识别年度", "year_identified"),
    ("脱贫年度", "year_exited"),
    ("主要致贫原因", "cause"),
]
MEMBER_COLUMNS = [("健康状况", "health"), ("劳动能力", "labour"), ("在校生状况", "schooling")]
MEMBER_ATTRS = ("id_number", "household", "name", "relation", "health", "labour", "schooling")


@register
class NationalPersonLedger(LedgerKind):
    name = "national_persons"
    title = "全国扶贫开发信息系统人员信息"
    columns = [
        Column("户编号", "household", parse_code, key=True, max_length=30),
        borrowed(HouseholdLedger, "村", "village", required=True, filled=True),
        borrowed(MemberLedger, "姓名", "name", required=True, filled=True),
        borrowed(MemberLedger, "身份证号", "id_number", key=True),
        borrowed(MemberLedger, "与户主关系", "relation", required=True, filled=True),
        *(borrowed(HouseholdLedger, header, attr) for header, attr in HOUSEHOLD_COLUMNS),
        *(borrowed(MemberLedger, header, attr) for header, attr in MEMBER_COLUMNS),
    ]
    permission = "households.add_household"
    export_permission = "households.view_household"
    writes_in_plan = True  # the households, before their members are planned

    def plan(self, rows: list[Row], report: Report) -> list[Action]:
        if not self.user.has_perm("households.add_member"):
            raise LedgerError(
                _("you may not import the ledger 「%(title)s」") % {"title": self.title}
            )
        households = HouseholdLedger(self.user)
        members = MemberLedger(self.user)
        heads = self._head_rows(rows, report)
        numbers = {head["number"] for head in heads}
        errors_before = len(report.errors)
        household_actions = households.plan(heads, report)
        if len(report.errors) > errors_before:
            return []  # the members of households refused cannot be checked
        households.apply(household_actions)  # inside the import's transaction (see above)
        member_rows = [
            Row(
                row.number,
                {attr: row[attr] for attr in MEMBER_ATTRS},
                frozenset(MEMBER_ATTRS) & row.present,
            )
            for row in rows
            if row["household"] in numbers  # a household refused above has said so already
        ]
        self._member_actions = members.plan(member_rows, report)
        self._members = members
        return household_actions + self._member_actions

    def _head_rows(self, rows: list[Row], report: Report) -> list[Row]:
        """Each household's 户主 row as a row of the households ledger."""
        heads: dict[str, Row] = {}
        first: dict[str, int] = {}
        persons: dict[str, int] = {}
        for row in rows:
            number = row["household"]
            if number is None:
                continue
            first.setdefault(number, row.number)
            persons[number] = persons.get(number, 0) + 1
            if row["relation"] != Member.Relation.HEAD:
                continue
            if number in heads:
                message = _("household 「%(number)s」 has a second 户主 (the first in row %(row)d)")
                report.errors.append(
                    RowError(
                        row.number,
                        "与户主关系",
                        message % {"number": number, "row": heads[number].number},
                    )
                )
                continue
            values = {ours: row[attr] for attr, ours in HOUSEHOLD_ATTRS.items()}
            present = frozenset(HOUSEHOLD_ATTRS[a] for a in row.present if a in HOUSEHOLD_ATTRS)
            heads[number] = Row(row.number, values, present)
        for number, head in heads.items():
            if head["size"] is None:  # 人数 not given: the household's rows are its members
                head.values["size"] = persons[number]
                head.present = head.present | {"size"}
        for number, row_number in first.items():
            if number not in heads:
                report.errors.append(
                    RowError(
                        row_number,
                        "与户主关系",
                        _("household 「%(number)s」 has no 户主 row") % {"number": number},
                    )
                )
        return list(heads.values())

    def apply(self, actions: list[Action]) -> None:
        self._members.ledger_import = self.ledger_import  # its rows carry this import's mark
        self._members.apply(self._member_actions)  # the households were written by `plan`

    def export_rows(self) -> Iterable[tuple[Any, ...]]:
        """One row per member in scope, with the household's fields: the national layout."""
        members = self.exported(Member.objects.all()).order_by("household__number", "id")
        full = scope_of(self.user).sees_full_id
        for (
            number,
            village,
            name,
            id_number,
            relation,
            *household,
            health,
            labour,
            school,
        ) in members.values_list(
            "household__number",
            "household__village__name",
            "name",
            "id_number",
            "relation",
            "household__size",
            "household__phone",
            "household__category",
            "household__status",
            "household__year_identified",
            "household__year_exited",
            "household__cause",
            "health",
            "labour",
            "schooling",
        ).iterator(chunk_size=5000):
            yield (
                number,
                village,
                name,
                id_number if full else mask_id(self.user, id_number),
                relation,
                *(none_if_blank(v) for v in household),
                none_if_blank(health),
                none_if_blank(labour),
                none_if_blank(school),
            )
