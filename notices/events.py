"""Messages on events of other apps: a problem routed to a department, a finding opened against
a unit or person, a pairing assigned or ended. Written in the same transaction as the event's
record (post_save); rows written in bulk by ledger imports send no signal and bring no message."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from duties.models import Cadre
from households.models import Pairing
from notices.models import Notice
from oversight.models import Finding
from visits.models import Problem
from xigang import roles


def _staff(*, department_id: int | None = None, village_id: int | None = None) -> QuerySet:
    """The active staff of a department (部门) or the cadres of a village (村干部)."""
    if department_id is not None:
        unit = {"department_id": department_id, "user__groups__name": roles.DEPARTMENT}
    else:
        unit = {"village_id": village_id, "user__groups__name": roles.VILLAGE}
    return (
        Cadre.objects.filter(user__is_active=True, **unit)
        .values_list("user_id", flat=True)
        .distinct()
    )


def notify(*, user_ids: list[int], kind: str, key: str, text: str, link: str = "") -> None:
    """One message to each person, once per kind and key (a unique constraint keeps it once)."""
    Notice.objects.bulk_create(
        [
            Notice(user_id=user_id, kind=kind, key=key, text=text[:500], link=link)
            for user_id in user_ids
        ],
        ignore_conflicts=True,
    )


def _problem_saved(sender: type, instance: Problem, created: bool, **kwargs: Any) -> None:
    if not created or kwargs.get("raw"):
        return
    with translation.override(settings.LANGUAGE_CODE):
        notify(
            user_ids=list(_staff(department_id=instance.department_id)),
            kind=Notice.Kind.PROBLEM_ROUTED,
            key=f"problem:{instance.pk}",
            text=_("Problem of household %(household)s, due %(due)s: %(text)s")
            % {
                "household": instance.household.number,
                "due": instance.due.isoformat(),
                "text": instance.description,
            },
            link=reverse("admin:visits_problem_change", args=[instance.pk]),
        )


def _finding_saved(sender: type, instance: Finding, created: bool, **kwargs: Any) -> None:
    if not created or kwargs.get("raw"):
        return
    if instance.cadre_id:
        user_ids = list(
            Cadre.objects.filter(pk=instance.cadre_id, user__is_active=True).values_list(
                "user_id", flat=True
            )
        )
    elif instance.department_id:
        user_ids = list(_staff(department_id=instance.department_id))
    else:
        user_ids = list(_staff(village_id=instance.village_id))
    with translation.override(settings.LANGUAGE_CODE):
        notify(
            user_ids=user_ids,
            kind=Notice.Kind.FINDING_OPENED,
            key=f"finding:{instance.pk}",
            text=_("Finding to rectify by %(deadline)s: %(finding)s")
            % {"deadline": instance.deadline.isoformat(), "finding": instance},
            link=reverse("admin:oversight_finding_change", args=[instance.pk]),
        )


def _pairing_saved(sender: type, instance: Pairing, created: bool, **kwargs: Any) -> None:
    if kwargs.get("raw") or not (created or instance.end):
        return
    user_id = Cadre.objects.filter(pk=instance.cadre_id).values_list("user_id", flat=True).first()
    if user_id is None:
        return
    number = instance.household.number
    with translation.override(settings.LANGUAGE_CODE):
        if created:
            notify(
                user_ids=[user_id],
                kind=Notice.Kind.PAIRING_ASSIGNED,
                key=f"pairing:{instance.pk}",
                text=_("You are paired with household %(household)s from %(start)s")
                % {"household": number, "start": instance.start.isoformat()},
            )
        if instance.end:
            notify(
                user_ids=[user_id],
                kind=Notice.Kind.PAIRING_ENDED,
                key=f"pairing:{instance.pk}",
                text=_("Your pairing with household %(household)s ends on %(end)s")
                % {"household": number, "end": instance.end.isoformat()},
            )


def connect() -> None:
    post_save.connect(_problem_saved, sender=Problem, dispatch_uid="notices.problem")
    post_save.connect(_finding_saved, sender=Finding, dispatch_uid="notices.finding")
    post_save.connect(_pairing_saved, sender=Pairing, dispatch_uid="notices.pairing")
