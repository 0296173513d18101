"""Change history (admin edits, imports, exports, full-ID reads, tampering), the three posts,
safe input (uploads, XML bombs) and concurrent edits."""

import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection

from duties.models import PartyBranch
from tests.conftest import workbook
from tests.security.helpers import history_unguarded
from xigang import history, roles
from xigang.ledgers import LedgerError, export_ledger, get_kind, import_ledger
from xigang.models import AuditEntry
from xigang.security.posts import post_assign


def _change_url(obj):
    return f"/admin/duties/partybranch/{obj.pk}/change/"


def test_an_admin_edit_is_recorded_with_who_old_and_new_values(client, office, branch):
    client.force_login(office)
    form = client.get(_change_url(branch)).content.decode()
    version = form.split('name="_row_version" value="')[1].split('"')[0]
    response = client.post(_change_url(branch), {"name": "西岗镇党委", "_row_version": version})
    assert response.status_code == 302
    entry = AuditEntry.objects.filter(model="duties.partybranch", action="update").get()
    assert (entry.actor, entry.source, entry.object_pk) == ("office", "admin", str(branch.pk))
    assert entry.old == {"name": "西岗党总支"} and entry.new == {"name": "西岗镇党委"}


def test_creates_and_deletes_are_recorded_and_nobody_may_change_history(client, office, inspector):
    with history.acting(office, "form"):
        made = PartyBranch.objects.create(name="新总支")
        made.delete()
    actions = list(
        AuditEntry.objects.filter(model="duties.partybranch")
        .order_by("id")
        .values_list("action", "actor", "source")
    )
    assert actions == [("create", "office", "form"), ("delete", "office", "form")]
    assert not AuditEntry._meta.default_permissions.count("delete")
    client.force_login(inspector)
    entry = AuditEntry.objects.first()
    page = client.get(f"/admin/xigang/auditentry/{entry.pk}/change/")
    assert page.status_code == 200 and "新总支" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()  # read-only
    assert client.post(f"/admin/xigang/auditentry/{entry.pk}/delete/").status_code == 403
    client.force_login(office)  # 扶贫办 does not read the history
    assert client.get("/admin/xigang/auditentry/").status_code == 403


def test_a_ledger_import_records_every_row_under_one_batch(office, branch, tmp_path):
    kind = get_kind("villages")
    columns = [c for c in kind.columns if c.required or c.key]
    values = {"name": ["甲村", "乙村"], "branch": ["西岗党总支"] * 2, "kind": ["村", "村"]}
    rows = [[values.get(c.attr, ["", ""])[i] for c in columns] for i in range(2)]
    path = workbook(tmp_path / "villages.xlsx", [c.header for c in columns], rows)
    with history.acting(office, "admin"):
        report = import_ledger(kind(office), path)
    assert report.ok, report.lines()
    imports = AuditEntry.objects.filter(action="import", model="ledger.villages")
    assert imports.count() == report.created + report.updated == 2
    assert len({e.batch for e in imports}) == 1 and imports[0].batch
    assert {e.actor for e in imports} == {"office"}
    assert "甲村" in str(imports.order_by("id")[0].new)


def test_an_export_is_recorded(office, branch):
    with history.acting(office, "admin"):
        count = export_ledger(get_kind("villages")(office), io.BytesIO())
    entry = AuditEntry.objects.get(action="export")
    assert (entry.actor, entry.model, entry.new) == ("office", "ledger.villages", {"rows": count})


def test_a_page_with_full_id_numbers_is_recorded_once(rf, office, dept):
    """However many numbers a page shows (mask_id for each row), one 'read' entry a request."""
    from django.http import HttpResponse

    from xigang.scope import mask_id
    from xigang.security.middleware import ActorMiddleware

    numbers = ["370481199001011234", "37048119900101123X", "370481199001015678"]

    def page(request):
        return HttpResponse(" ".join(mask_id(request.user, n) for n in numbers))

    request = rf.get("/households/quality/")
    request.user = office
    shown = ActorMiddleware(page)(request).content.decode()
    assert shown == " ".join(numbers)
    entry = AuditEntry.objects.get(action="read")
    assert (entry.actor, entry.object_repr) == ("office", "/households/quality/")
    request = rf.get("/households/quality/")
    request.user = dept  # sees masked numbers: nothing to record
    assert "*" in ActorMiddleware(page)(request).content.decode()
    assert AuditEntry.objects.filter(action="read").count() == 1


def test_verify_history_detects_a_tampered_row(office, branch):
    with history.acting(office, "form"):
        for n in range(3):
            PartyBranch.objects.create(name=f"总支{n}")
    out = io.StringIO()
    call_command("verify_history", stdout=out)
    assert "intact" in out.getvalue() or "完好" in out.getvalue()
    victim = AuditEntry.objects.filter(model="duties.partybranch").order_by("id")[1]
    with history_unguarded(), connection.cursor() as cursor:  # as a database owner could
        cursor.execute(
            "UPDATE xigang_auditentry SET actor = %s WHERE id = %s", ["someone", victim.pk]
        )
    with pytest.raises(CommandError) as exc:
        call_command("verify_history")
    assert str(victim.pk) in str(exc.value)


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_the_database_refuses_to_edit_history_on_postgresql(office, branch):
    from django.db import DatabaseError, transaction

    with history.acting(office, "form"):
        PartyBranch.objects.create(name="总支X")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM xigang_auditentry")


def test_one_person_holds_only_one_of_the_three_posts(db, client):
    admin_user = get_user_model().objects.create_user("sysadmin")
    post_assign(user=admin_user, post=roles.SYSTEM_ADMIN)
    with pytest.raises(ValidationError) as exc:
        post_assign(user=admin_user, post=roles.AUDIT_ADMIN)
    assert "审计管理员" in str(exc.value)
    security = get_user_model().objects.create_user("secadmin")
    post_assign(user=security, post=roles.SECURITY_ADMIN)
    client.force_login(security)
    groups = Group.objects.filter(name__in=[roles.SECURITY_ADMIN, roles.AUDIT_ADMIN])
    response = client.post(
        f"/admin/auth/user/{security.pk}/change/",
        {"groups": [g.pk for g in groups]},
    )
    assert response.status_code == 200
    assert "只能" in response.content.decode() or "only one" in response.content.decode()
    assert set(security.groups.values_list("name", flat=True)) == {roles.SECURITY_ADMIN}


def test_the_posts_have_their_own_powers(db):
    users = {}
    for post in roles.ADMIN_POSTS:
        users[post] = get_user_model().objects.create_user(post)
        post_assign(user=users[post], post=post)
    assert users[roles.SYSTEM_ADMIN].has_perm("auth.add_user")
    assert not users[roles.SYSTEM_ADMIN].has_perm("auth.change_group")
    assert not users[roles.SYSTEM_ADMIN].has_perm("xigang.view_auditentry")
    assert users[roles.SECURITY_ADMIN].has_perm("auth.change_group")
    assert not users[roles.SECURITY_ADMIN].has_perm("auth.add_user")
    assert users[roles.AUDIT_ADMIN].has_perm("xigang.view_auditentry")
    assert not users[roles.AUDIT_ADMIN].has_perm("auth.change_user")
    assert not any(u.is_superuser for u in users.values())


def test_an_xlsx_with_an_entity_bomb_is_refused(office, tmp_path):
    assert openpyxl.DEFUSEDXML  # openpyxl parses through defusedxml
    good = workbook(tmp_path / "good.xlsx", ["村名称"], [["甲村"]])
    import zipfile

    bomb = tmp_path / "bomb.xlsx"
    entities = (
        '<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i else "")) * 10}">' for i in range(1, 9)
        )
        + "]>"
    )
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bomb, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/workbook.xml":
                text = data.decode()
                start = text.index("?>") + 2 if text.startswith("<?xml") else 0
                data = (text[:start] + entities + text[start:]).encode()
            dst.writestr(item, data)
    with pytest.raises(LedgerError) as exc:
        import_ledger(get_kind("villages")(office), bomb)
    assert "DTD" in str(exc.value) or "实体" in str(exc.value)
    assert not AuditEntry.objects.filter(action="import").exists()


def test_a_concurrent_edit_is_refused_and_keeps_what_was_typed(client, office, branch):
    from django.test import Client

    other = Client()
    other.force_login(get_user_model().objects.get(username="office"))
    client.force_login(office)
    mine = client.get(_change_url(branch)).content.decode()
    theirs = other.get(_change_url(branch)).content.decode()
    version = lambda page: page.split('name="_row_version" value="')[1].split('"')[0]  # noqa: E731
    first = other.post(_change_url(branch), {"name": "他人的名称", "_row_version": version(theirs)})
    assert first.status_code == 302
    second = client.post(_change_url(branch), {"name": "我的名称", "_row_version": version(mine)})
    page = second.content.decode()
    assert second.status_code == 200
    assert "其他人" in page or "Someone else" in page
    assert 'value="我的名称"' in page  # what I typed is kept
    branch.refresh_from_db()
    assert branch.name == "他人的名称"  # nothing silently overwritten
    again = client.post(_change_url(branch), {"name": "我的名称", "_row_version": version(page)})
    assert again.status_code == 302  # having seen it, I may save mine
