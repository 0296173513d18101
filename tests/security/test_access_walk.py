"""The access walk: every URL the project defines, for an anonymous visitor and every role of
the shared cast, GET and POST, against the permission table below. A URL pattern without a row
in the table fails the test, so a new page cannot ship without saying who may open it.

Table values: the status each visitor gets on GET. "login" = sent to the sign-in page;
"ok" = 200 (or a redirect within the portal, e.g. a file or a form's next step); "no" = refused
(403, or 404 like a missing row: out-of-scope answers look like absence).
Routes that take a row's id are walked twice: with an id no row has (TABLE: nobody), and with
real rows in and out of each unit's scope (ROWS: who gets "ok" for each row, GET and POST).
Admin URLs are walked for every registered model: a role reaches a changelist exactly when its
group holds the model's view permission (roles.MATRIX), and nobody but the three posts'
holders reaches the accounts pages.
"""

import re
from datetime import date

import pytest
from django.contrib import admin
from django.urls import URLResolver, get_resolver

ROLES = ["leader", "office", "inspector", "dept", "east_cadre", "west_cadre", "pairing", "outsider"]
ALL = set(ROLES)
STAFF = ALL - {"outsider"}
PUBLIC = "public"

# route (as written in urls.py) -> roles that get "ok" on GET; PUBLIC: anyone, signed in or not.
# fmt: off
TABLE: dict[str, object] = {
    "": ALL,
    "accounts/login/": PUBLIC,
    "accounts/logout/": PUBLIC,
    "accounts/password_change/": ALL,
    "accounts/password_change/done/": ALL,
    "accounts/otp/setup/": ALL,
    "accounts/otp/verify/": ALL,
    "accounts/code/": PUBLIC,  # a one-time code from the 系统管理员 (password reset is gone)
    "i18n/setlang/": PUBLIC,
    "favicon.ico": PUBLIC,  # a redirect to the static icon
    "dashboard/items/": ALL,  # each sees its own scope; the outsider an empty list
    "dashboard/items.xlsx": ALL,
    "dashboard/overdue.json": ALL,
    "dashboard/households/<str:number>/": {"leader", "office", "inspector", "east_cadre", "pairing"},
    "dashboard/suggest/<str:kind>/": ALL,  # an unknown kind: no suggestion; each its own scope
    "dashboard/rankings/<str:key>/": set(),  # here an unknown ranking: 404 for all
    "dashboard/people/<str:username>/": set(),  # here a user name nobody has: 404
    "dashboard/approvals/": {"leader", "office"},  # plans: both; commendations: the leader
    "dashboard/approvals/plans/<int:pk>/": set(),  # POST only
    "dashboard/approvals/commendations/<int:pk>/": set(),  # POST only
    "duties/obligations/": {"leader", "office", "inspector", "dept", "east_cadre", "west_cadre"},
    "duties/obligations/<int:pk>/": set(),  # here ids of a row that does not exist; see ROWS
    "duties/obligations/<int:pk>/waive/": set(),  # POST only
    "duties/events/new/": {"office", "dept", "east_cadre", "west_cadre"},  # who may record
    "duties/evidence/<int:pk>/": set(),
    "duties/disclosures/": {"leader", "office", "inspector", "east_cadre", "west_cadre"},
    "duties/disclosures/new/": {"office", "east_cadre", "west_cadre"},
    "duties/disclosures/<int:pk>/": set(),
    "households/": STAFF,  # each sees the households of its scope
    "households/suggest/": STAFF,
    "households/changes/new/": {"office", "east_cadre", "west_cadre", "pairing"},
    # 一户一策: those who keep the household's plan (the leader approves, adds none)
    "households/<str:number>/plans/new/": {"office", "east_cadre", "pairing"},
    "households/plans/<int:pk>/step/": set(),  # here an id no row has; see ROWS
    "households/plans/<int:pk>/measures/new/": set(),
    "households/measures/<int:pk>/deliver/": set(),
    "duties/parameters/": {"leader", "office", "inspector"},  # the rules' numbers: town roles
    "households/quality/": {"office", "east_cadre", "west_cadre"},
    # 两不愁三保障 (art. 38): assessed by those who keep the household; gaps read in each scope
    "households/<int:household_id>/assess/": {"office", "east_cadre", "pairing"},
    "households/gaps/": STAFF,
    "households/gaps/<int:pk>/close/": set(),  # here an id no row has; see ROWS
    "households/gaps/<int:pk>/evidence/": set(),
    "visits/": ALL,  # "my households": empty for those without pairings
    "visits/<int:household_id>/new/": {"pairing"},  # only the paired cadre
    "oversight/signals/": {"leader", "office", "inspector"},  # 疑点: the whole-town readers
    "oversight/signals/<int:pk>/": set(),
    # departments hold the view for 组织科's spot checks (art. 5): 民政科 sees an empty list
    "oversight/spot-checks/": {"leader", "office", "inspector", "dept"},
    "oversight/spot-checks/<int:pk>/": set(),
    "oversight/spot-checks/answers/<int:pk>/": set(),
    "oversight/findings/<int:pk>/": set(),
    # the register (art. 5): every role reads the rows of its scope (组织科 all, a village its
    # own, a 第一书记 their own record)
    "oversight/first-secretaries/": STAFF,
    "oversight/first-secretaries/<int:pk>/": set(),
    "notices/": ALL,  # one's own messages
    "notices/<int:notice_id>/read/": set(),  # POST only, one's own message
    "notices/read-all/": set(),  # POST only
    "notices/digests/<int:digest_id>/": set(),  # one's own digest; here an id no row has
    "notices/settings/": ALL,
    # projects and assets: the units that keep them and the town roles (not pairing cadres)
    "projects/": ALL - {"pairing", "outsider"},
    "projects/<int:pk>/": set(),
    "projects/assets/": ALL - {"pairing", "outsider"},
    "projects/assets/<int:pk>/": set(),
    "projects/notices/<int:pk>/": set(),
}
# fmt: on

# route -> {row: (roles that get "ok" on GET, roles that get "ok" on POST)}; every other role
# gets "no" (404 out of scope or without the view permission, 403 in scope without the right to
# write, 405 for a GET of a POST-only page). "ok" on POST means the view took the request: a
# redirect, a file, or the form again with its errors (an empty POST is never valid), 200-400.
# Rows (the `rows` fixture): 东村's and 西村's obligations (36.1) and 公示, 民政科's obligation
# (15.2), and an evidence file of each unit.
TOWN = {"leader", "office", "inspector"}
KEEPERS = {"office", "east_cadre", "pairing"}
ROWS: dict[str, dict[str, tuple[set[str], set[str]]]] = {
    "duties/obligations/<int:pk>/": {
        "east": (TOWN | {"east_cadre"}, {"office", "east_cadre"}),
        "west": (TOWN | {"west_cadre"}, {"office", "west_cadre"}),
        "civil_affairs": (TOWN | {"dept"}, {"office", "dept"}),
    },
    "duties/obligations/<int:pk>/waive/": {
        "east": (set(), {"office"}),
        "west": (set(), {"office"}),
        "civil_affairs": (set(), {"office"}),
    },
    "duties/evidence/<int:pk>/": {  # a download: POST answers like GET
        "east": (TOWN | {"east_cadre"}, TOWN | {"east_cadre"}),
        "west": (TOWN | {"west_cadre"}, TOWN | {"west_cadre"}),
        "civil_affairs": (TOWN | {"dept"}, TOWN | {"dept"}),
    },
    "duties/disclosures/<int:pk>/": {  # the readers (leader, inspector) may not edit: 403
        "east": ({"office", "east_cadre"}, {"office", "east_cadre"}),
        "west": ({"office", "west_cadre"}, {"office", "west_cadre"}),
    },
    # a signal is read by the whole town, handled by the inspectors
    "oversight/signals/<int:pk>/": {"signal": (TOWN, {"inspector"})},
    "oversight/spot-checks/<int:pk>/": {"east": (TOWN, set())},  # GET only
    "oversight/spot-checks/answers/<int:pk>/": {"east": (TOWN, {"inspector"})},
    # the subject reports (east_cadre), the inspector extends and closes
    "oversight/findings/<int:pk>/": {
        "east": (TOWN | {"east_cadre"}, {"inspector", "east_cadre"}),
        "civil_affairs": (TOWN | {"dept"}, {"inspector", "dept"}),
    },
    # a gap is closed by the department it is routed to (or the office); the others read it
    "households/gaps/<int:pk>/close/": {
        "east_civil_affairs": ({"office", "dept"}, {"office", "dept"}),
        "west_water": ({"office"}, {"office"}),
    },
    "households/gaps/<int:pk>/evidence/": {  # a download: POST answers like GET
        "east_civil_affairs": (
            TOWN | {"dept", "east_cadre", "pairing"},
            TOWN | {"dept", "east_cadre", "pairing"},
        ),
    },
    # 东村-001's plan: its village and pairing cadre and the office record steps and measures
    # (the leader, who approves, may record a step); a measure routed to 民政科 is marked
    # carried out by 民政科 too, not by the leader
    "households/plans/<int:pk>/step/": {"east": (KEEPERS | {"leader"}, KEEPERS | {"leader"})},
    "households/plans/<int:pk>/measures/new/": {"east": (KEEPERS, KEEPERS)},
    "households/measures/<int:pk>/deliver/": {
        "civil_affairs": (KEEPERS | {"dept"}, KEEPERS | {"dept"})
    },
    # 东村's 第一书记 is the cast's pairing cadre; only 组织科 (not in the cast) records checks
    "oversight/first-secretaries/<int:pk>/": {"east": (TOWN | {"east_cadre", "pairing"}, set())},
    # a village's project (implemented by 农业办) and 民政科's town-level one: the readers may not
    # record a 公示 (403); the asset (managed by 经管站) and a 公示 file of 东村's project
    "projects/<int:pk>/": {
        "east": (TOWN | {"east_cadre"}, {"office", "east_cadre"}),
        "town": (TOWN | {"dept"}, {"office", "dept"}),
    },
    "projects/assets/<int:pk>/": {"east": (TOWN | {"east_cadre"}, {"office", "east_cadre"})},
    "projects/notices/<int:pk>/": {  # a download: POST answers like GET
        "east": (TOWN | {"east_cadre"}, TOWN | {"east_cadre"}),
    },
}


def _routes(patterns=None, prefix=""):
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            if str(p.pattern).startswith("admin/"):
                continue
            yield from _routes(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern)


def _fill(route, ids):
    def value(match):
        name = match.group(2)
        return str(ids.get(name, 999999))

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


def test_every_url_pattern_has_a_row_in_the_table():
    missing = sorted(set(_routes()) - set(TABLE))
    assert not missing, f"URL patterns without a row in the access table: {missing}"


@pytest.fixture
def ids(east_household):
    return {
        "number": east_household.number,
        "household_id": east_household.pk,
        "pk": 999999,
    }


def test_an_anonymous_visitor_is_sent_to_sign_in_everywhere_but_public_pages(client, ids):
    for route, who in TABLE.items():
        url = _fill(route, ids)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if who == PUBLIC:
                assert response.status_code < 500, (method, url)
                continue
            if url.endswith(".json"):  # a JSON client is told 401, not redirected
                assert response.status_code == 401, (method, url)
                continue
            assert response.status_code == 302, (method, url, response.status_code)
            assert response["Location"].startswith("/accounts/login/"), (method, url)
    for model in admin.site._registry:
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url


@pytest.mark.usefixtures("today")
def test_every_role_gets_what_the_table_says(client, cast, ids):
    for role in ROLES:
        client.force_login(cast[role])
        for route, who in TABLE.items():
            if who in (PUBLIC, None) or route.startswith("accounts/otp") or "logout" in route:
                continue
            url = _fill(route, ids)
            status = client.get(url).status_code
            assert (status < 400) == (role in who), (role, url, status)


@pytest.fixture
def rows(settings, tmp_path, east, west, civil_affairs, office, east_household):
    """route -> {row name: id} for ROWS, with the rows themselves."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from duties.schedules.services import disclosure_record, evidence_add
    from households.plans import measure_add, plan_start
    from tests.duties.schedules.conftest import make_obligation

    settings.MEDIA_ROOT = tmp_path / "media"

    def obligations_of(label, start, end, last):  # 东村's, 西村's and 民政科's of one period
        period = {"label": label, "start": date(2026, start, 1), "end": date(2026, end, last)}
        return {
            "east": make_obligation(36, 1, village=east, **period),
            "west": make_obligation(36, 1, village=west, **period),
            "civil_affairs": make_obligation(15, 2, department=civil_affairs, **period),
        }

    obligations = obligations_of("2026-Q2", 4, 6, 30)
    # evidence on an earlier period's obligations: with evidence already there, an empty POST
    # would complete the obligation walked above
    evidence = {
        name: evidence_add(
            upload=SimpleUploadedFile("明细.pdf", b"%PDF-1.4\n%%EOF\n"),
            user=office,
            obligation=obligation,
        )
        for name, obligation in obligations_of("2026-Q1", 1, 3, 31).items()
    }
    disclosures = {
        name: disclosure_record(
            village=village,
            kind="贫困退出",
            title=f"{village.name}贫困退出公示",
            posted_from=date(2026, 7, 1),
            posted_until=None,
            user=office,
            photos=[SimpleUploadedFile("公示栏.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)],
        )
        for name, village in (("east", east), ("west", west))
    }
    oversight = _oversight_rows(east, civil_affairs, office)
    plan = plan_start(household=east_household, year=2026)
    measure = measure_add(plan=plan, kind="低保五保", due=date(2026, 12, 31))
    gaps = _gap_rows(east_household, west, office)
    by_route = {
        **oversight,
        **gaps,
        **_project_rows(east, office),
        "households/plans/<int:pk>/step/": {"east": plan},
        "households/plans/<int:pk>/measures/new/": {"east": plan},
        "households/measures/<int:pk>/deliver/": {"civil_affairs": measure},
        "duties/obligations/<int:pk>/": obligations,
        "duties/obligations/<int:pk>/waive/": obligations,
        "duties/evidence/<int:pk>/": evidence,
        "duties/disclosures/<int:pk>/": disclosures,
    }
    return {
        route: {name: row.pk for name, row in named.items()} for route, named in by_route.items()
    }


def _gap_rows(east_household, west, office):
    """An open gap of 东村-001 routed to 民政科, an open one of a 西村 household routed to 水利站,
    and a closed one of 东村-001 with its evidence file."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from households.assessments.models import AssessmentGap
    from households.assessments.services import assessment_record, gap_close
    from households.models import Household

    west_household = Household.objects.create(number="西村-009", village=west, head_name="周九")

    def found(household, item, met, day):
        assessment_record(household=household, item=item, met=met, assessed_on=day)

    found(east_household, "food", False, date(2026, 6, 1))
    found(east_household, "food", True, date(2026, 7, 1))
    closed = gap_close(
        gap=AssessmentGap.objects.get(item="food"),
        user=office,
        upload=SimpleUploadedFile("低保.pdf", b"%PDF-1.4\n%%EOF\n"),
    )
    found(east_household, "clothing", False, date(2026, 8, 1))
    found(west_household, "water", False, date(2026, 8, 1))
    open_gaps = AssessmentGap.objects.filter(closed_at__isnull=True)
    return {
        "households/gaps/<int:pk>/close/": {
            "east_civil_affairs": open_gaps.get(item="clothing"),
            "west_water": open_gaps.get(item="water"),
        },
        "households/gaps/<int:pk>/evidence/": {"east_civil_affairs": closed},
    }


def _project_rows(east, office):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from projects.services import notice_add
    from tests.projects.conftest import make_asset, make_project

    project = make_project("东村光伏电站", east)
    notice = notice_add(
        upload=SimpleUploadedFile("公示.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
        user=office,
        stage="before_start",
        posted_on=date(2026, 3, 1),
        project=project,
    )
    return {
        "projects/<int:pk>/": {
            "east": project,
            "town": make_project("镇救助站改造", None, department="民政科"),
        },
        "projects/assets/<int:pk>/": {"east": make_asset(project)},
        "projects/notices/<int:pk>/": {"east": notice},
    }


def _oversight_rows(east, civil_affairs, office):
    """A signal, a spot check of 东村 with one household drawn, and findings about 东村 and
    民政科, for the oversight pages."""
    from duties.models import Article, Department
    from households.models import Household
    from oversight.models import (
        Finding,
        FirstSecretary,
        Inspection,
        Signal,
        SpotCheck,
        SpotCheckAnswer,
    )

    inspection = Inspection.objects.create(
        title="专项检查",
        department=Department.objects.get(name="镇纪委"),
        started_on=date(2026, 9, 1),
    )
    findings = {
        name: Finding.objects.create(
            inspection=inspection,
            article=Article.objects.get(number=41),
            description="台账不全",
            found_on=date(2026, 9, 2),
            deadline=date(2026, 12, 31),
            **subject,
        )
        for name, subject in (
            ("east", {"village": east}),
            ("civil_affairs", {"department": civil_affairs}),
        )
    }
    signal = Signal.objects.create(
        kind="bunched",
        key="walk",
        cadre=office.cadre,
        period="2026-Q3",
        period_start=date(2026, 7, 1),
        period_end=date(2026, 9, 30),
        score=5,
    )
    check = SpotCheck.objects.create(
        department=Department.objects.get(name="镇纪委"),
        village=east,
        drawn_on=date(2026, 11, 1),
        period="2026-Q4",
        period_start=date(2026, 10, 1),
        period_end=date(2026, 12, 31),
        size=1,
        seed=1,
    )
    answer = SpotCheckAnswer.objects.create(
        spot_check=check, household=Household.objects.get(number="东村-001"), position=1
    )
    return {
        "oversight/signals/<int:pk>/": {"signal": signal},
        "oversight/spot-checks/<int:pk>/": {"east": check},
        "oversight/spot-checks/answers/<int:pk>/": {"east": answer},
        "oversight/findings/<int:pk>/": findings,
        "oversight/first-secretaries/<int:pk>/": {
            "east": FirstSecretary.objects.create(
                cadre=Household.objects.get(number="东村-001").pairings.get().cadre,
                village=east,
                sending_unit="县财政局",
                started_on=date(2026, 1, 1),
                department=Department.objects.get(name="组织科"),
            )
        },
    }


def _versions(models):
    from xigang.admin import row_version

    return {(m, obj.pk): row_version(obj) for m in models for obj in m.objects.all()}


@pytest.mark.usefixtures("today")
def test_every_role_gets_what_the_table_says_for_real_rows(client, cast, rows):
    from duties.models import Disclosure, Evidence, Obligation
    from households.assessments.models import AssessmentGap
    from oversight.models import Finding, FirstSecretaryCheck, Signal, SpotCheckAnswer
    from projects.models import Distribution, Notice, Project

    written = (
        AssessmentGap,
        Obligation,
        Disclosure,
        Evidence,
        Finding,
        Signal,
        SpotCheckAnswer,
        FirstSecretaryCheck,
        Project,
        Distribution,
        Notice,
    )
    assert set(ROWS) <= set(TABLE) and set(ROWS) == set(rows)
    before = _versions(written)
    for route, by_row in ROWS.items():
        for row, (get_ok, post_ok) in by_row.items():
            url = _fill(route, {"pk": rows[route][row]})
            client.logout()
            assert client.get(url)["Location"].startswith("/accounts/login/"), url
            for role in ROLES:
                client.force_login(cast[role])
                for method, ok in (("get", get_ok), ("post", post_ok)):
                    response = getattr(client, method)(url)
                    if response.streaming:  # read to the end: the client closes the file
                        b"".join(response.streaming_content)
                    status = response.status_code
                    expected = (200, 302, 400) if role in ok else (403, 404, 405)
                    assert status in expected, (role, method, url, row, status)
    # nobody's request changed a row: the refused ones wrote nothing, the empty forms too
    assert _versions(written) == before


def test_admin_changelists_follow_the_groups_permissions(client, cast):
    for role in ROLES:
        user = cast[role]
        client.force_login(user)
        for model, model_admin in admin.site._registry.items():
            opts = model._meta
            url = f"/admin/{opts.app_label}/{opts.model_name}/"
            status = client.get(url).status_code
            allowed = user.is_staff and model_admin.has_view_or_change_permission(_request(user))
            assert (status == 200) == allowed, (role, url, status)
            assert status != 500
            if opts.label_lower in {"auth.user", "auth.group", "xigang.auditentry"}:
                assert status != 200 or role == "inspector" and opts.model_name == "auditentry"


def test_the_ledger_screens_follow_each_kinds_permissions(client, cast):
    """Import, confirm and export of every ledger admin: open exactly to the roles holding the
    kind's `permission` / `export_permission` (staff users), never the library's default."""
    from xigang.admin import LedgerAdminMixin
    from xigang.ledgers import get_kind

    ledgers = [(m, a) for m, a in admin.site._registry.items() if isinstance(a, LedgerAdminMixin)]
    assert ledgers
    for role in ROLES:
        user = cast[role]
        client.force_login(user)
        for model, model_admin in ledgers:
            kind = get_kind(model_admin.ledger_kind)
            base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
            imports = user.is_staff and kind.importable and user.has_perm(kind.permission)
            exports = user.is_staff and user.has_perm(kind.export_permission)
            status = client.get(base + "import/").status_code
            assert (status == 200) == imports, (role, base, status)
            status = client.post(base + "process_import/", {"import_file_name": "x"}).status_code
            assert status in (302, 403) and (status == 403 or not user.is_staff), (role, base)
            status = client.post(base + "export/", {"format": "0"}).status_code
            assert (status == 200) == exports, (role, base, status)


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_out_of_scope_households_are_absent_for_a_village_cadre(client, east_cadre, west_household):
    client.force_login(east_cadre)
    change = client.get(f"/admin/households/household/{west_household.pk}/change/", follow=True)
    assert "西村-001" not in change.content.decode()
    listing = client.get("/admin/households/household/?q=西村")
    assert "西村-001" not in listing.content.decode()
    dashboard = client.get(f"/dashboard/households/{west_household.number}/")
    assert dashboard.status_code == 404


# --- writes: round two (M3, build point 6) --------------------------------------------------


def _scoped_models():
    from xigang.admin import ScopedAdmin

    return sorted(
        m._meta.label_lower for m, a in admin.site._registry.items() if isinstance(a, ScopedAdmin)
    )


def test_every_scoped_model_has_rows_in_the_write_walk():
    from tests.security.round2_rows import WRITERS

    assert sorted(WRITERS) == _scoped_models()


def _form_data(obj):
    """The row as its change form would post it, with one text changed where there is one."""
    from django.db.models.fields.files import FieldFile
    from django.forms.models import model_to_dict

    data: dict[str, object] = {}
    for name, value in model_to_dict(obj).items():
        if value is None or value is False:
            continue
        if isinstance(value, FieldFile):  # a form posts no file it did not upload
            continue
        if isinstance(value, list):
            data[name] = [getattr(v, "pk", v) for v in value]
        else:
            data[name] = getattr(value, "isoformat", lambda v=value: v)()
    text = next(
        (f.name for f in obj._meta.concrete_fields if f.get_internal_type() == "TextField"), None
    )
    if text:
        data[text] = "改过的内容"
    return data


def _refused(response) -> bool:
    """403, 404, the admin's answer for a missing row (to its index, "does not exist"), or
    its sign-in page for an account that is not staff."""
    if response.status_code == 302:
        return response["Location"] == "/admin/" or response["Location"].startswith("/admin/login/")
    return response.status_code in (403, 404)


@pytest.mark.usefixtures("today")
@pytest.mark.parametrize("label", _scoped_models())
def test_every_role_writes_only_rows_in_its_write_scope(
    client, cast, east, west, east_household, west_household, label
):
    """POST to the change and delete views of real rows, for every role: refused out of the
    role's write scope (a department writes only its own unit's rows), the row unchanged."""
    from tests.security.round2_rows import DELETERS, WRITERS, rows_of
    from xigang.admin import row_version

    rows = rows_of(label, cast, east, west, east_household, west_household)
    assert set(rows) == set(WRITERS[label])
    app, model = label.split(".")
    for name, obj in rows.items():
        url = f"/admin/{app}/{model}/{obj.pk}/"
        writers, deleters = WRITERS[label][name], DELETERS.get(label, {"office"})
        for role in sorted(ROLES, key=lambda r: r in writers):  # writers last: they may save
            client.force_login(cast[role])
            before = row_version(obj)
            response = client.post(url + "change/", _form_data(obj))
            if role in writers:
                assert response.status_code in (200, 302) and not _refused(response), (
                    role,
                    label,
                    name,
                    response.status_code,
                )
                continue
            assert _refused(response), (role, label, name, response.status_code)
            assert row_version(obj) == before, (role, label, name)
            if role in deleters:  # the confirmation page, without deleting
                assert client.get(url + "delete/").status_code == 200, (role, label, name)
                continue
            assert _refused(client.post(url + "delete/", {"post": "yes"})), (role, label, name)
            assert type(obj)._default_manager.filter(pk=obj.pk).exists(), (role, label, name)
