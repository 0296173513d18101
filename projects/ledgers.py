"""Ledgers `projects` (扶贫项目台账) and `assets` (扶贫资产台账): import and export.

A project is keyed by its name and village (empty or 镇级: a town-level project); its funds are
one column per source. What the server sets (the acceptance, the 公示 files, entry times) is
exported after the columns and never imported. An asset is keyed by its name and village; its
project must be in the register (same village). Both are all-or-nothing, row errors with the
row and column, within the importing user's write scope."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from duties.models import Department, Village
from households.ledgers.common import duplicate_keys
from projects.models import Asset, Notice, Project, ProjectFund
from xigang.entry import entry_time
from xigang.ledgers import (
    Action,
    CellError,
    Column,
    LedgerKind,
    Report,
    Row,
    RowError,
    changes,
    choice_parser,
    parse_date,
    parse_text,
    register,
)
from xigang.scope import visible, writable

TOWN = "镇级"  # the village cell of a town-level project or asset
FUND_HEADERS = {source: f"{source}（元）" for source in ProjectFund.Source.values}
# A project's cells compared as the file writes them (besides its key, department and funds).
PROJECT_CELLS = ("kind", "planned_start", "planned_finish", "started_on", "finished_on")


def parse_amount(value: Any) -> Decimal:
    """Yuan, to the fen: 12000, 12,000.50 or 1.2万."""
    text = parse_text(value).replace(",", "").replace("，", "").replace("元", "")
    scale = Decimal(1)
    if text.endswith("万"):
        text, scale = text[:-1], Decimal(10000)
    try:
        amount = (Decimal(text) * scale).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise CellError(
            _("「%(value)s」 is not an amount of yuan, e.g. 12000 or 1.2万") % {"value": value}
        ) from None
    if amount < 0:
        raise CellError(_("「%(value)s」 is negative") % {"value": value})
    return amount


class _UnitLedger(LedgerKind):
    """What both ledgers share: villages and departments by name, and the row's key."""

    def _units(self, rows: list[Row], report: Report, *, department_header: str) -> None:
        self._villages = {v.name: v for v in Village.objects.all()}
        self._departments = {d.name: d for d in Department.objects.all()}
        for row in rows:
            village = row["village"]
            if village and village != TOWN and village not in self._villages:
                message = _("no village is named 「%(name)s」") % {"name": village}
                report.errors.append(RowError(row.number, "村", message))
            department = row["department"]
            if department and department not in self._departments:
                message = _("no department is named 「%(name)s」") % {"name": department}
                report.errors.append(RowError(row.number, department_header, message))

    def _village(self, row: Row) -> Village | None:
        return self._villages.get(row["village"] or "")

    @staticmethod
    def _key(row: Row) -> tuple | None:
        if row["name"] is None:
            return None
        return (row["name"], row["village"] if row["village"] not in (None, TOWN) else None)

    def _existing(
        self,
        model: type[Project] | type[Asset],
        report: Report,
        rows: list[Row],
        related: tuple[str, ...],
    ) -> dict[tuple, Any]:
        """The registered rows by key (with the `related` rows whose names the file writes),
        and an error for each row that would change one out of the user's write scope."""
        names = {row["name"] for row in rows if row["name"]}
        found = model._default_manager.filter(name__in=names).select_related("village", *related)
        mine = set(writable(self.user, found).values_list("pk", flat=True))
        existing = {}
        for obj in found:
            existing[(obj.name, obj.village.name if obj.village else None)] = obj
        for row in rows:
            key = self._key(row)
            known = existing.get(key) if key else None
            if known is not None and known.pk not in mine:
                message = _("you may not change 「%(name)s」") % {"name": row["name"]}
                report.errors.append(RowError(row.number, self.columns[0].header, message))
        return {key: obj for key, obj in existing.items() if obj.pk in mine}


@register
class ProjectLedger(_UnitLedger):
    name = "projects"
    title = "西岗镇扶贫项目台账"
    columns = [
        Column("项目名称", "name", key=True, max_length=100),
        Column("村", "village", max_length=50),
        Column("项目类型", "kind", choice_parser(Project.Kind.values), filled=True),
        Column("实施单位", "department", required=True, filled=True, max_length=50),
        Column("计划开工日期", "planned_start", parse_date, required=True, filled=True),
        Column("计划完工日期", "planned_finish", parse_date, required=True, filled=True),
        Column("实际开工日期", "started_on", parse_date),
        Column("实际完工日期", "finished_on", parse_date),
        *(Column(header, source, parse_amount) for source, header in FUND_HEADERS.items()),
    ]
    entry_headers = ["验收日期", "验收人", "验收录入时间", "开工前公示", "完工后公示"]
    permission = "projects.add_project"
    export_permission = "projects.view_project"

    def plan(self, rows: list[Row], report: Report) -> list[Action]:
        refused = duplicate_keys(rows, self._key, "项目名称", report)
        self._units(rows, report, department_header="实施单位")
        existing = self._existing(Project, report, rows, ("department",))
        registered_funds: dict[int, dict[str, Decimal]] = {}
        for project_id, source, amount in ProjectFund.objects.filter(
            project__in=[p.pk for p in existing.values()]
        ).values_list("project_id", "source", "amount"):
            registered_funds.setdefault(project_id, {})[source] = amount
        actions = []
        for row in rows:
            key = self._key(row)
            if key is None or row.number in refused:
                continue
            error = self._dates_error(row)
            if error:
                report.errors.append(RowError(row.number, *error))
                continue
            fields = {
                "name": row["name"],
                "village": self._village(row),
                "kind": row["kind"],
                "department": self._departments.get(row["department"]),
                "planned_start": row["planned_start"],
                "planned_finish": row["planned_finish"],
                "started_on": row["started_on"],
                "finished_on": row["finished_on"],
            }
            if fields["department"] is None or fields["kind"] is None:
                continue  # the cell's error is reported already
            if not self._reachable(fields):
                message = _("the project would be outside your villages and departments")
                report.errors.append(RowError(row.number, "村", message))
                continue
            funds = {s: row[s] for s in FUND_HEADERS if s in row.present and row[s] is not None}
            project = existing.get(key)
            if project is None:
                actions.append(Action("created", row.number, (None, fields, funds)))
                continue
            # the key (name, village) matches: the other cells and the funds, in the file's terms
            stored = {f: getattr(project, f) for f in PROJECT_CELLS}
            stored |= {
                "department": project.department.name,
                **registered_funds.get(project.pk, {}),
            }
            wanted = {f: row[f] for f in PROJECT_CELLS} | {"department": row["department"], **funds}
            changed = changes(stored, wanted)
            if changed:
                actions.append(Action("updated", row.number, (project, fields, funds), changed))
            else:
                actions.append(Action("unchanged", row.number))
        return actions

    def _reachable(self, fields: dict[str, Any]) -> bool:
        """A new or changed project stays in the importing user's scope."""
        from xigang.scope import scope_of

        s = scope_of(self.user)
        if s.whole_town:
            return True
        village = fields["village"]
        return (village is not None and village.pk in s.village_ids) or (
            fields["department"].pk in s.department_ids
        )

    @staticmethod
    def _dates_error(row: Row) -> tuple[str, str] | None:
        if (
            row["planned_finish"]
            and row["planned_start"]
            and row["planned_finish"] < row["planned_start"]
        ):
            return "计划完工日期", _("the planned finish is before the planned start")
        if row["finished_on"] and not row["started_on"]:
            return "实际开工日期", _("a finished project needs its start date")
        if row["finished_on"] and row["started_on"] and row["finished_on"] < row["started_on"]:
            return "实际完工日期", _("the finish is before the start")
        return None

    def apply(self, actions: list[Action]) -> None:
        with transaction.atomic():
            for action in actions:
                if action.kind == "unchanged":
                    continue
                project, fields, funds = action.payload
                if project is None:
                    project = Project(**fields)
                else:
                    for field, value in fields.items():
                        setattr(project, field, value)
                project.full_clean()
                project.save()
                for source, amount in funds.items():
                    ProjectFund.objects.update_or_create(
                        project=project, source=source, defaults={"amount": amount}
                    )
                # the history records Actions: give it the row's values, not model objects
                action.payload = {"project": project.pk, "name": project.name}

    def export_rows(self) -> Iterator[tuple]:
        projects = (
            self.exported(Project.objects.all())
            .select_related("village", "department", "accepted_by")
            .prefetch_related("funds", "notices")
            .order_by("village__name", "name", "pk")
        )
        for p in projects.iterator(chunk_size=500):
            funds = {f.source: f.amount for f in p.funds.all()}
            posted = {
                stage: min((n.posted_on for n in p.notices.all() if n.stage == stage), default=None)
                for stage in (Notice.Stage.BEFORE_START, Notice.Stage.AFTER_FINISH)
            }
            yield (
                p.name,
                p.village.name if p.village else TOWN,
                p.kind,
                p.department.name,
                p.planned_start,
                p.planned_finish,
                p.started_on,
                p.finished_on,
                *(funds.get(source) for source in FUND_HEADERS),
                p.accepted_on,
                p.accepted_by.username if p.accepted_by else None,
                entry_time(p.accepted_at),
                posted[Notice.Stage.BEFORE_START],
                posted[Notice.Stage.AFTER_FINISH],
            )


@register
class AssetLedger(_UnitLedger):
    name = "assets"
    title = "西岗镇扶贫资产台账"
    columns = [
        Column("资产名称", "name", key=True, max_length=100),
        Column("村", "village", max_length=50),
        Column("所属项目", "project", required=True, filled=True, max_length=100),
        Column("所有权人", "owner", choice_parser(Asset.Owner.values), filled=True),
        Column("资产价值（元）", "value", parse_amount, required=True, filled=True),
        Column("管护单位", "department", max_length=50),  # 经管站 when empty (art. 10)
        Column("登记日期", "registered_on", parse_date, required=True, filled=True),
    ]
    entry_headers = ["最近收益分配年度", "收益（元）", "分配到户（元）", "分配公示"]
    permission = "projects.add_asset"
    export_permission = "projects.view_asset"

    def plan(self, rows: list[Row], report: Report) -> list[Action]:
        refused = duplicate_keys(rows, self._key, "资产名称", report)
        self._units(rows, report, department_header="管护单位")
        existing = self._existing(Asset, report, rows, ("project", "manager"))
        projects = {
            (p.name, p.village_id): p
            for p in visible(
                self.user, Project.objects.filter(name__in={r["project"] for r in rows})
            )
        }
        actions = []
        for row in rows:
            key = self._key(row)
            if key is None or row.number in refused or None in (row["owner"], row["value"]):
                continue
            village = self._village(row)
            project = projects.get((row["project"], village.pk if village else None))
            if project is None:
                message = _("no project 「%(name)s」 of the same village is in your register") % {
                    "name": row["project"]
                }
                report.errors.append(RowError(row.number, "所属项目", message))
                continue
            fields = {
                "name": row["name"],
                "village": village,
                "project": project,
                "owner": row["owner"],
                "value": row["value"],
                "manager": self._departments.get(row["department"] or "经管站"),
                "registered_on": row["registered_on"],
            }
            if fields["manager"] is None:
                continue  # reported by `_units`
            asset = existing.get(key)
            if asset is None:
                actions.append(Action("created", row.number, (None, fields)))
                continue
            # the key (name, village) matches: the other cells, in the file's terms
            stored = {"project": asset.project.name, "department": asset.manager.name}
            stored |= {f: getattr(asset, f) for f in ("owner", "value", "registered_on")}
            wanted = {f: row[f] for f in ("project", "owner", "value", "registered_on")}
            changed = changes(stored, wanted | {"department": fields["manager"].name})
            if asset.project_id != project.pk:  # another village's project of the same name
                changed.setdefault("project", asset.project.name)
            if changed:
                actions.append(Action("updated", row.number, (asset, fields), changed))
            else:
                actions.append(Action("unchanged", row.number))
        return actions

    def apply(self, actions: list[Action]) -> None:
        for action in actions:
            if action.kind == "unchanged":
                continue
            asset, fields = action.payload
            if asset is None:
                asset = Asset(**fields)
            else:
                for field, value in fields.items():
                    setattr(asset, field, value)
            asset.full_clean()
            asset.save()
            action.payload = {"asset": asset.pk, "name": asset.name}

    def export_rows(self) -> Iterator[tuple]:
        assets = (
            self.exported(Asset.objects.all())
            .select_related("village", "manager", "project")
            .prefetch_related("distributions__notices")
            .order_by("village__name", "name", "pk")
        )
        for a in assets.iterator(chunk_size=500):
            latest = max(a.distributions.all(), key=lambda d: d.year, default=None)
            yield (
                a.name,
                a.village.name if a.village else TOWN,
                a.project.name,
                a.owner,
                a.value,
                a.manager.name,
                a.registered_on,
                latest.year if latest else None,
                latest.income if latest else None,
                latest.distributed if latest else None,
                min((n.posted_on for n in latest.notices.all()), default=None) if latest else None,
            )
