"""Ledger `obligations` (责任清单落实台账): exported for inspectors and the units themselves."""

from collections.abc import Iterator
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import pgettext

from duties.models import Obligation
from duties.schedules.generation import ensure_generated
from xigang.ledgers import Column, LedgerKind, register


def _person(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


@register
class ObligationsLedger(LedgerKind):
    name = "obligations"
    title = "西岗镇脱贫攻坚责任清单落实台账"
    permission = "duties.change_obligation"
    export_permission = "duties.view_obligation"
    importable = False
    columns = [
        Column("责任单位", "unit"),
        Column("条款", "article"),
        Column("职责", "duty"),
        Column("周期", "period"),
        Column("周期开始", "period_start"),
        Column("周期结束", "period_end"),
        Column("完成期限", "due"),
        Column("状态", "status"),
        Column("完成时间", "completed_at"),
        Column("完成人", "completed_by"),
        Column("说明", "note"),
        Column("免除原因", "waived_reason"),
        Column("免除人", "waived_by"),
    ]

    def export_rows(self) -> Iterator[tuple[Any, ...]]:
        today = timezone.localdate()
        ensure_generated(through=today)
        rows = (
            self.exported(Obligation.objects.filter(period_start__lte=today))
            .select_related("duty__article", "department", "village", "completed_by", "waived_by")
            .order_by("due", "duty__article_id", "duty__clause", "id")
        )
        for o in rows.iterator(chunk_size=2000):
            late = o.is_overdue(today)
            yield (
                str(o.unit),
                f"{o.duty.article.label}第{o.duty.clause}项",
                o.duty.text,
                o.period_label,
                o.period_start,
                o.period_end,
                o.due,
                pgettext("obligation status", "overdue") if late else o.get_status_display(),
                # a date and time Excel can sort and filter (a cell holds no time zone)
                timezone.localtime(o.completed_at).replace(tzinfo=None, second=0, microsecond=0)
                if o.completed_at
                else None,
                _person(o.completed_by),
                o.note,
                o.waived_reason,
                _person(o.waived_by),
            )
