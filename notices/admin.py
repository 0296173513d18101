"""Jobs in the admin: start a ledger import or obligation generation as a job, and follow its
progress and result. Escalations are listed read-only for the whole-town roles."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from notices import jobs
from notices.models import Escalation, Job
from xigang.admin import ScopedAdmin
from xigang.ledgers import KINDS


class JobStartForm(forms.ModelForm):
    """What a job is asked to do; the job itself is written by `notices.jobs`."""

    ledger = forms.ChoiceField(label=_("ledger"), required=False, choices=())
    workbook = forms.FileField(label=_("workbook (.xlsx)"), required=False)
    dry_run = forms.BooleanField(label=_("check only, write nothing"), required=False)
    through = forms.DateField(label=_("generate through"), required=False)

    class Meta:
        model = Job
        fields = ["kind"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "kind" not in self.fields:
            return  # a started job's page: nothing to choose
        cast(forms.ChoiceField, self.fields["kind"]).choices = [
            (value, label) for value, label in Job.Kind.choices if value != Job.Kind.DAY
        ]
        cast(forms.ChoiceField, self.fields["ledger"]).choices = [
            (name, kind.title) for name, kind in sorted(KINDS.items()) if kind.importable
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == Job.Kind.LEDGER_IMPORT and not data.get("workbook"):
            raise ValidationError({"workbook": _("Choose the workbook to import.")})
        if data.get("kind") == Job.Kind.GENERATION and not data.get("through"):
            raise ValidationError({"through": _("Give the last day to generate through.")})
        return data


@admin.register(Job)
class JobAdmin(ScopedAdmin):
    form = JobStartForm
    list_display = [
        "title",
        "kind",
        "status",
        "progress",
        "created_by",
        "created_at",
        "finished_at",
    ]
    list_filter = ["kind", "status"]
    readonly_fields = [
        "title",
        "status",
        "progress",
        "result",
        "errors",
        "created_by",
        "created_at",
        "finished_at",
    ]

    @admin.display(description=_("progress"))
    def progress(self, job: Job) -> str:
        total = job.total or 1
        return format_html(
            '<progress value="{}" max="{}">{}/{}</progress> {}/{}',
            job.done,
            total,
            job.done,
            total,
            job.done,
            job.total,
        )

    def get_fields(self, request: HttpRequest, obj: Job | None = None) -> list[Any]:
        if obj is None:
            return ["kind", "ledger", "workbook", "dry_run", "through"]
        return ["kind", *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Job | None = None) -> list[str]:
        return ["kind", *self.readonly_fields] if obj is not None else []

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # a job is started, then only watched

    def save_model(self, request: HttpRequest, obj: Job, form: Any, change: bool) -> None:
        user = cast(User, request.user)
        data = form.cleaned_data
        if data["kind"] == Job.Kind.LEDGER_IMPORT:
            job = jobs.start_import(
                kind=data["ledger"], source=data["workbook"], user=user, dry_run=data["dry_run"]
            )
        else:
            job = jobs.start_generation(through=data["through"] or timezone.localdate(), user=user)
        obj.pk = job.pk
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        return None  # a job has no relations to save from the form


@admin.register(Escalation)
class EscalationAdmin(ScopedAdmin):
    list_display = ["text", "village", "level", "due", "escalated_on"]
    list_filter = ["level", "escalated_on"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # deleting one would send the item up the same level again
