"""The models of the one `duties` app, kept in two modules by half: the regulation and the
organisation, and the scheduled duties. Labels stay `duties.<model>` whichever module holds them."""

from duties.models.organisation import (
    Article,
    Cadre,
    Department,
    DepartmentGroupObjectPermission,
    DepartmentUserObjectPermission,
    Duty,
    PartyBranch,
    RuleParameter,
    Village,
    VillageAssignment,
    VillageGroupObjectPermission,
    VillageUserObjectPermission,
    chinese_numeral,
)
from duties.models.schedules import (
    Disclosure,
    DutySchedule,
    Evidence,
    GenerationMark,
    Obligation,
    StoredFile,
)

__all__ = [
    "Article",
    "Cadre",
    "Department",
    "DepartmentGroupObjectPermission",
    "DepartmentUserObjectPermission",
    "Disclosure",
    "Duty",
    "DutySchedule",
    "Evidence",
    "StoredFile",
    "GenerationMark",
    "Obligation",
    "PartyBranch",
    "RuleParameter",
    "Village",
    "VillageAssignment",
    "VillageGroupObjectPermission",
    "VillageUserObjectPermission",
    "chinese_numeral",
]
