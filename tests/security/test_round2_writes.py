"""Issue 13, round two: no lost writes (L2; docs/security.md).

- A form's version covers everything it shows: a household's page with its member inlines.
- A POST without its version is refused in Chinese and the form comes back with what was typed.
- A locked database (SQLite) is tried again; then a 503 in Chinese, never a 500, nothing written.
"""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from duties.models import Disclosure
from duties.schedules.services import disclosure_record
from households import services
from households.models import Household, Member
from tests.forms import shown_version
from tests.households.conftest import idn
from xigang import locked_db
from xigang.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo(settings, tmp_path):
    """A photo of a 公示 on the board (a new 公示 comes with one), stored under a test folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return SimpleUploadedFile("公示栏.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)


def _writes() -> int:
    """Entries of the change history, less the reads of full ID numbers a page records."""
    return AuditEntry.objects.exclude(action=AuditEntry.Action.READ).count()


STALE = "其他人已保存了这条记录"
UNVERSIONED = "这份表单没有带上所显示记录的版本"
BUSY = "本次提交的内容没有保存任何部分"


@pytest.fixture
def household(east):
    household = Household.objects.create(number="东村-009", village=east, head_name="王大")
    Member.objects.create(household=household, name="王五", id_number=idn(9), relation="户主")
    return household


def _household_url(household) -> str:
    return reverse("admin:households_household_change", args=[household.pk])


def _form_data(response) -> dict:
    """What a browser sends back from an admin change page: every field as shown, the
    inlines' management forms and the page's version."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is True:
                data[form.add_prefix(name)] = "on"
            elif value is not None and value is not False:
                data[form.add_prefix(name)] = value
    page = response.content.decode()
    data["_row_version"] = page.split('name="_row_version" value="')[1].split('"')[0]
    return data


def _rename_member_elsewhere(member, name, user) -> None:
    other = Client()
    other.force_login(user)
    url = reverse("admin:households_member_change", args=[member.pk])
    data = _form_data(other.get(url))
    data["name"] = name
    assert other.post(url, data).status_code == 302


def test_l2_a_member_renamed_elsewhere_makes_the_household_form_stale(client, office, household):
    client.force_login(office)
    url = _household_url(household)
    mine = _form_data(client.get(url))  # the page shows 王五
    member = household.members.get()
    _rename_member_elsewhere(member, "王五五", office)
    entries = _writes()

    mine["phone"] = "13900000000"
    refused = client.post(url, mine)
    page = refused.content.decode()
    assert refused.status_code == 200 and STALE in page
    assert 'value="13900000000"' in page and 'value="王五"' in page  # what I typed is kept
    member.refresh_from_db()
    household.refresh_from_db()
    assert (member.name, household.phone) == ("王五五", "")  # the rename is not undone
    assert _writes() == entries  # nothing written

    # Having seen the current page, a save goes through.
    again = _form_data(refused)
    assert client.post(url, again).status_code == 302
    household.refresh_from_db()
    assert household.phone == "13900000000"


def test_l2_the_household_version_changes_with_its_members_only(office, household, west):
    from xigang.admin import row_version

    related = ((Member, "household"),)
    before = row_version(household, related)
    stranger = Household.objects.create(number="西村-009", village=west, head_name="李大")
    Member.objects.create(household=stranger, name="李四", relation="户主")
    assert row_version(household, related) == before
    Member.objects.filter(household=household).update(labour="无劳动力")
    assert row_version(household, related) != before
    assert row_version(household) != row_version(household, related)


def test_l2_a_household_post_without_its_version_is_refused(client, office, household):
    client.force_login(office)
    url = _household_url(household)
    data = _form_data(client.get(url))
    del data["_row_version"]
    data["phone"] = "13900000000"
    entries = _writes()
    refused = client.post(url, data)
    page = refused.content.decode()
    assert refused.status_code == 200 and UNVERSIONED in page
    assert 'value="13900000000"' in page  # what was typed is kept
    household.refresh_from_db()
    assert household.phone == "" and _writes() == entries
    assert client.post(url, _form_data(refused)).status_code == 302  # the page now carries it


def test_l2_a_portal_post_without_its_version_is_refused(client, east, east_cadre, photo):
    notice = disclosure_record(
        village=east,
        kind="贫困退出",
        title="2026年贫困退出公示",
        posted_from=datetime.date(2026, 7, 1),
        posted_until=None,
        user=east_cadre,
        photos=[photo],
    )
    client.force_login(east_cadre)
    url = reverse("duties:disclosure_edit", args=[notice.pk])
    data = {
        "village": east.pk,
        "kind": "贫困退出",
        "title": "我改的标题",
        "posted_from": "2026-07-01",
        "posted_until": "",  # still posted: taking it down would need its photo
    }
    refused = client.post(url, data)
    page = refused.content.decode()
    assert refused.status_code == 400 and UNVERSIONED in page
    assert 'value="我改的标题"' in page
    assert Disclosure.objects.get().title == "2026年贫困退出公示"
    data["_row_version"] = shown_version(client, url)
    assert client.post(url, data).status_code == 302
    assert Disclosure.objects.get().title == "我改的标题"


# --- a locked database -----------------------------------------------------------------------


@pytest.fixture
def no_pause(monkeypatch):
    monkeypatch.setattr(locked_db, "PAUSE_SECONDS", 0)


def _locked_on(failing, monkeypatch, name="household_save"):
    """The service meets a locked database on the calls numbered in `failing` (from 1), as
    SQLite answers a second writer; the calls are counted."""
    real = getattr(services, name)
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) in failing:
            raise OperationalError("database is locked")
        return real(**kwargs)

    monkeypatch.setattr(services, name, flaky)
    return calls


def test_l2_a_save_that_meets_a_locked_database_is_tried_again(
    client, office, household, monkeypatch, no_pause
):
    client.force_login(office)
    client.raise_request_exception = False  # a browser: sees the response, not the exception
    url = _household_url(household)
    data = _form_data(client.get(url))
    data["phone"] = "13900000000"
    calls = _locked_on({1}, monkeypatch)
    response = client.post(url, data)
    assert response.status_code == 302
    assert len(calls) > 1  # tried again
    household.refresh_from_db()
    assert household.phone == "13900000000"
    assert AuditEntry.objects.filter(action="update", model="households.household").count() == 1


def test_l2_a_try_that_failed_half_way_wrote_nothing(
    client, east, east_cadre, monkeypatch, no_pause, photo
):
    """The portal's 公示 is recorded (its service commits on its own), then the session's save
    after the view meets the lock: that whole try is undone, so the next one records it once."""
    from django.contrib.sessions.backends.db import SessionStore

    client.force_login(east_cadre)
    client.raise_request_exception = False
    real, saves = SessionStore.save, []

    def flaky(self, *args, **kwargs):
        saves.append(1)
        if len(saves) == 1:
            raise OperationalError("database is locked")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SessionStore, "save", flaky)
    data = {"village": east.pk, "kind": "贫困退出", "title": "2026年贫困退出公示"}
    response = client.post(
        reverse("duties:disclosure_add"), {**data, "posted_from": "2026-07-01", "photos": [photo]}
    )
    assert response.status_code == 302 and len(saves) == 2
    assert Disclosure.objects.count() == 1
    assert AuditEntry.objects.filter(action="create", model="duties.disclosure").count() == 1


def test_l2_a_database_locked_for_good_answers_503_in_chinese(
    client, office, household, monkeypatch, no_pause
):
    client.force_login(office)
    client.raise_request_exception = False
    url = _household_url(household)
    data = _form_data(client.get(url))
    data["phone"] = "13900000000"
    entries = _writes()
    calls = _locked_on(range(1, 100), monkeypatch)
    response = client.post(url, data)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    page = response.content.decode()
    assert "系统繁忙" in page and BUSY in page
    assert len(calls) == locked_db.TRIES  # the dry run meets the lock in each try
    household.refresh_from_db()
    assert household.phone == "" and _writes() == entries


def test_l2_a_read_that_meets_a_locked_database_answers_503_not_500(
    client, office, monkeypatch, no_pause
):
    from xigang import scope

    client.force_login(office)
    client.raise_request_exception = False

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(scope, "visible", locked)
    response = client.get(reverse("admin:households_household_changelist"))
    assert response.status_code == 503 and "系统繁忙" in response.content.decode()


def test_l2_other_database_errors_are_not_retried(client, office, monkeypatch, no_pause):
    from xigang import scope

    client.force_login(office)
    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise OperationalError("no such table: households_household")

    monkeypatch.setattr(scope, "visible", broken)
    client.raise_request_exception = False
    response = client.get(reverse("admin:households_household_changelist"))
    assert response.status_code == 500 and len(calls) == 1


def test_l2_sqlite_waits_for_a_lock_before_it_gives_up(settings):
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        assert database["OPTIONS"]["timeout"] >= 5
