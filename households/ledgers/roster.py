"""Ledger `pairing_roster` (帮扶责任人名册): the roster offices keep, with the cadres' names and units
but no user names, one row per paired household. It imports as cadres and pairings in one file,
all-or-nothing.

A cadre is found by name, narrowed by 手机号 (or else by 单位) when several share it; one not
found is created with the 帮扶责任人 role and a generated user name (bf00001, …), which the
preview lists as warnings. Several matches refuse the row (ambiguous). The new cadres are planned
with the `cadres` ledger's plan and written inside the import's transaction; the pairings are
then planned with the `pairings` ledger's plan: every rule of both applies, and a dry run writes
nothing (the engine rolls the transaction back).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from duties.models import Cadre
from duties.organisation.ledgers import CadreLedger
from households.ledgers.pairings import PairingLedger
from households.models import Pairing
from xigang import roles
from xigang.ledgers import (
    Action,
    Column,
    LedgerError,
    LedgerKind,
    Report,
    Row,
    RowError,
    borrowed,
    register,
)
from xigang.scope import visible

USERNAME = re.compile(r"^bf(\d{5})$")  # the generated user names: bf00001, bf00002, …


@register
class PairingRosterLedger(LedgerKind):
    name = "pairing_roster"
    title = "西岗镇帮扶责任人名册"
    columns = [
        Column("帮扶责任人姓名", "name", required=True, filled=True, max_length=50),
        borrowed(CadreLedger, "单位", "unit"),
        borrowed(CadreLedger, "职务", "title"),
        borrowed(CadreLedger, "手机号", "mobile"),
        borrowed(PairingLedger, "户编号", "household", key=True),
        borrowed(PairingLedger, "开始日期", "start", key=True),
        borrowed(PairingLedger, "结束日期", "end"),
    ]
    permission = "households.add_pairing"
    export_permission = "households.view_pairing"
    writes_in_plan = True  # the new cadres, before their pairings are planned

    def plan(self, rows: list[Row], report: Report) -> list[Action]:
        usernames = self._usernames(rows, report)
        errors_before = len(report.errors)
        cadres = CadreLedger(self.user)
        if self._generated and not self.user.has_perm(cadres.permission):
            raise LedgerError(
                _("the file names cadres not in the register, and you may not add cadres: %(who)s")
                % {"who": "、".join(name for name, _m, _u in self._generated)}
            )
        cadre_actions = cadres.plan(self._new_cadres(rows, usernames, report), report)
        if len(report.errors) > errors_before:
            return []  # the pairings of cadres refused cannot be checked
        cadres.apply(cadre_actions)  # inside the import's transaction (see above)
        self._pairings = PairingLedger(self.user)
        pairing_rows = [
            Row(
                row.number,
                {
                    "household": row["household"],
                    "cadre": usernames[row.number],
                    "start": row["start"],
                    "end": row["end"],
                },
                frozenset({"household", "cadre", "start"}) | (row.present & {"end"}),
            )
            for row in rows
            if row.number in usernames
        ]
        self._pairing_actions = self._pairings.plan(pairing_rows, report)
        return cadre_actions + self._pairing_actions

    def _usernames(self, rows: list[Row], report: Report) -> dict[int, str]:
        """Row number -> the user name of its cadre, found or generated (new ones warned)."""
        names = {row["name"] for row in rows if row["name"]}
        known: dict[str, list[dict[str, Any]]] = {}
        for cadre in visible(self.user, Cadre.objects.filter(name__in=names)).values(
            "name", "mobile", "user__username", "department__name", "village__name"
        ):
            known.setdefault(cadre["name"], []).append(dict(cadre))
        taken = [
            int(match.group(1))
            for name in get_user_model()
            .objects.filter(username__startswith="bf")
            .values_list("username", flat=True)
            if (match := USERNAME.match(name))
        ]
        next_number = max(taken, default=0) + 1
        generated: dict[tuple[str, str, str], str] = {}
        out: dict[int, str] = {}
        for row in rows:
            if row["name"] is None:
                continue
            found = self._found(row, known.get(row["name"], []))
            if len(found) > 1:
                report.errors.append(
                    RowError(
                        row.number,
                        "帮扶责任人姓名",
                        _(
                            "several cadres are called 「%(name)s」 (%(who)s): give the 手机号 "
                            "or the 单位 that tells them apart"
                        )
                        % {
                            "name": row["name"],
                            "who": "、".join(c["user__username"] for c in found),
                        },
                    )
                )
                continue
            if found:
                out[row.number] = found[0]["user__username"]
                continue
            person = (row["name"], row["mobile"] or "", row["unit"] or "")
            if person not in generated:
                generated[person] = f"bf{next_number:05d}"
                next_number += 1
                report.warnings.append(
                    RowError(
                        row.number,
                        "帮扶责任人姓名",
                        _("new cadre 「%(name)s」 gets the user name %(username)s")
                        % {"name": row["name"], "username": generated[person]},
                    )
                )
            out[row.number] = generated[person]
        self._generated = generated
        return out

    @staticmethod
    def _found(row: Row, same_name: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(same_name) > 1 and row["mobile"]:
            return [c for c in same_name if c["mobile"] == row["mobile"]]
        if len(same_name) > 1 and row["unit"]:
            unit = row["unit"]
            return [c for c in same_name if unit in (c["department__name"], c["village__name"])]
        return same_name

    def _new_cadres(self, rows: list[Row], usernames: dict[int, str], report: Report) -> list[Row]:
        """One row of the cadres ledger per generated cadre (its first row in the file)."""
        first: dict[str, Row] = {}
        for row in rows:
            username = usernames.get(row.number)
            if username is None or username not in self._generated.values():
                continue
            if username not in first:
                first[username] = Row(
                    row.number,
                    {
                        "username": username,
                        "name": row["name"],
                        "mobile": row["mobile"],
                        "unit": row["unit"],
                        "title": row["title"],
                        "roles": [roles.PAIRING],
                    },
                    frozenset({"username", "name", "roles"})
                    | (row.present & {"mobile", "unit", "title"}),
                )
        return list(first.values())

    def apply(self, actions: list[Action]) -> None:
        self._pairings.ledger_import = self.ledger_import  # its rows carry this import's mark
        self._pairings.apply(self._pairing_actions)  # the cadres were written by `plan`

    def export_rows(self) -> Iterable[tuple[Any, ...]]:
        """The pairings in scope with their cadres' names, units and mobiles."""
        pairings = self.exported(Pairing.objects.all()).order_by("household__number", "start")
        for name, department, village, title, mobile, number, start, end in pairings.values_list(
            "cadre__name",
            "cadre__department__name",
            "cadre__village__name",
            "cadre__title",
            "cadre__mobile",
            "household__number",
            "start",
            "end",
        ).iterator(chunk_size=5000):
            yield (name, department or village, title or None, mobile or None, number, start, end)
