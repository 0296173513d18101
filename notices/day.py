"""The day's messages, escalations and digests.

The items come from the one engine (`xigang.obligations`), computed once for the whole town,
then handed to the people who answer for them: the cadre named on the item, else the staff of
its department, else its village's cadres. Escalations go up from an item's village to its
包村干部 and then to 镇领导 when the item is overdue more than the days in force on its due date
(`duties/organisation/params.py`, "escalation"). People are handled in batches with the same
few queries each, however many people a batch holds. Every insert leans on a unique constraint,
so the same day run twice adds nothing.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from duties.models import Cadre, VillageAssignment
from duties.organisation.params import DEFAULTS, due_soon_until, in_force
from notices.models import Digest, DigestLine, Escalation, Level, Notice, Preference
from notices.sms import send_sms
from xigang import obligations, roles
from xigang.commands import system_user
from xigang.obligations import REGULATION_START, OverdueItem

BATCH = 500
# An item overdue at most this many days is "newly overdue": a run missed for a few days is
# caught up, and the first run does not send a message for every item late for years.
NEWLY_OVERDUE_DAYS = 7
# Likewise an item goes up a level within this many days of passing the level's limit.
ESCALATION_CATCH_UP_DAYS = 30
# The due-soon window of rules without a parameter for it (the visit rules' current period).
DUE_SOON_DAYS = 14
# The weekly digest lists what became overdue within this many days (the overdue list's span).
SINCE_DAYS = 365

Progress = Callable[[int, int], None]


def item_key(item: OverdueItem) -> str:
    """What identifies an item across runs: its rule, period and unit (and row, by its link)."""
    parts = (item.rule, item.period, item.household, item.village, item.department, item.link)
    return "|".join(part or "" for part in parts)[:255]


def item_text(item: OverdueItem) -> str:
    where = item.household or item.village or item.department
    return (f"{where}：{item.subject}" if where else item.subject)[:500]


@dataclass
class Items:
    due_soon: list[OverdueItem]
    overdue: list[OverdueItem]


def gather(day: datetime.date) -> Items:
    """Every item due soon (within its rule's window) and overdue as of `day`, town-wide."""
    reader = system_user()
    until = {
        rule.id: due_soon_until(rule.id, day)
        if (rule.id, "due_soon_days") in DEFAULTS
        else day + datetime.timedelta(days=DUE_SOON_DAYS)
        for rule in obligations.rules()
    }
    pending = obligations.pending_items(user=reader, as_of=day)
    since = max(REGULATION_START, day - datetime.timedelta(days=SINCE_DAYS))
    return Items(
        due_soon=[i for i in pending if day <= i.due <= until.get(i.rule, day)],
        overdue=obligations.overdue_items(user=reader, as_of=day, since=since),
    )


@dataclass
class People:
    """Who answers for what, read in three queries."""

    by_username: dict[str, int] = field(default_factory=dict)
    by_department: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_village: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    in_charge: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    mobiles: dict[int, str] = field(default_factory=dict)
    leaders: set[int] = field(default_factory=set)
    office: set[int] = field(default_factory=set)

    def owners(self, item: OverdueItem) -> list[int]:
        if item.cadre:
            found = self.by_username.get(item.cadre)
            return [found] if found else []
        if item.department:
            return self.by_department.get(item.department, [])
        if item.village:
            return self.by_village.get(item.village, [])
        return []


def people() -> People:
    found = People()
    rows = Cadre.objects.filter(user__is_active=True).values_list(
        "user_id",
        "user__username",
        "mobile",
        "department__name",
        "village__name",
        "user__groups__name",
    )
    for user_id, username, mobile, department, village, role in rows:
        found.by_username[username] = user_id
        if mobile:
            found.mobiles[user_id] = mobile
        if department and role in (roles.DEPARTMENT, roles.OFFICE):
            found.by_department[department].append(user_id)
        if village and role == roles.VILLAGE:
            found.by_village[village].append(user_id)
    for village, user_id in VillageAssignment.objects.filter(
        cadre__user__is_active=True
    ).values_list("village__name", "cadre__user_id"):
        found.in_charge[village].append(user_id)
    for user_id, role in (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[roles.LEADER, roles.OFFICE])
        .values_list("id", "groups__name")
    ):
        (found.leaders if role == roles.LEADER else found.office).add(user_id)
    return found


def _escalations(day: datetime.date, overdue: Iterable[OverdueItem]) -> list[Escalation]:
    """The items that pass a level's limit (catching up on missed days), for insertion."""
    limits = [
        (Level.VILLAGE, in_force("escalation", "village_days")),
        (Level.LEADER, in_force("escalation", "leader_days")),
    ]
    found = []
    for item in overdue:
        if not item.village:
            continue
        for level, days in limits:
            limit = days.on(item.due)
            if limit < item.days_overdue <= limit + ESCALATION_CATCH_UP_DAYS:
                found.append(
                    Escalation(
                        key=item_key(item),
                        level=level,
                        village=item.village,
                        text=item_text(item),
                        due=item.due,
                        escalated_on=day,
                    )
                )
    return found


@dataclass
class Line:
    key: str
    level: int
    text: str
    due: datetime.date
    days_overdue: int


@dataclass
class Plan:
    """What each person gets today: messages, and the lines of their digests."""

    notices: dict[int, list[Notice]] = field(default_factory=lambda: defaultdict(list))
    weekly: dict[int, list[Line]] = field(default_factory=lambda: defaultdict(list))
    daily: dict[int, list[Line]] = field(default_factory=lambda: defaultdict(list))


def _line(item: OverdueItem, level: int = Level.OWN) -> Line:
    return Line(item_key(item), level, item_text(item), item.due, item.days_overdue)


def _notice(user_id: int, kind: str, item: OverdueItem) -> Notice:
    return Notice(
        user_id=user_id,
        kind=kind,
        key=item_key(item),
        level=Level.OWN,
        text=item_text(item),
        link=item.link or "",
        due=item.due,
    )


def plan_day(day: datetime.date, items: Items, who: People) -> Plan:
    plan = Plan()
    for item in items.due_soon:
        for user_id in who.owners(item):
            plan.notices[user_id].append(_notice(user_id, Notice.Kind.DUE_SOON, item))
            plan.weekly[user_id].append(_line(item))
    for item in items.overdue:
        for user_id in who.owners(item):
            if item.days_overdue <= NEWLY_OVERDUE_DAYS:
                plan.notices[user_id].append(_notice(user_id, Notice.Kind.OVERDUE, item))
            plan.weekly[user_id].append(_line(item))
    return plan


def _escalate(day: datetime.date, items: Items, who: People, plan: Plan) -> int:
    """Record today's escalations (once per item and level) and put them in the daily digests
    of the village's 包村干部, of 扶贫办 (both levels) and of 镇领导 (the second level)."""
    Escalation.objects.bulk_create(_escalations(day, items.overdue), ignore_conflicts=True)
    today = list(Escalation.objects.filter(escalated_on=day))
    for row in today:
        line = Line(row.key, row.level, row.text, row.due, (day - row.due).days)
        reached = set(who.office)
        if row.level == Level.VILLAGE:
            reached.update(who.in_charge.get(row.village, []))
        else:
            reached.update(who.leaders)
        for user_id in reached:
            plan.daily[user_id].append(line)
    return len(today)


def _week(day: datetime.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def _summary(kind: str, lines: list[Line]) -> str:
    late = sum(1 for line in lines if line.days_overdue > 0)
    if kind == Digest.Kind.DAILY:
        return _("Daily digest: %(n)d items escalated today") % {"n": len(lines)}
    return _("Weekly digest: %(soon)d items due soon, %(late)d overdue") % {
        "soon": len(lines) - late,
        "late": late,
    }


def _digests(
    kind: str, period: str, batch: list[int], lines: dict[int, list[Line]], who: People
) -> tuple[list[Notice], int]:
    """The digests of one batch of people: new ones only (a second run finds them made), each
    also a message, e-mailed or texted to those who chose it. A fixed number of queries."""
    wanted = [user_id for user_id in batch if lines.get(user_id)]
    if not wanted:
        return [], 0
    made = set(
        Digest.objects.filter(kind=kind, period=period, user_id__in=wanted).values_list(
            "user_id", flat=True
        )
    )
    digests = Digest.objects.bulk_create(
        [
            Digest(user_id=user_id, kind=kind, period=period)
            for user_id in wanted
            if user_id not in made
        ]
    )
    new_lines = []
    for digest in digests:
        seen = set()
        for line in lines[digest.user_id]:
            if (line.key, line.level) not in seen:
                seen.add((line.key, line.level))
                new_lines.append(
                    DigestLine(
                        digest=digest,
                        key=line.key,
                        level=line.level,
                        text=line.text,
                        due=line.due,
                        days_overdue=line.days_overdue,
                    )
                )
    DigestLine.objects.bulk_create(new_lines)
    notices = [
        Notice(
            user_id=digest.user_id,
            kind=Notice.Kind.DIGEST,
            key=f"{kind}:{period}",
            text=_summary(kind, lines[digest.user_id]),
            link=reverse("notices:digest", args=[digest.pk]),
        )
        for digest in digests
    ]
    _send(digests, lines, who)
    return notices, len(digests)


def _send(digests: list[Digest], lines: dict[int, list[Line]], who: People) -> None:
    if not digests:
        return
    chosen = {
        p.user_id: p
        for p in Preference.objects.filter(
            Q(by_email=True) | Q(by_sms=True), user_id__in=[d.user_id for d in digests]
        )
    }
    mails, mailed = [], []
    for digest in digests:
        preference = chosen.get(digest.user_id)
        if preference is None:
            continue
        summary = _summary(digest.kind, lines[digest.user_id])
        if preference.by_email and preference.email_verified_at:
            body = "\n".join(
                [summary, ""]
                + [f"- {line.text}（{line.due:%Y-%m-%d}）" for line in lines[digest.user_id]]
            )
            mails.append(
                EmailMessage(
                    subject=_("Xigang portal: %(summary)s") % {"summary": summary},
                    body=body,
                    to=[preference.email],
                )
            )
            mailed.append(digest.pk)
        mobile = who.mobiles.get(digest.user_id)
        if preference.by_sms and mobile:
            send_sms(mobile, summary)
    if mails:
        get_connection().send_messages(mails)
        Digest.objects.filter(pk__in=mailed).update(emailed_at=timezone.now())


def _weekly_people(day: datetime.date, candidates: Iterable[int]) -> list[int]:
    """Those whose digest weekday is today's (Monday unless they chose another)."""
    chosen = dict(
        Preference.objects.filter(user_id__in=list(candidates)).values_list(
            "user_id", "digest_weekday"
        )
    )
    return sorted(u for u in candidates if chosen.get(u, 0) == day.weekday())


@dataclass
class DayReport:
    notices: int = 0
    weekly: int = 0
    daily: int = 0
    escalations: int = 0
    batches: int = 0

    def __str__(self) -> str:
        return _(
            "%(notices)d messages, %(weekly)d weekly and %(daily)d daily digests, "
            "%(escalations)d escalations"
        ) % {
            "notices": self.notices,
            "weekly": self.weekly,
            "daily": self.daily,
            "escalations": self.escalations,
        }


def run_day(*, day: datetime.date, progress: Progress | None = None) -> DayReport:
    """The day's messages, escalations and digests; run twice, the second adds nothing."""
    report = DayReport()
    started = timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        items = gather(day)
        who = people()
        plan = plan_day(day, items, who)
        with transaction.atomic():
            report.escalations = _escalate(day, items, who, plan)
        weekly = set(_weekly_people(day, plan.weekly))
        everyone = sorted(set(plan.notices) | weekly | set(plan.daily))
        for start in range(0, len(everyone), BATCH):
            batch = everyone[start : start + BATCH]
            with transaction.atomic():
                notices = [n for user_id in batch for n in plan.notices.get(user_id, [])]
                made, n_weekly = _digests(
                    Digest.Kind.WEEKLY,
                    _week(day),
                    [u for u in batch if u in weekly],
                    plan.weekly,
                    who,
                )
                notices += made
                made, n_daily = _digests(Digest.Kind.DAILY, day.isoformat(), batch, plan.daily, who)
                notices += made
                Notice.objects.bulk_create(notices, ignore_conflicts=True)
            report.weekly += n_weekly
            report.daily += n_daily
            report.batches += 1
            if progress:
                progress(min(start + BATCH, len(everyone)), len(everyone))
    report.notices = Notice.objects.filter(created_at__gte=started).count()
    return report
