"""Scheduled duties in the admin: schedules (扶贫办 keeps them), obligations, evidence, 公示.

Registered through duties/admin/. Writes go through the services, as in the portal."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from duties.models import Disclosure, DutySchedule, Evidence, Obligation
from duties.schedules.services import disclosure_photo_errors, disclosure_record
from xigang.admin import LedgerAdminMixin, ScopedAdmin, ScopedInline


@admin.register(DutySchedule)
class DutyScheduleAdmin(ScopedAdmin):
    list_display = ["duty", "frequency", "due_day", "evidence", "effective_from"]
    list_filter = ["frequency", "duty__article", "effective_from"]
    search_fields = ["duty__text", "evidence"]
    list_select_related = ["duty"]
    raw_id_fields = ["duty"]
    readonly_fields = ["recorded_at"]

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        # A schedule in use is never edited: a change is a new row from its date (art. 44).
        if isinstance(obj, DutySchedule) and obj.obligations.exists():
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        if isinstance(obj, DutySchedule) and obj.obligations.exists():
            return False
        return super().has_delete_permission(request, obj)


class EvidenceInline(ScopedInline, admin.TabularInline):
    model = Evidence
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "download",
        "moment",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
    )

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False  # files are checked and stored by the portal's completion form

    @admin.display(description=_("file"))
    def download(self, obj: Evidence) -> SafeString:
        return format_html(
            '<a href="{}">{}</a>', reverse("duties:evidence_download", args=[obj.pk]), obj
        )


@admin.register(Obligation)
class ObligationAdmin(LedgerAdminMixin, ScopedAdmin):
    ledger_kind = "obligations"
    list_display = [
        "duty",
        "department",
        "village",
        "period_label",
        "due",
        "status",
        "completed_at",
    ]
    list_filter = ["status", "duty__article", "department", "due"]
    search_fields = [
        "duty__text",
        "village__name",
        "department__name",
        "period_label",
        "event_description",
    ]
    date_hierarchy = "due"
    list_select_related = ["duty", "department", "village"]
    inlines = [EvidenceInline]
    readonly_fields = [
        "schedule",
        "duty",
        "period_label",
        "period_start",
        "period_end",
        "due",
        "department",
        "village",
        "event_description",
        "status",
        "completed_at",
        "completed_by",
        "note",
        "waived_reason",
        "waived_at",
        "waived_by",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # obligations come from the schedules

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False  # completed and waived in the portal, with evidence

    def view_on_site(self, obj: Obligation) -> str:
        return reverse("duties:obligation_complete", args=[obj.pk])


class DisclosureEvidenceInline(EvidenceInline):
    fk_name = "disclosure"


class DisclosureAdminForm(forms.ModelForm):
    """The photo rules of the portal's form, said before anything is saved: the admin adds no
    photo, so it cannot take a notice down that has no photo of it taken down."""

    class Meta:
        model = Disclosure
        fields = ["village", "kind", "title", "posted_from", "posted_until"]

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        stored = (
            Disclosure.objects.filter(pk=self.instance.pk).first() if self.instance.pk else None
        )
        errors = disclosure_photo_errors(stored, data.get("posted_until"), [], [])
        for field, messages in errors.items():
            self.add_error(field if field in self.fields else None, messages)
        return data


@admin.register(Disclosure)
class DisclosureAdmin(ScopedAdmin):
    form = DisclosureAdminForm
    list_display = [
        "village",
        "kind",
        "title",
        "posted_from",
        "posted_until",
        "days_posted",
        "days_proven",
    ]
    list_filter = ["kind", "posted_from"]
    search_fields = ["title", "village__name"]
    list_select_related = ["village"]
    readonly_fields = ["days_posted", "proven_from", "days_proven", "recorded_by", "recorded_at"]
    inlines = [DisclosureEvidenceInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # recorded in the portal, with the photo of it posted

    def save_model(
        self, request: HttpRequest, obj: Disclosure, form: forms.ModelForm, change: bool
    ) -> None:
        try:
            disclosure_record(
                disclosure=obj,
                village=obj.village,
                kind=obj.kind,
                title=obj.title,
                posted_from=obj.posted_from,
                posted_until=obj.posted_until,
                user=cast(User, request.user),  # the admin lets only staff in
            )
        except ValidationError as exc:  # the form validated already; keep the message visible
            raise ValidationError(exc.messages) from exc
