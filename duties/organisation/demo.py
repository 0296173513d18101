"""Synthetic organisation for demos and benchmarks: party branches, villages, cadres of every
role with their scope, and 包村干部 assignments. Called by `manage.py seed_demo`.

Deterministic: everything is drawn from the `rng` passed in. Bulk writes keep the county scale
(about 1,200 villages and 6,000 cadres) quick to seed; the few well-known demo accounts go
through `cadre_save` like any cadre entered by hand.

Other apps' demo modules find the cadres by role: `Cadre.objects.filter(user__groups__name=...)`;
the pairing cadres are the members of 帮扶责任人 (the account `demo_pairing` among them).
"""

from __future__ import annotations

import datetime
import itertools
import random
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password
from django.contrib.auth.models import Group, Permission, User
from django.utils.translation import gettext as _

from duties.models import (
    Cadre,
    Department,
    DepartmentUserObjectPermission,
    PartyBranch,
    Village,
    VillageAssignment,
    VillageUserObjectPermission,
)
from duties.organisation.services import cadre_save
from xigang import demo, roles
from xigang.security.middleware import needs_second_factor

DEMO_PASSWORD = "Xigang-2026!demo"


@dataclass(frozen=True)
class Scale:
    branches: int
    villages: int
    pairing_cadres: int  # town cadres who are 帮扶责任人 only
    staff_per_department: int


SCALES = {
    # a handful of rows, for quick tests
    "tiny": Scale(branches=2, villages=4, pairing_cadres=6, staff_per_department=1),
    # 西岗镇 itself: ~60 villages in 8 党总支, ~300 cadres
    "town": Scale(branches=8, villages=60, pairing_cadres=150, staff_per_department=3),
    # about twenty times the town
    "county": Scale(branches=160, villages=1200, pairing_cadres=3000, staff_per_department=60),
    # twice the county: the growth curve's third point (docs/scale.md)
    "county2": Scale(branches=320, villages=2400, pairing_cadres=6000, staff_per_department=120),
}


@dataclass(frozen=True)
class DemoAccount:
    role: str
    username: str
    name: str
    unit: str  # a department name; "" for the first village; "-" for none
    title: str


DEMO_ACCOUNTS = [
    DemoAccount(roles.LEADER, "demo_leader", "王镇长", "镇党委、政府", "镇长"),
    DemoAccount(roles.OFFICE, "demo_office", "李扶贫", "扶贫办", "扶贫办主任"),
    DemoAccount(roles.DEPARTMENT, "demo_dept", "张民政", "民政科", "民政科科员"),
    DemoAccount(roles.VILLAGE, "demo_village", "赵书记", "", "党支部书记"),
    DemoAccount(roles.PAIRING, "demo_pairing", "刘帮扶", "农业办", "帮扶责任人"),
    DemoAccount(roles.INSPECTOR, "demo_inspector", "陈督查", "督查科", "督查科科长"),
]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌波辉宁海燕凤鹏浩宇欣然晨阳"
)
PLACE_HEADS = "张王李刘陈杨赵孙周吴徐胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈彭吕苏卢蒋蔡贾丁魏薛叶余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
PLACE_TAILS = ["庄", "楼", "营", "集", "店", "屯", "湖", "桥", "洼", "岭", "寨", "坊", "园", "堂"]
PREFIXES = ["", "东", "西", "南", "北", "前", "后", "大", "小", "新"]
BRANCH_NAMES = ["西岗", "前进", "红旗", "胜利", "东风", "团结", "和平", "建设", "光明", "幸福"]
VILLAGE_TITLES = ["党支部书记", "村委会主任", "党支部书记、村委会主任"]


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))


def _mobile(rng: random.Random) -> str:
    return rng.choice(("13", "15", "18")) + "".join(rng.choices("0123456789", k=9))


def _village_names(rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        base = rng.choice(PREFIXES) + rng.choice(PLACE_HEADS) + rng.choice(PLACE_TAILS)
        name = base + ("居" if rng.random() < 0.05 else "村")
        if base not in seen:
            seen.add(base)
            names.append(name)
    return names


def _branch_names(count: int) -> list[str]:
    names = []
    for i in range(count):
        word = BRANCH_NAMES[i % len(BRANCH_NAMES)]
        suffix = "" if i < len(BRANCH_NAMES) else str(i // len(BRANCH_NAMES) + 1)
        names.append(f"{word}{suffix}党总支")
    return names


class _Cast:
    """Cadres collected in memory, then written in a few bulk statements."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.rows: list[dict] = []
        self.serial = itertools.count(1)

    def username(self, prefix: str) -> str:
        return f"{prefix}{next(self.serial):05d}"

    def add(
        self,
        *,
        username: str,
        unit: Department | Village,
        role_list: list[str],
        title: str = "",
        name: str | None = None,
    ) -> None:
        self.rows.append(
            {
                "username": username,
                "name": name or _person(self.rng),
                "mobile": _mobile(self.rng),
                "unit": unit,
                "roles": role_list,
                "title": title,
                "password": UNUSABLE_PASSWORD_PREFIX
                + "".join(self.rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=40)),
            }
        )

    def write(self) -> list[Cadre]:
        user_model = get_user_model()
        users = user_model.objects.bulk_create(
            [
                user_model(
                    username=r["username"],
                    first_name=r["name"],
                    password=r["password"],
                    is_staff=True,
                )
                for r in self.rows
            ],
            batch_size=1000,
        )
        cadres = Cadre.objects.bulk_create(
            [
                Cadre(
                    user=user,
                    name=r["name"],
                    mobile=r["mobile"],
                    title=r["title"],
                    department=r["unit"] if isinstance(r["unit"], Department) else None,
                    village=r["unit"] if isinstance(r["unit"], Village) else None,
                )
                for user, r in zip(users, self.rows, strict=True)
            ],
            batch_size=1000,
        )
        self._write_roles(users)
        return cadres

    def _write_roles(self, users: list[User]) -> None:
        """Group memberships, and the same grants as `cadre_save`: a department's staff and a
        village's cadres get their unit's scope."""
        groups = {g.name: g for g in Group.objects.filter(name__in=roles.ALL_ROLES)}
        memberships = get_user_model().groups.through
        memberships.objects.bulk_create(
            [
                memberships(user_id=user.pk, group_id=groups[role].pk)
                for user, r in zip(users, self.rows, strict=True)
                for role in r["roles"]
            ],
            batch_size=2000,
        )
        perms = {
            p.codename: p
            for p in Permission.objects.filter(
                content_type__app_label="duties",
                codename__in=["work_in_village", "work_in_department"],
            )
        }
        DepartmentUserObjectPermission.objects.bulk_create(
            [
                DepartmentUserObjectPermission(
                    permission=perms["work_in_department"], user=user, content_object=r["unit"]
                )
                for user, r in zip(users, self.rows, strict=True)
                if isinstance(r["unit"], Department) and roles.DEPARTMENT in r["roles"]
            ],
            batch_size=2000,
        )
        VillageUserObjectPermission.objects.bulk_create(
            [
                VillageUserObjectPermission(
                    permission=perms["work_in_village"], user=user, content_object=r["unit"]
                )
                for user, r in zip(users, self.rows, strict=True)
                if isinstance(r["unit"], Village) and roles.VILLAGE in r["roles"]
            ],
            batch_size=2000,
        )


@demo.register(order=10, name="duties.demo")  # its name before the duties split
def seed(*, rng: random.Random, scale: str, as_of: datetime.date) -> None:
    """Branches, villages, cadres of every role with their scope, 包村干部 assignments and the
    demo accounts (DEMO_ACCOUNTS, password DEMO_PASSWORD)."""
    size = SCALES[scale]
    villages = _villages(rng, size)
    departments = list(Department.objects.order_by("order"))
    cast = _Cast(rng)
    _cast_town_staff(cast, departments, size)
    for village in villages:
        # One 两委 member per village; one in four also pairs households (scopes add up).
        role_list = [roles.VILLAGE]
        if rng.random() < 0.25:
            role_list.append(roles.PAIRING)
        cast.add(
            username=cast.username("cg"),
            unit=village,
            role_list=role_list,
            title=rng.choice(VILLAGE_TITLES),
        )
    line = [d for d in departments if d.kind == Department.Kind.DEPARTMENT]
    for _i in range(size.pairing_cadres):
        cast.add(
            username=cast.username("bf"),
            unit=rng.choice(line),
            role_list=[roles.PAIRING],
            title="帮扶责任人",
        )
    chosen = _choose_village_assignments(rng, cast, villages)
    _assign_villages(chosen, cast.write())
    _demo_accounts(villages[0])


def _villages(rng: random.Random, size: Scale) -> list[Village]:
    branches = PartyBranch.objects.bulk_create(
        [PartyBranch(name=name) for name in _branch_names(size.branches)]
    )
    return Village.objects.bulk_create(
        [
            Village(
                name=name,
                kind=Village.Kind.COMMUNITY if name.endswith("居") else Village.Kind.VILLAGE,
                branch=branches[i * size.branches // size.villages],
            )
            for i, name in enumerate(_village_names(rng, size.villages))
        ],
        batch_size=1000,
    )


def _cast_town_staff(cast: _Cast, departments: list[Department], size: Scale) -> None:
    """The town's leaders, then each unit's staff with the role its work needs."""
    by_name = {d.name: d for d in departments}
    leaders = ["党委书记", "镇长", "党委副书记", "副镇长", "副镇长"]
    for title in leaders[: max(2, min(len(leaders), size.staff_per_department + 2))]:
        cast.add(
            username=cast.username("ld"),
            unit=by_name["镇党委、政府"],
            role_list=[roles.LEADER],
            title=title,
        )
    for department in departments:
        if department.kind == Department.Kind.LEADERSHIP:
            continue
        role = {
            "扶贫办": roles.OFFICE,
            "镇纪委": roles.INSPECTOR,
            "督查科": roles.INSPECTOR,
        }.get(department.name, roles.DEPARTMENT)
        for index in range(size.staff_per_department):
            cast.add(
                username=cast.username("bm"),
                unit=department,
                role_list=[role],
                title=f"{department.name}{'负责人' if index == 0 else '科员'}",
            )


def _choose_village_assignments(
    rng: random.Random, cast: _Cast, villages: list[Village]
) -> list[tuple[Village, list[int]]]:
    """包村干部: one or two town cadres per village, drawn from line-department staff and
    pairing cadres (rows of the cast); they act for the village (村干部) and reach its rows."""
    town_rows = [
        i
        for i, r in enumerate(cast.rows)
        if isinstance(r["unit"], Department) and r["unit"].kind == Department.Kind.DEPARTMENT
    ]
    chosen = [(village, rng.sample(town_rows, k=rng.choice((1, 2)))) for village in villages]
    for _village, indices in chosen:
        for i in indices:
            if roles.VILLAGE not in cast.rows[i]["roles"]:
                cast.rows[i]["roles"].append(roles.VILLAGE)
    return chosen


def _assign_villages(chosen: list[tuple[Village, list[int]]], cadres: list[Cadre]) -> None:
    village_perm = Permission.objects.get(
        content_type__app_label="duties", codename="work_in_village"
    )
    assignments, grants = [], []
    for village, indices in chosen:
        for i in indices:
            assignments.append(VillageAssignment(village=village, cadre=cadres[i]))
            grants.append(
                VillageUserObjectPermission(
                    permission=village_perm, user_id=cadres[i].user_id, content_object=village
                )
            )
    VillageAssignment.objects.bulk_create(assignments, batch_size=2000)
    VillageUserObjectPermission.objects.bulk_create(grants, batch_size=2000, ignore_conflicts=True)


def _demo_accounts(first_village: Village) -> None:
    """The well-known accounts, through the service, with the demo password.

    The password is public and the same for all: it is hashed once (hashing is slow by design)
    and that hash is given to each account."""
    departments = {d.name: d for d in Department.objects.all()}
    encoded = make_password(DEMO_PASSWORD)
    for account in DEMO_ACCOUNTS:
        unit = first_village if account.unit == "" else departments[account.unit]
        cadre = cadre_save(
            username=account.username,
            name=account.name,
            unit=unit,
            roles=[account.role],
            mobile="13900000000",
            title=account.title,
        )
        cadre.user.password = encoded
        cadre.user.save(update_fields=["password"])


def demo_account_rows() -> list[tuple[str, str, str, str]]:
    """(role, username, password, scope) of the demo accounts that exist."""
    cadres = {
        c.user.username: c
        for c in Cadre.objects.filter(
            user__username__in=[a.username for a in DEMO_ACCOUNTS]
        ).select_related("user", "department", "village")
    }
    rows = []
    for account in DEMO_ACCOUNTS:
        cadre = cadres.get(account.username)
        if cadre is None:
            continue
        if account.role in roles.WHOLE_TOWN:
            reach = _("the whole town")
        elif account.role == roles.PAIRING:
            reach = _("paired households")
        else:
            reach = str(cadre.unit)
        rows.append((account.role, account.username, DEMO_PASSWORD, reach))
    return rows


def demo_accounts_lines() -> list[str]:
    """What `manage.py demo_accounts` prints: a table of the demo accounts that exist."""
    rows = demo_account_rows()
    if not rows:
        return [_("No demo accounts: run seed_demo first.")]
    headers = (_("role"), _("user name"), _("password"), _("scope"))
    table = [headers, *rows]
    # Chinese characters take two columns in a terminal.
    width = [max(_display_width(str(r[i])) for r in table) for i in range(len(headers))]
    lines = [_("Demo accounts (sign in at http://127.0.0.1:8000/accounts/login/):")]
    for row in table:
        cells = [
            str(v) + " " * (w - _display_width(str(v))) for v, w in zip(row, width, strict=True)
        ]
        lines.append("  " + "  ".join(cells).rstrip())
    lines.extend(_second_factor_lines([row[1] for row in rows]))
    return lines


def _second_factor_lines(usernames: list[str]) -> list[str]:
    """Who of them must set up an authenticator app at first sign-in (OTP_REQUIRED)."""
    if not settings.OTP_REQUIRED:
        return []
    users = get_user_model().objects.filter(username__in=usernames).order_by("username")
    needing = [user.username for user in users if needs_second_factor(user)]
    if not needing:
        return []
    return [
        _(
            "%(users)s also need an authenticator app (TOTP, e.g. FreeOTP or Google "
            "Authenticator): the first sign-in shows a QR code to scan, later sign-ins ask for "
            "its 6-digit code. To try the portal without one, run with "
            "XIGANG_OTP_REQUIRED=false."
        )
        % {"users": "、".join(needing)}
    ]


def _display_width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
