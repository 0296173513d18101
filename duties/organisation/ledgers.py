"""The organisation's ledgers: `villages` (村（居）) and `cadres` (干部), as docs/ledger-formats.md
says.

Both read every record a file refers to in one query per table before looking at any row, so a
file of thousands of rows costs a handful of queries to plan; writes go through the services
(`cadre_save`, `village_assignments_set`), which set groups and grant the row scope.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from duties.checks import mobile_error
from duties.models import Cadre, Department, PartyBranch, Village, VillageAssignment
from duties.organisation.services import (
    cadre_groups,
    cadre_save,
    username_refusal,
    village_assignments_set,
)
from xigang import roles as role_names
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
    parse_list,
    parse_text,
    register,
)
from xigang.scope import visible
from xigang.security.accounts import group_names, groups_refusals

LIST_SEPARATOR = "、"


def _duplicate_keys(kind: LedgerKind, rows: list[Row], attr: str, report: Report) -> None:
    """A natural key may appear once in a file: a second row would silently undo the first."""
    first_row: dict[str, int] = {}
    for row in rows:
        key = row[attr]
        if key is None:
            continue
        if key in first_row:
            report.errors.append(
                RowError(
                    row.number,
                    kind.header_for(attr),
                    _("「%(key)s」 already appears in row %(row)d")
                    % {"key": key, "row": first_row[key]},
                )
            )
        else:
            first_row[key] = row.number


def _or_empty(value: Any) -> str:
    return value if value is not None else ""


def _blank_to_none(value: str) -> str | None:
    """Exports leave a cell empty rather than write an empty string."""
    return value or None


# --- villages ---------------------------------------------------------------------------------


def _village_changes(
    village: Village, wanted: dict[str, Any], assigned: set[str]
) -> dict[str, Any]:
    """The village's values that the row changes, as the file writes them (`assigned`: its
    cadres' user names; their order in a cell does not matter)."""
    current: dict[str, Any] = {
        "kind": village.kind,
        "branch": village.branch.name if village.branch else None,
        "cadres": sorted(assigned),
    }
    compared = dict(wanted)
    if "cadres" in compared:
        compared["cadres"] = sorted({c.user.username for c in compared["cadres"]})
    return changes(current, compared)


@register
class VillageLedger(LedgerKind):
    name = "villages"
    title = "西岗镇村（居）台账"
    columns = [
        Column("村名称", "name", key=True, max_length=50),
        Column("类型", "kind", choice_parser(Village.Kind.values)),
        Column("党总支", "branch", max_length=50),
        Column("包村干部", "cadres", parse_list),
    ]
    permission = "duties.add_village"
    export_permission = "duties.view_village"

    def plan(self, rows: list[Row], report: Report) -> list[Action]:
        _duplicate_keys(self, rows, "name", report)
        names = {row["name"] for row in rows if row["name"]}
        existing = {
            v.name: v for v in Village.objects.filter(name__in=names).select_related("branch")
        }
        in_scope = set(
            visible(self.user, Village.objects.filter(name__in=names)).values_list("pk", flat=True)
        )
        usernames = {u for row in rows for u in (row["cadres"] or [])}
        cadres = {
            c.user.username: c
            for c in Cadre.objects.filter(user__username__in=usernames).select_related("user")
        }
        assigned: dict[int, set[str]] = {}
        for village_id, username in VillageAssignment.objects.filter(
            village__name__in=names
        ).values_list("village_id", "cadre__user__username"):
            assigned.setdefault(village_id, set()).add(username)

        actions = []
        for row in rows:
            if row["name"] is None:
                continue
            village = existing.get(row["name"])
            if village is not None and village.pk not in in_scope:
                report.errors.append(
                    RowError(row.number, "村名称", _("you may not change this village"))
                )
                continue
            wanted: dict[str, Any] = {}
            if "kind" in row.present:
                wanted["kind"] = row["kind"] or Village.Kind.VILLAGE
            if "branch" in row.present:
                wanted["branch"] = row["branch"]
            if "cadres" in row.present:
                listed = list(dict.fromkeys(row["cadres"] or []))
                unknown = [u for u in listed if u not in cadres]
                if unknown:
                    report.errors.append(
                        RowError(
                            row.number,
                            "包村干部",
                            _("no cadre has the user name %(names)s")
                            % {"names": "、".join(f"「{u}」" for u in unknown)},
                        )
                    )
                    continue
                wanted["cadres"] = [cadres[u] for u in listed]
            if village is None:
                actions.append(Action("created", row.number, (row["name"], wanted)))
            else:
                changed = _village_changes(village, wanted, assigned.get(village.pk, set()))
                kind = "updated" if changed else "unchanged"
                actions.append(Action(kind, row.number, (village, wanted), changed))
        return actions

    def apply(self, actions: list[Action]) -> None:
        branch_names = {
            a.payload[1]["branch"]
            for a in actions
            if a.kind != "unchanged" and a.payload[1].get("branch")
        }
        branches = {b.name: b for b in PartyBranch.objects.filter(name__in=branch_names)}
        for name in sorted(branch_names - set(branches)):
            branches[name] = PartyBranch.objects.create(name=name)
        for action in actions:
            if action.kind == "unchanged":
                continue
            village, wanted = action.payload
            if action.kind == "created":
                village = Village(name=village)
            if "kind" in wanted:
                village.kind = wanted["kind"]
            if "branch" in wanted:
                village.branch = branches[wanted["branch"]] if wanted["branch"] else None
            village.full_clean()
            village.save()
            if "cadres" in wanted:
                village_assignments_set(village=village, cadres=wanted["cadres"])

    def export_rows(self) -> Iterator[tuple[Any, ...]]:
        villages = self.exported(Village.objects.all()).select_related("branch")
        villages = villages.prefetch_related(
            Prefetch(
                "villageassignment_set",
                queryset=VillageAssignment.objects.select_related("cadre__user"),
            )
        )
        for village in villages.order_by("name"):
            usernames = sorted(a.cadre.user.username for a in village.villageassignment_set.all())
            yield (
                village.name,
                village.kind,
                village.branch.name if village.branch else None,
                _blank_to_none(LIST_SEPARATOR.join(usernames)),
            )


# --- cadres -----------------------------------------------------------------------------------


def parse_mobile(value: Any) -> str:
    text = parse_text(value)
    error = mobile_error(text)
    if error:
        raise CellError(error)
    return text


def parse_roles(value: Any) -> list[str]:
    listed = list(dict.fromkeys(parse_list(value)))
    unknown = [r for r in listed if r not in role_names.ALL_ROLES]
    if unknown:
        raise CellError(
            _("「%(value)s」 is not a role; the roles are %(roles)s")
            % {"value": "、".join(unknown), "roles": "、".join(role_names.ALL_ROLES)}
        )
    return listed


def _roles_in_order(names: Iterable[str]) -> list[str]:
    held = set(names)
    return [r for r in role_names.ALL_ROLES if r in held]


def _cadre_values(user: User | None, cadre: Cadre | None) -> dict[str, Any]:
    """A cadre's values as the ledger's columns hold them (an account without a cadre: its
    first name and roles)."""
    return {
        "name": cadre.name if cadre else (user.first_name if user else ""),
        "mobile": cadre.mobile if cadre else "",
        "unit": cadre.unit if cadre else None,
        "title": cadre.title if cadre else "",
        "roles": _roles_in_order(g.name for g in user.groups.all()) if user else [],
    }


def _account_refusal(user: User | None, cadre: Cadre | None, in_scope: bool) -> str | None:
    """Why a row may not touch this account, or None."""
    if user is not None and user.is_superuser:
        return _("this is an administrator's account; change it in the user admin")
    refusal = username_refusal(user)
    if not refusal and cadre is not None and not in_scope:
        return _("you may not change this cadre")
    return refusal


@register
class CadreLedger(LedgerKind):
    name = "cadres"
    title = "西岗镇干部台账"
    columns = [
        Column("用户名", "username", key=True, max_length=150),
        Column("姓名", "name", max_length=50),
        Column("手机号", "mobile", parse_mobile),
        Column("单位", "unit", max_length=50),
        Column("职务", "title", max_length=50),
        Column("角色", "roles", parse_roles),
    ]
    permission = "duties.add_cadre"
    export_permission = "duties.view_cadre"

    def plan(self, rows: list[Row], report: Report) -> list[Action]:
        _duplicate_keys(self, rows, "username", report)
        usernames = {row["username"] for row in rows if row["username"]}
        users = {
            u.username: u
            for u in get_user_model()
            .objects.filter(username__in=usernames)
            .select_related("cadre__department", "cadre__village")
            .prefetch_related("groups")
        }
        in_scope = set(
            visible(self.user, Cadre.objects.filter(user__username__in=usernames)).values_list(
                "user__username", flat=True
            )
        )
        unit_names = {row["unit"] for row in rows if row["unit"]}
        # A department's name wins over a village's of the same name.
        units: dict[str, Department | Village] = {
            v.name: v for v in Village.objects.filter(name__in=unit_names)
        }
        units.update({d.name: d for d in Department.objects.filter(name__in=unit_names)})

        actions = []
        for row in rows:
            username = row["username"]
            if username is None:
                continue
            user = users.get(username)
            cadre = getattr(user, "cadre", None) if user is not None else None
            refusal = _account_refusal(user, cadre, username in in_scope)
            if refusal:
                report.errors.append(RowError(row.number, "用户名", refusal))
                continue
            current = _cadre_values(user, cadre)
            wanted = dict(current)
            for attr in ("name", "mobile", "title"):
                if attr in row.present:
                    wanted[attr] = _or_empty(row[attr])
            if "roles" in row.present:
                wanted["roles"] = _roles_in_order(row["roles"] or [])
                refusals = self._roles_refusals(user, wanted["roles"])
                if refusals:
                    report.errors.append(RowError(row.number, "角色", " ".join(refusals)))
                    continue
            if "unit" in row.present:
                unit = units.get(row["unit"])
                if row["unit"] and unit is None:
                    message = _("「%(value)s」 is neither a department nor a village")
                    report.errors.append(
                        RowError(row.number, "单位", message % {"value": row["unit"]})
                    )
                    continue
                wanted["unit"] = unit
            if not wanted["name"]:
                report.errors.append(RowError(row.number, "姓名", _("must not be empty")))
                continue
            kind = "created" if cadre is None else "updated" if wanted != current else "unchanged"
            changed = changes(current, wanted) if kind == "updated" else {}
            if changed.get("unit") is not None:
                changed["unit"] = changed["unit"].name
            actions.append(Action(kind, row.number, {"username": username, **wanted}, changed))
        return actions

    def _roles_refusals(self, user: User | None, wanted: list[str]) -> list[str]:
        """Nobody changes their own roles; a post holder's change only through 安全管理员."""
        if user is None:
            return []
        old = group_names(user)
        return groups_refusals(by=self.user, user=user, old=old, new=cadre_groups(user, wanted))

    def apply(self, actions: list[Action]) -> None:
        for action in actions:
            if action.kind != "unchanged":
                cadre_save(**action.payload, by=self.user)

    def export_rows(self) -> Iterator[tuple[Any, ...]]:
        cadres = (
            self.exported(Cadre.objects.all())
            .select_related("user", "department", "village")
            .prefetch_related("user__groups")
            .order_by("user__username")
        )
        for cadre in cadres:
            unit = cadre.unit
            yield (
                cadre.user.username,
                cadre.name,
                _blank_to_none(cadre.mobile),
                unit.name if unit else None,
                _blank_to_none(cadre.title),
                _blank_to_none(
                    LIST_SEPARATOR.join(_roles_in_order(g.name for g in cadre.user.groups.all()))
                ),
            )
