"""The six roles of docs/design.md as data: each Group and the model permissions it holds.

Row scope is not here: it comes from guardian object permissions on Village and Department and
from pairings (see xigang.scope). `sync_groups` runs after every migrate, so a new model's
permissions reach the roles as soon as its migration is applied.
"""

import functools
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group, Permission

from xigang.apps import business_apps

LEADER = "镇领导"
OFFICE = "扶贫办"
DEPARTMENT = "部门"
VILLAGE = "村干部"
PAIRING = "帮扶责任人"
INSPECTOR = "纪检督查"
ALL_ROLES = (LEADER, OFFICE, DEPARTMENT, VILLAGE, PAIRING, INSPECTOR)

# The three administrative posts (三员, 等保 2.0): no person holds two of them, and production
# needs no superuser (xigang.security.posts checks and assigns them).
SYSTEM_ADMIN = "系统管理员"  # accounts
SECURITY_ADMIN = "安全管理员"  # roles and scopes
AUDIT_ADMIN = "审计管理员"  # reads the change history
ADMIN_POSTS = (SYSTEM_ADMIN, SECURITY_ADMIN, AUDIT_ADMIN)

# Roles that see the whole town (row scope), whatever their model permissions.
WHOLE_TOWN = frozenset({LEADER, OFFICE, INSPECTOR})
# Roles that keep the registry and so see full ID numbers.
REGISTRY_KEEPERS = frozenset({OFFICE, VILLAGE})

VIEW = ("view",)
EDIT = ("view", "add", "change")
FULL = ("view", "add", "change", "delete")

# Units and people read the oversight records about themselves (the scope narrows the rows).
SUBJECT_OF_OVERSIGHT = {
    "oversight.finding": ("view", "report"),
    "oversight.accountability": VIEW,
    "oversight.commendation": VIEW,
    "oversight.findingextension": VIEW,
    # a 第一书记 reads their own record, a village its own 第一书记 (the scope narrows the rows)
    "oversight.firstsecretary": VIEW,
    "oversight.firstsecretarycheck": VIEW,
}

# 组织科 (art. 5) keeps the 第一书记 register, their checks and its spot checks of them: given
# to every department, the scope leaves each the rows of its own unit, so only 组织科's.
FIRST_SECRETARY_KEEPER = {
    "oversight.firstsecretary": EDIT,
    "oversight.firstsecretarycheck": EDIT,
    "oversight.spotcheck": EDIT,
    "oversight.spotcheckanswer": ("view", "change"),
}

# Departments and villages complete their own scheduled obligations with evidence, and record
# the events that open the obligations of their on-event duties (e.g. 5.3, 15.3).
UNIT_OBLIGATIONS = {
    "duties.dutyschedule": VIEW,
    "duties.obligation": ("view", "change", "record_event"),
    "duties.evidence": ("view", "add"),
}

# Villages and departments keep the projects and assets of their scope (arts. 10, 33, 35);
# only the implementing unit (a department) and 扶贫办 record a completion acceptance.
PROJECT_KEEPERS = {
    "projects.project": EDIT,
    "projects.projectfund": EDIT,
    "projects.asset": EDIT,
    "projects.distribution": EDIT,
    "projects.notice": ("view", "add"),
}
# role -> {"app.model": verbs}; "*" stands for every model of the business apps.
MATRIX: dict[str, dict[str, tuple[str, ...]]] = {
    # The town's leaders approve help plans and the commendations the inspectors propose.
    LEADER: {
        "*": VIEW,
        "households.helpplan": ("view", "change", "approve"),
        "oversight.commendation": ("view", "approve"),
    },
    OFFICE: {
        "*": FULL,
        "duties.article": VIEW,
        "duties.obligation": (*FULL, "waive", "record_event"),
        "projects.project": (*FULL, "accept"),
        # Only the office accepts a 补录 for a month already closed, with a reason.
        "visits.visit": (*FULL, "accept_late"),
        # 镇审批 of a help plan (art. 34): the leaders or the office for them.
        "households.helpplan": (*FULL, "approve"),
        # Oversight belongs to the inspectors (arts. 41-43); the office reads it.
        "oversight.inspection": VIEW,
        "oversight.finding": VIEW,
        "oversight.findingextension": VIEW,
        "oversight.accountability": VIEW,
        "oversight.commendation": VIEW,
        "oversight.signal": VIEW,
        "oversight.signalrun": VIEW,
        "oversight.contentprint": (),
        "oversight.spotcheck": VIEW,
        "oversight.spotcheckanswer": VIEW,
        "oversight.firstsecretary": VIEW,
        "oversight.firstsecretarycheck": VIEW,
    },
    DEPARTMENT: {
        "duties.article": VIEW,
        "duties.duty": VIEW,
        "duties.department": VIEW,
        "duties.village": VIEW,
        "duties.cadre": VIEW,
        "households.household": VIEW,
        "households.helpplan": VIEW,
        "households.helpmeasure": ("view", "change"),
        # 两不愁三保障 gaps routed to the department (art. 38): it closes them with evidence.
        "households.assessment": VIEW,
        "households.assessmentgap": ("view", "change"),
        "visits.problemcategory": VIEW,
        "visits.problem": ("view", "change"),
        "visits.emergencycase": ("view", "change"),
        **SUBJECT_OF_OVERSIGHT,
        **FIRST_SECRETARY_KEEPER,
        **UNIT_OBLIGATIONS,
        **PROJECT_KEEPERS,
        "projects.project": (*EDIT, "accept"),
    },
    VILLAGE: {
        "duties.article": VIEW,
        "duties.duty": VIEW,
        "duties.village": VIEW,
        "duties.cadre": VIEW,
        "households.household": EDIT,
        "households.member": EDIT,
        "households.memberchange": EDIT,
        "households.pairing": VIEW,
        "households.helpplan": EDIT,
        "households.helpmeasure": EDIT,
        "households.assessment": EDIT,
        "households.assessmentgap": VIEW,
        "visits.visit": VIEW,
        "visits.problemcategory": VIEW,
        "visits.problem": ("view", "add"),
        "visits.emergencycase": ("view", "add"),
        **SUBJECT_OF_OVERSIGHT,
        **UNIT_OBLIGATIONS,
        "duties.disclosure": EDIT,
        **PROJECT_KEEPERS,
    },
    PAIRING: {
        "duties.article": VIEW,
        "duties.duty": VIEW,
        "households.household": VIEW,
        "households.member": VIEW,
        "households.memberchange": ("view", "add"),
        "households.pairing": VIEW,
        "households.helpplan": EDIT,
        "households.helpmeasure": EDIT,
        "households.assessment": EDIT,
        "households.assessmentgap": VIEW,
        "visits.visit": EDIT,
        "visits.problemcategory": VIEW,
        "visits.problem": ("view", "add"),
        "visits.emergencycase": ("view", "add"),
        **SUBJECT_OF_OVERSIGHT,
    },
    INSPECTOR: {
        "*": VIEW,
        "oversight.inspection": FULL,
        "oversight.finding": (*EDIT, "report"),
        "oversight.accountability": EDIT,
        "oversight.commendation": EDIT,
        "oversight.findingextension": ("view", "add"),
        "oversight.signal": ("view", "change"),  # the job creates them; inspectors handle them
        "oversight.spotcheck": EDIT,
        "oversight.spotcheckanswer": ("view", "change"),
        "oversight.contentprint": (),
        "xigang.auditentry": VIEW,
    },
    SYSTEM_ADMIN: {"auth.user": EDIT, "auth.group": VIEW},
    SECURITY_ADMIN: {
        "auth.user": ("view", "change"),  # the user admin lets this post change groups only
        "auth.group": ("view", "change"),
        "duties.village": VIEW,
        "duties.department": VIEW,
        "duties.cadre": VIEW,
        "duties.villageassignment": FULL,
        "duties.villageuserobjectpermission": FULL,
        "duties.villagegroupobjectpermission": FULL,
        "duties.departmentuserobjectpermission": FULL,
        "duties.departmentgroupobjectpermission": FULL,
    },
    AUDIT_ADMIN: {"xigang.auditentry": VIEW},
}


def _expand(spec: dict[str, tuple[str, ...]]) -> set[tuple[str, str]]:
    """(app_label, codename) pairs for a role's spec."""
    wanted: dict[str, tuple[str, ...]] = {}
    if "*" in spec:
        for config in business_apps():
            for model in config.get_models():
                wanted[model._meta.label_lower] = spec["*"]
    wanted.update({label: verbs for label, verbs in spec.items() if label != "*"})
    pairs: set[tuple[str, str]] = set()
    for label, verbs in wanted.items():
        app_label, model_name = label.split(".")
        pairs.update((app_label, f"{verb}_{model_name}") for verb in verbs)
    return pairs


@functools.cache
def _role_permissions(role: str) -> frozenset[str]:
    return frozenset(f"{app}.{codename}" for app, codename in _expand(MATRIX.get(role, {})))


def permissions_of(group_names: Iterable[str]) -> set[str]:
    """The model permissions ("app.codename") that holding these groups gives, from the matrix
    alone: a group's permission rows in the database give nobody anything (see
    xigang.security.backends)."""
    perms: set[str] = set()
    for name in group_names:
        perms |= _role_permissions(name)
    return perms


def sync_groups(**kwargs: Any) -> None:
    """Create the role groups and set their permissions to exactly the matrix (idempotent)."""
    app_labels = (*(config.label for config in business_apps()), "auth", "xigang")
    for role, spec in MATRIX.items():
        group, created = Group.objects.get_or_create(name=role)
        pairs = _expand(spec)
        perms = [
            p
            for p in Permission.objects.filter(
                content_type__app_label__in=app_labels
            ).select_related("content_type")
            if (p.content_type.app_label, p.codename) in pairs
        ]
        before = None if created else set(group.permissions.values_list("pk", flat=True))
        group.permissions.set(perms)
        if before is not None and before != {p.pk for p in perms}:
            _record_permissions(group, before, perms)


def _record_permissions(group: Group, before: set[int], perms: list[Permission]) -> None:
    """A role's permissions changed with the matrix (a new release): in the change history."""
    from xigang import history

    names = dict(Permission.objects.filter(pk__in=before).values_list("pk", "codename"))
    history.record(
        "perms",
        model="auth.group",
        object_pk=group.pk,
        object_repr=group.name,
        old={"permissions": sorted(names.values())},
        new={"permissions": sorted(p.codename for p in perms)},
    )
