"""The day's run: messages, digests and escalations, each once (issue 17, "Done when")."""

import datetime

import pytest
from django.core import mail

from duties.models import RuleParameter
from notices.day import run_day
from notices.models import Digest, DigestLine, Escalation, Level, Notice, Preference
from notices.services import email_confirm, preference_save


def _due_soon(user):
    """The messages about the household's problem (departments have scheduled duties too)."""
    return Notice.objects.filter(user=user, kind=Notice.Kind.DUE_SOON, text__contains="东村-001")


def test_an_item_due_in_3_days_gives_one_message_and_one_digest_line(dept, problem_due_in, today):
    assert today.weekday() == 0  # Monday: the weekly digest's default day
    problem_due_in(3)
    run_day(day=today)
    run_day(day=today)

    messages = list(_due_soon(dept))
    assert len(messages) == 1
    assert "东村-001" in messages[0].text
    assert messages[0].due == today + datetime.timedelta(days=3)
    lines = DigestLine.objects.filter(digest__user=dept, text__contains="东村-001")
    assert [line.text for line in lines] == [messages[0].text]
    assert Digest.objects.filter(user=dept, kind=Digest.Kind.WEEKLY).count() == 1
    # The digest is a message too, once.
    assert Notice.objects.filter(user=dept, kind=Notice.Kind.DIGEST).count() == 1


def test_nothing_is_sent_when_there_is_nothing(pairing, leader, today):
    for user in (pairing, leader):
        preference_save(user=user, by_email=False, by_sms=False, digest_weekday=0, email="")
    run_day(day=today)
    assert not Digest.objects.filter(user__in=[pairing, leader]).exists()
    assert not Notice.objects.filter(user__in=[pairing, leader]).exists()
    assert mail.outbox == []


def test_the_weekly_digest_waits_for_the_chosen_weekday(dept, problem_due_in, today):
    Preference.objects.create(user=dept, digest_weekday=3)  # Thursday
    problem_due_in(3)
    run_day(day=today)
    assert not Digest.objects.filter(user=dept).exists()
    assert _due_soon(dept).count() == 1  # the message does not wait
    run_day(day=today + datetime.timedelta(days=3))
    assert Digest.objects.filter(user=dept, kind=Digest.Kind.WEEKLY).count() == 1


def test_the_digest_is_e_mailed_only_to_a_confirmed_address(dept, problem_due_in, today):
    preference_save(user=dept, by_email=True, by_sms=False, digest_weekday=0, email="d@example.cn")
    code = (
        mail.outbox[0].body.split("code is ")[1][:6]
        if "code is " in mail.outbox[0].body
        else ("".join(ch for ch in mail.outbox[0].body if ch.isdigit())[:6])
    )
    assert not Preference.objects.get(user=dept).by_email  # not before the address is confirmed
    email_confirm(user=dept, code=code)
    mail.outbox.clear()
    problem_due_in(3)
    run_day(day=today)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["d@example.cn"]
    assert "东村-001" in mail.outbox[0].body
    run_day(day=today)
    assert len(mail.outbox) == 1  # not twice


def _escalated_to(user, level):
    """Daily digest lines about the problem (the household's visits are late too)."""
    return DigestLine.objects.filter(
        digest__user=user, digest__kind=Digest.Kind.DAILY, level=level, text__contains="低保"
    )


@pytest.mark.parametrize("late, reached", [(14, False), (15, True)])
def test_escalation_after_n_days_reaches_the_village_cadre_in_charge_and_not_before(
    in_charge, leader, office, problem_due_in, today, late, reached
):
    problem_due_in(-late)
    run_day(day=today)
    assert _escalated_to(in_charge, Level.VILLAGE).exists() is reached
    assert _escalated_to(office, Level.VILLAGE).exists() is reached
    # 镇领导 only later (30 days by default)
    assert not _escalated_to(leader, Level.LEADER).exists()
    run_day(day=today)
    escalated = Escalation.objects.filter(level=Level.VILLAGE, text__contains="低保")
    assert escalated.count() == (1 if reached else 0)
    assert _escalated_to(in_charge, Level.VILLAGE).count() == (1 if reached else 0)


def test_escalation_days_are_a_dated_parameter(in_charge, problem_due_in, today):
    RuleParameter.objects.create(
        rule="escalation", name="village_days", value=5, effective_from=datetime.date(2026, 1, 1)
    )
    problem_due_in(-6)
    run_day(day=today)
    assert _escalated_to(in_charge, Level.VILLAGE).count() == 1


def test_escalation_then_reaches_the_town_leaders(in_charge, leader, problem_due_in, today):
    problem_due_in(-31)
    run_day(day=today)
    assert _escalated_to(leader, Level.LEADER).count() == 1
    assert Notice.objects.filter(user=leader, kind=Notice.Kind.DIGEST).count() == 1
    # the 包村干部 hears of the village level, not the leaders'
    assert not _escalated_to(in_charge, Level.LEADER).exists()


def test_a_text_message_goes_to_those_who_ask_through_the_sms_backend(
    dept, problem_due_in, today, settings
):
    from notices import sms

    settings.SMS_BACKEND = "notices.sms.MemoryBackend"
    sms.outbox.clear()
    dept.cadre.mobile = "13800138000"
    dept.cadre.save()
    Preference.objects.create(user=dept, by_sms=True)
    problem_due_in(3)
    run_day(day=today)
    run_day(day=today)
    assert len(sms.outbox) == 1
    mobile, text = sms.outbox[0]
    assert mobile == "13800138000" and text.startswith("每周摘要")
