"""Ledgers of oversight: `findings` (督查问题整改台账), exported for inspectors and the units
found; `accountability` (问责台账, art. 43) and `commendations` (表扬台账, art. 42), imported and
exported by the inspectors. A new decision goes through `accountability_record` (art. 43's
ladder, the 5.3 通报 obligation, who recorded it); a recorded one may have its reason and referral
corrected (`accountability_update`), as on its form; a commendation is proposed through
`commendation_record` and stays pending until a leader approves it."""

from collections.abc import Iterator
from typing import Any, cast

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from duties.models import Cadre, Department, Village
from oversight.checks import decision_errors, ladder_error
from oversight.models import Accountability, Commendation, Finding
from oversight.services import accountability_record, accountability_update, commendation_record
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
    parse_date,
    register,
)
from xigang.scope import visible


@register
class FindingsLedger(LedgerKind):
    name = "findings"
    title = "西岗镇脱贫攻坚督查问题整改台账"
    permission = "oversight.add_finding"
    export_permission = "oversight.view_finding"
    importable = False
    columns = [
        Column("检查名称", "inspection"),
        Column("检查单位", "inspecting_unit"),
        Column("发现日期", "found_on"),
        Column("涉及条款", "article"),
        Column("责任单位或责任人", "subject"),
        Column("问题描述", "description"),
        Column("整改期限", "deadline"),
        Column("整改完成日期", "rectified_on"),
        Column("整改情况", "rectification"),
        Column("状态", "status"),
    ]

    def export_rows(self) -> Iterator[tuple[object, ...]]:
        findings = self.exported(Finding.objects.all()).select_related(
            "inspection__department", "article", "department", "village", "cadre"
        )
        for f in findings.order_by("deadline", "id").iterator(chunk_size=2000):
            yield (
                f.inspection.title,
                f.inspection.department.name,
                f.found_on,
                f.article.label,
                str(f.subject),
                f.description,
                f.deadline,
                f.rectified_on,
                f.rectification,
                pgettext("finding status", "rectified")
                if f.rectified_on
                else pgettext("finding status", "open"),
            )


# --- accountability (art. 43) and commendations (art. 42) ------------------------------------

# The unit or person a decision is about: one of the three, named as people write them.
SUBJECT_COLUMNS = [
    Column("单位", "department", max_length=100),
    Column("村", "village", max_length=100),
    Column("个人", "cadre", max_length=150),  # the cadre's user name
    Column("个人姓名", "cadre_name"),  # exported beside the user name; ignored on import
]
SUBJECT_HEADERS = "、".join(c.header for c in SUBJECT_COLUMNS[:3])
Subject = tuple[int | None, int | None, int | None]  # department, village, cadre ids


class SubjectLedger(LedgerKind):
    """Records about one department, village or cadre, matched by that subject and their key;
    each new one written by the app's service, one at a time (such files are short)."""

    needs_author = True
    model: type[Accountability] | type[Commendation]
    key_attrs: tuple[str, ...]  # after the subject

    def plan(self, rows: list[Row], report: Report) -> list[Action]:
        self.units = {
            "department": dict(Department.objects.values_list("name", "pk")),
            "village": dict(Village.objects.values_list("name", "pk")),
            "cadre": dict(Cadre.objects.values_list("user__username", "pk")),
        }
        self.stored = {
            self._stored_key(record): record
            for record in visible(self.user, self.model.objects.all())
        }
        today = timezone.localdate()
        first_row: dict[tuple, int] = {}
        actions = []
        for row in rows:
            subject = self._subject(row, report)
            if subject is None or any(row[a] is None for a in self.key_attrs):
                continue
            key = (subject, *(row[a] for a in self.key_attrs))
            if key in first_row:
                message = _("the same record already appears in row %(row)d")
                report.errors.append(RowError(row.number, "", message % {"row": first_row[key]}))
                continue
            first_row[key] = row.number
            day = self.key_attrs[-1]
            if row[day] > today:
                message = _("the day is after today")
                report.errors.append(RowError(row.number, self.header_for(day), message))
                continue
            action = self.plan_row(row, subject, self.stored.get(key), report)
            if action is not None:
                actions.append(action)
        return actions

    def _stored_key(self, record: Any) -> tuple:
        subject = (record.department_id, record.village_id, record.cadre_id)
        return (subject, *(getattr(record, a) for a in self.key_attrs))

    def _subject(self, row: Row, report: Report) -> Subject | None:
        named = [c for c in SUBJECT_COLUMNS[:3] if row[c.attr]]
        if len(named) != 1:
            message = _("name exactly one of %(headers)s") % {"headers": SUBJECT_HEADERS}
            header = named[1].header if named else ""
            report.errors.append(RowError(row.number, header, message))
            return None
        column = named[0]
        pk = self.units[column.attr].get(row[column.attr])
        if pk is None:
            message = _("no %(what)s 「%(name)s」") % {
                "what": column.header,
                "name": row[column.attr],
            }
            report.errors.append(RowError(row.number, column.header, message))
            return None
        ids = {c.attr: (pk if c is column else None) for c in SUBJECT_COLUMNS[:3]}
        return ids["department"], ids["village"], ids["cadre"]

    def plan_row(self, row: Row, subject: Subject, stored: Any, report: Report) -> Action | None:
        raise NotImplementedError

    @staticmethod
    def subject_of(payload: dict[str, Any]) -> dict[str, Any]:
        department, village, cadre = payload["subject"]
        return {
            "department": Department.objects.get(pk=department) if department else None,
            "village": Village.objects.get(pk=village) if village else None,
            "cadre": Cadre.objects.get(pk=cadre) if cadre else None,
        }

    def subject_cells(self, queryset: Any) -> Any:
        """The subject's four export columns first, then `fields`, in the export's order."""
        return queryset.order_by(*self.export_order).values_list(
            "department__name",
            "village__name",
            "cadre__user__username",
            "cadre__name",
            *self.export_fields,
        )

    export_order: tuple[str, ...]
    export_fields: tuple[str, ...]


@register
class AccountabilityLedger(SubjectLedger):
    name = "accountability"
    title = "西岗镇脱贫攻坚问责台账"
    model = Accountability
    key_attrs = ("measure", "decided_on")
    columns = [
        *SUBJECT_COLUMNS,
        Column("问责方式", "measure", choice_parser(Accountability.Measure.values), key=True),
        Column("情节", "severity", choice_parser(Accountability.Severity.values), filled=True),
        Column("决定日期", "decided_on", parse_date, key=True),
        Column("问责事由", "reason", required=True, filled=True),
        Column("移送纪律处分日期", "referred_on", parse_date),
        Column("移送情况", "referral"),
        # set by the service (a case found by inspection): exported only
        Column("从重", "aggravated"),
        Column("督查问题", "finding"),
    ]
    entry_headers = ["录入时间", "录入人"]
    permission = "oversight.add_accountability"
    export_permission = "oversight.view_accountability"
    export_order = ("decided_on", "id")
    export_fields = (
        "measure",
        "severity",
        "decided_on",
        "reason",
        "referred_on",
        "referral",
        "aggravated",
        "finding__description",
        "created_at",
        "created_by__username",
    )

    def plan_row(self, row: Row, subject: Subject, stored: Any, report: Report) -> Action | None:
        if row["severity"] is None or row["reason"] is None:
            return None  # the reader has said why
        errors = decision_errors(
            decided_on=None, referred_on=row["referred_on"], referral=row["referral"] or ""
        )
        if stored is None:
            error = ladder_error(severity=row["severity"], measure=row["measure"], aggravated=False)
            if error:
                errors["measure"] = [error]
        headers = {"measure": "问责方式", "referral": "移送情况"}
        for field, messages in errors.items():
            for message in messages:
                report.errors.append(RowError(row.number, headers[field], message))
        if errors:
            return None
        payload = {f: row[f] for f in ("measure", "severity", "decided_on", "referred_on")}
        payload |= {
            "subject": subject,
            "reason": row["reason"],
            "referral": row["referral"] or "",
        }
        if stored is None:
            return Action("created", row.number, payload)
        if not self.keeps(row, {"severity": stored.severity}, report):
            return None
        correctable = ("reason", "referred_on", "referral")  # as on the decision's form
        changed = changes(
            {f: getattr(stored, f) for f in correctable}, {f: payload[f] for f in correctable}
        )
        if not changed:
            return Action("unchanged", row.number)
        return Action("updated", row.number, payload | {"id": stored.pk}, changed)

    def apply(self, actions: list[Action]) -> None:
        for action in actions:
            row = action.payload
            if action.kind == "created":
                accountability_record(
                    measure=row["measure"],
                    severity=row["severity"],
                    decided_on=row["decided_on"],
                    reason=row["reason"],
                    user=cast(User, self.user),
                    referred_on=row["referred_on"],
                    referral=row["referral"],
                    **self.subject_of(row),
                )
            elif action.kind == "updated":
                accountability_update(
                    decision=Accountability.objects.get(pk=row["id"]),
                    reason=row["reason"],
                    referred_on=row["referred_on"],
                    referral=row["referral"],
                )

    def export_rows(self) -> Iterator[tuple[object, ...]]:
        rows = self.subject_cells(self.exported(Accountability.objects.all()))
        for *head, referred_on, referral, aggravated, finding, at, by in rows.iterator(
            chunk_size=2000
        ):
            yield (
                *head,
                referred_on,
                referral or None,
                "是" if aggravated else None,
                finding,
                entry_time(at),
                by,
            )


@register
class CommendationLedger(SubjectLedger):
    name = "commendations"
    title = "西岗镇脱贫攻坚表扬台账"
    model = Commendation
    key_attrs = ("awarded_on",)
    needs_author = False  # proposed by the inspectors; the leader who approves it is recorded
    columns = [
        *SUBJECT_COLUMNS,
        Column("表扬日期", "awarded_on", parse_date, key=True),
        Column("表扬事由", "reason", required=True, filled=True),
    ]
    entry_headers = ["审批人", "审批时间"]
    permission = "oversight.add_commendation"
    export_permission = "oversight.view_commendation"
    export_order = ("awarded_on", "id")
    export_fields = ("awarded_on", "reason", "approved_by__username", "approved_at")

    def plan_row(self, row: Row, subject: Subject, stored: Any, report: Report) -> Action | None:
        if row["reason"] is None:
            return None  # the reader has said why
        if stored is not None:
            kept = self.keeps(row, {"reason": stored.reason}, report)
            return Action("unchanged", row.number) if kept else None
        payload = {"subject": subject, "awarded_on": row["awarded_on"], "reason": row["reason"]}
        return Action("created", row.number, payload)

    def apply(self, actions: list[Action]) -> None:
        for action in actions:
            if action.kind == "created":
                row = action.payload
                commendation_record(
                    reason=row["reason"], awarded_on=row["awarded_on"], **self.subject_of(row)
                )

    def export_rows(self) -> Iterator[tuple[object, ...]]:
        rows = self.subject_cells(self.exported(Commendation.objects.all()))
        for *head, by, at in rows.iterator(chunk_size=2000):
            yield (*head, by, entry_time(at))
