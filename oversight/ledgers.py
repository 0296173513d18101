"""Ledger `findings` (督查问题整改台账): exported for inspectors and the units found."""

from collections.abc import Iterator

from django.utils.translation import pgettext

from oversight.models import Finding
from xigang.ledgers import Column, LedgerKind, register


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
