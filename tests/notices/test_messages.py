"""Each person's messages: events that bring one, the list with its unread count, marking read,
only one's own; notice settings with a verified address."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse

from duties.models import Article, Department
from households.models import Pairing
from households.services import pairing_end
from notices.models import Notice, Preference
from oversight.models import Finding, Inspection

D = datetime.date


def _kinds(user):
    return list(Notice.objects.filter(user=user).values_list("kind", flat=True))


def test_a_problem_routed_to_a_department_tells_its_staff(dept, pairing, problem_due_in):
    problem_due_in(20)
    assert _kinds(dept) == [Notice.Kind.PROBLEM_ROUTED]
    assert "东村-001" in Notice.objects.get(user=dept).text
    assert _kinds(pairing) == [Notice.Kind.PAIRING_ASSIGNED]  # from the household's pairing


def test_a_finding_against_a_cadre_tells_that_cadre(pairing, dept, db):
    inspection = Inspection.objects.create(
        title="专项检查", department=Department.objects.get(name="督查科"), started_on=D(2026, 4, 1)
    )
    Finding.objects.create(
        inspection=inspection,
        article=Article.objects.get(number=39),
        description="帮扶记录不全",
        found_on=D(2026, 5, 1),
        deadline=D(2026, 5, 31),
        cadre=pairing.cadre,
    )
    assert _kinds(pairing) == [Notice.Kind.FINDING_OPENED]
    assert "2026-05-31" in Notice.objects.get(user=pairing).text
    assert _kinds(dept) == []


def test_a_pairing_assigned_and_ended_tells_the_cadre_once_each(east_household, pairing, today):
    link = Pairing.objects.get(household=east_household)
    pairing_end(pairing=link, end=today)
    link.save()  # saved again: still one message of each
    assert sorted(_kinds(pairing)) == [Notice.Kind.PAIRING_ASSIGNED, Notice.Kind.PAIRING_ENDED]


def test_the_list_shows_only_ones_own_messages_and_the_header_counts_unread(
    client, dept, pairing, problem_due_in
):
    problem_due_in(20)
    client.force_login(dept)
    page = client.get(reverse("notices:list")).content.decode()
    assert "东村-001" in page and "转办到本部门的问题" in page
    assert 'class="badge"' in page and "1 条未读消息" in page
    client.force_login(pairing)
    page = client.get(reverse("notices:list")).content.decode()
    assert "低保" not in page  # the department's message is not the pairing cadre's
    theirs = Notice.objects.get(user=dept)
    assert client.post(reverse("notices:read", args=[theirs.pk])).status_code == 404
    assert Notice.objects.get(pk=theirs.pk).read_at is None


def test_the_list_takes_the_same_queries_however_many_messages(client, dept, problem_due_in):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(dept)
    problem_due_in(20)
    client.get(reverse("notices:list"))  # the session saved once, its idle clock moved on
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("notices:list"))
    for n in range(30):
        problem_due_in(20, description=f"问题{n}")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("notices:list"))
    assert len(many) == len(few)


def test_mark_one_read_then_all(client, dept, problem_due_in):
    problem_due_in(20)
    problem_due_in(21, description="第二个问题")
    client.force_login(dept)
    first = Notice.objects.filter(user=dept).first()
    client.post(reverse("notices:read", args=[first.pk]))
    assert Notice.objects.filter(user=dept, read_at__isnull=True).count() == 1
    client.post(reverse("notices:read_all"))
    assert not Notice.objects.filter(user=dept, read_at__isnull=True).exists()
    page = client.get(reverse("notices:list")).content.decode()
    assert 'class="badge"' not in page


def test_e_mail_needs_an_address_and_its_confirmation(client, dept):
    client.force_login(dept)
    url = reverse("notices:preference")
    page = client.post(url, {"by_email": "on", "digest_weekday": "2", "email": ""})
    assert "要接收邮件，请填写电子邮箱地址。" in page.content.decode()
    assert not Preference.objects.exists()

    client.post(url, {"by_email": "on", "digest_weekday": "2", "email": "d@example.cn"})
    preference = Preference.objects.get(user=dept)
    assert (preference.by_email, preference.digest_weekday) == (False, 2)  # not yet confirmed
    code = "".join(ch for ch in mail.outbox[0].body if ch.isdigit())[:6]
    wrong = "000000" if code != "000000" else "111111"
    page = client.post(url, {"code": wrong}).content.decode()
    assert "验证码与发送到您邮箱的不一致。" in page
    client.post(url, {"code": code})
    preference.refresh_from_db()
    assert preference.by_email and preference.email_verified_at is not None


@pytest.mark.parametrize("name", ["notices:list", "notices:preference"])
def test_the_pages_need_a_session(client, db, name):
    assert client.get(reverse(name)).status_code == 302
