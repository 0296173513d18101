"""Real rows of every scoped model, in and out of each unit of the shared cast, for the write
walk (test_access_walk.py). Units: 东村 and 西村 (villages), 民政科 (the department of `dept`)
and 残联 (another department). `WRITERS[label][row]` is who may change that row: a department
edits its own unit's rows only; everyone else is refused (403, or answered like a missing row).
"""

import datetime
from decimal import Decimal

from duties.models import (
    Article,
    Department,
    Disclosure,
    Duty,
    DutySchedule,
    PartyBranch,
    RuleParameter,
    VillageAssignment,
)
from households.models import (
    Assessment,
    HelpMeasure,
    HelpPlan,
    Member,
    MemberChange,
    Pairing,
)
from notices.models import Escalation, Job, Level
from oversight.models import (
    Accountability,
    Commendation,
    Finding,
    FindingExtension,
    FirstSecretary,
    Inspection,
    Signal,
    SignalRun,
    SpotCheck,
    SpotCheckAnswer,
)
from tests.duties.schedules.conftest import make_obligation
from tests.households.conftest import idn
from visits.models import EmergencyCase, Problem, ProblemCategory, Visit

DAY = datetime.date(2026, 3, 2)
TOWN_EDITS = {"office"}
EAST = {"office", "east_cadre"}
WEST = {"office", "west_cadre"}

# label -> row -> roles that may change it (POST to the change view takes the form)
WRITERS: dict[str, dict[str, set[str]]] = {
    "duties.article": {"art39": set()},  # corrected by a superuser only
    "duties.department": {"civil_affairs": TOWN_EDITS},
    "duties.duty": {"duty": TOWN_EDITS},
    "duties.partybranch": {"branch": TOWN_EDITS},
    "duties.village": {"east": TOWN_EDITS, "west": TOWN_EDITS},
    "duties.cadre": {"east": TOWN_EDITS, "dept": TOWN_EDITS},
    "duties.villageassignment": {"east": TOWN_EDITS},
    "duties.ruleparameter": {"future": TOWN_EDITS},
    "duties.dutyschedule": {"unused": TOWN_EDITS},
    "duties.obligation": {"east": set(), "civil_affairs": set()},  # completed in the portal
    "duties.disclosure": {"east": EAST, "west": WEST},
    "households.household": {"east": EAST, "west": WEST},
    "households.member": {"east": EAST, "west": WEST},
    "households.memberchange": {"east": EAST, "west": WEST},
    "households.pairing": {"east": TOWN_EDITS},
    "households.helpplan": {"east": EAST | {"leader", "pairing"}, "west": WEST | {"leader"}},
    "households.helpmeasure": {
        "east_civil_affairs": EAST | {"pairing", "dept"},
        "east_disabled": EAST | {"pairing"},  # dept reads it (same household), may not edit
        "west_civil_affairs": WEST | {"dept"},
    },
    "households.assessment": {"east": EAST | {"pairing"}, "west": WEST},
    # opened by assessments, closed on the gaps page: the admin only shows them
    "households.assessmentgap": {"east": set(), "west": set()},
    "visits.visit": {"east": {"office", "pairing"}, "west": TOWN_EDITS},
    "visits.problemcategory": {"category": TOWN_EDITS},
    "visits.problem": {
        "east_civil_affairs": {"office", "dept"},
        "east_disabled": TOWN_EDITS,  # dept reads it (same household), may not resolve
    },
    "visits.emergencycase": {"east": {"office", "dept"}, "west": {"office", "dept"}},
    "oversight.inspection": {"inspection": {"inspector"}},
    "oversight.finding": {"east": {"inspector"}, "civil_affairs": {"inspector"}},
    "oversight.accountability": {"east": {"inspector"}},
    "oversight.commendation": {"civil_affairs": {"inspector"}},
    # written by the services and the job only: the admin shows them (oversight.admin)
    "oversight.findingextension": {"east": set()},
    "oversight.signal": {"signal": set()},
    "oversight.signalrun": {"run": set()},
    "oversight.spotcheck": {"east": set()},
    "oversight.spotcheckanswer": {"east": set()},
    # 组织科's (art. 5): nobody of the cast works there; 民政科 may edit it, not this row
    "oversight.firstsecretary": {"east": set()},
    # projects: a village's and 民政科's town-level one; the records meeting obligations (公示
    # files, 收益分配) are entered on the portal's pages, read in the admin
    "projects.project": {"east": EAST, "town": {"office", "dept"}},
    "projects.asset": {"east": EAST},
    "projects.distribution": {"east": set()},
    "projects.notice": {"east": set()},
    "notices.job": {"job": set()},  # started, then only watched
    "notices.escalation": {"east": set()},  # the record of what went up: nobody edits it
}

# label -> roles that may delete its rows (office holds delete on the business models)
DELETERS: dict[str, set[str]] = {
    "duties.article": set(),
    "oversight.inspection": {"inspector"},
    "oversight.finding": set(),
    "oversight.accountability": set(),
    "oversight.commendation": set(),
    "oversight.findingextension": set(),
    "oversight.signal": set(),
    "oversight.signalrun": set(),
    "oversight.spotcheck": set(),
    "oversight.spotcheckanswer": set(),
    "oversight.firstsecretary": set(),
    "notices.escalation": set(),  # deleting one would send the item up again
    "households.assessmentgap": set(),  # the record of a department's work: kept
}


def _gaps(east_household, west_household):
    from households.assessments.models import AssessmentGap
    from households.assessments.services import assessment_record

    for household in (east_household, west_household):
        assessment_record(household=household, item="food", met=False, assessed_on=DAY)
    return {
        "east": AssessmentGap.objects.get(household=east_household),
        "west": AssessmentGap.objects.get(household=west_household),
    }


def _plan(household):
    return HelpPlan.objects.get_or_create(household=household, year=2026)[0]


def _measure(household, department):
    return HelpMeasure.objects.create(
        plan=_plan(household), kind="临时救助", department=Department.objects.get(name=department)
    )


def _problem(household, department):
    return Problem.objects.create(
        household=household,
        category=ProblemCategory.objects.get(name="危房改造"),
        department=Department.objects.get(name=department),
        description="房屋漏雨",
        found_on=DAY,
        due=DAY + datetime.timedelta(days=30),
    )


def _inspection(title):
    return Inspection.objects.get_or_create(
        title=title, started_on=DAY, department=Department.objects.get(name="镇纪委")
    )[0]


def _finding(**subject):
    inspection = _inspection("二季度督查")
    return Finding.objects.create(
        inspection=inspection,
        article_id=41,
        description="台账不全",
        found_on=DAY,
        deadline=DAY,
        **subject,
    )


def _spot_check(village):
    return SpotCheck.objects.create(
        department=Department.objects.get(name="镇纪委"),
        village=village,
        drawn_on=DAY,
        period="2026-Q1",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        size=1,
        seed=7,
    )


def rows_of(label, cast, east, west, east_household, west_household):
    """The rows of `label` named as in WRITERS."""
    civil_affairs = Department.objects.get(name="民政科")
    office = cast["office"]
    makers = {
        "duties.article": lambda: {"art39": Article.objects.get(number=39)},
        "duties.department": lambda: {"civil_affairs": civil_affairs},
        "duties.duty": lambda: {"duty": Duty.objects.get(article_id=39, clause=1)},
        "duties.partybranch": lambda: {"branch": PartyBranch.objects.get(villages=east)},
        "duties.village": lambda: {"east": east, "west": west},
        "duties.cadre": lambda: {"east": cast["east_cadre"].cadre, "dept": cast["dept"].cadre},
        "duties.villageassignment": lambda: {
            "east": VillageAssignment.objects.create(village=east, cadre=cast["dept"].cadre)
        },
        "duties.ruleparameter": lambda: {
            "future": RuleParameter.objects.create(
                rule="pairing.home_visit",
                name="grace_days",
                value=12,
                effective_from=datetime.date(2099, 1, 1),
            )
        },
        "duties.dutyschedule": lambda: {
            "unused": DutySchedule.objects.create(
                duty=Duty.objects.get(article_id=39, clause=1),
                frequency="yearly",
                evidence="记录",
                effective_from=datetime.date(2099, 1, 1),
            )
        },
        "duties.obligation": lambda: {
            "east": make_obligation(36, 1, village=east, **_q2()),
            "civil_affairs": make_obligation(15, 2, department=civil_affairs, **_q2()),
        },
        "duties.disclosure": lambda: {
            name: Disclosure.objects.create(
                village=village, kind="贫困退出", title="公示", posted_from=DAY, recorded_by=office
            )
            for name, village in (("east", east), ("west", west))
        },
        "households.household": lambda: {"east": east_household, "west": west_household},
        "households.member": lambda: {
            "east": Member.objects.create(household=east_household, id_number=idn(2), name="甲"),
            "west": Member.objects.create(household=west_household, id_number=idn(4), name="乙"),
        },
        "households.memberchange": lambda: {
            name: MemberChange.objects.create(
                household=h, kind="新生", name="丙", happened_on=DAY, reported_on=DAY
            )
            for name, h in (("east", east_household), ("west", west_household))
        },
        "households.pairing": lambda: {"east": Pairing.objects.get(household=east_household)},
        "households.helpplan": lambda: {
            "east": _plan(east_household),
            "west": _plan(west_household),
        },
        "households.helpmeasure": lambda: {
            "east_civil_affairs": _measure(east_household, "民政科"),
            "east_disabled": _measure(east_household, "残联"),
            "west_civil_affairs": _measure(west_household, "民政科"),
        },
        "households.assessmentgap": lambda: _gaps(east_household, west_household),
        "households.assessment": lambda: {
            name: Assessment.objects.create(household=h, item="food", met=True, assessed_on=DAY)
            for name, h in (("east", east_household), ("west", west_household))
        },
        "visits.visit": lambda: {
            name: Visit.objects.create(
                household=h, cadre=cast["pairing"].cadre, kind="入户", on=DAY
            )
            for name, h in (("east", east_household), ("west", west_household))
        },
        "visits.problemcategory": lambda: {
            "category": ProblemCategory.objects.get(name="危房改造")
        },
        "visits.problem": lambda: {
            # routed to 民政科, the east household is in dept's read scope: so is 残联's problem
            "east_civil_affairs": _problem(east_household, "民政科"),
            "east_disabled": _problem(east_household, "残联"),
        },
        "visits.emergencycase": lambda: {
            name: EmergencyCase.objects.create(
                household=h, cause="因病", expense=Decimal("3000"), occurred_on=DAY, reported_on=DAY
            )
            for name, h in (("east", east_household), ("west", west_household))
        },
        "oversight.inspection": lambda: {"inspection": _inspection("专项督查")},
        "oversight.finding": lambda: {
            "east": _finding(village=east),
            "civil_affairs": _finding(department=civil_affairs),
        },
        "oversight.accountability": lambda: {
            "east": Accountability.objects.create(
                village=east, measure="批评教育", decided_on=DAY, reason="台账不全"
            )
        },
        "oversight.commendation": lambda: {
            "civil_affairs": Commendation.objects.create(
                department=civil_affairs, reason="救助及时", awarded_on=DAY
            )
        },
        "oversight.findingextension": lambda: {
            "east": FindingExtension.objects.create(
                finding=_finding(village=east),
                previous_deadline=DAY,
                deadline=DAY + datetime.timedelta(days=30),
                reason="汛期",
            )
        },
        "oversight.signal": lambda: {
            "signal": Signal.objects.create(
                kind="bunched",
                key="x",
                cadre=cast["pairing"].cadre,
                period="2026-Q1",
                period_start=datetime.date(2026, 1, 1),
                period_end=datetime.date(2026, 3, 31),
                score=5,
            )
        },
        "oversight.signalrun": lambda: {
            "run": SignalRun.objects.create(last_visit_id=0, visits_read=0, signals_written=0)
        },
        "oversight.spotcheck": lambda: {"east": _spot_check(east)},
        "oversight.spotcheckanswer": lambda: {
            "east": SpotCheckAnswer.objects.create(
                spot_check=_spot_check(east), household=east_household, position=1
            )
        },
        "oversight.firstsecretary": lambda: {
            "east": FirstSecretary.objects.create(
                cadre=cast["pairing"].cadre,
                village=east,
                sending_unit="县财政局",
                started_on=DAY,
                department=Department.objects.get(name="组织科"),
            )
        },
        **_project_rows(east, office),
        "notices.job": lambda: {
            "job": Job.objects.create(
                kind=Job.Kind.GENERATION, title="生成任务", params={"through": DAY.isoformat()}
            )
        },
        "notices.escalation": lambda: {
            "east": Escalation.objects.create(
                key="problem.resolve|2026-02-01|东村-001|东村||",
                level=Level.VILLAGE,
                village="东村",
                text="东村-001：问题逾期",
                due=DAY,
                escalated_on=DAY,
            )
        },
    }
    return makers[label]()


def _project_rows(east, office):
    from tests.projects.conftest import (
        make_asset,
        make_distribution,
        make_notice,
        make_project,
    )

    def east_asset():
        return make_asset(make_project("东村光伏电站", east))

    return {
        "projects.project": lambda: {
            "east": make_project("东村光伏电站", east),
            "town": make_project("镇救助站改造", None, department="民政科"),
        },
        "projects.asset": lambda: {"east": east_asset()},
        "projects.distribution": lambda: {
            "east": make_distribution(east_asset(), 2025, office, datetime.date(2026, 3, 1))
        },
        "projects.notice": lambda: {
            "east": make_notice(
                office,
                "before_start",
                datetime.date(2026, 3, 1),
                project=make_project("东村", east),
            )
        },
    }


def _q2():
    return {
        "label": "2026-Q2",
        "start": datetime.date(2026, 4, 1),
        "end": datetime.date(2026, 6, 30),
    }
