"""The project and asset pages: what each role sees, the forms (公示, acceptance, 收益分配) with
their errors in Chinese, and the queries each page costs (pinned)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from projects.models import Distribution, Notice
from tests.projects.conftest import make_asset, make_distribution, make_project

D = datetime.date
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

pytestmark = pytest.mark.usefixtures("today")


def _png(name="公示.png"):
    return SimpleUploadedFile(name, PNG)


@pytest.mark.parametrize(
    ("role", "seen"),
    [
        ("office", ["东村光伏电站", "西村蔬菜大棚", "镇救助站改造"]),
        ("dept", ["镇救助站改造"]),
        ("east_cadre", ["东村光伏电站"]),
        ("west_cadre", ["西村蔬菜大棚"]),
    ],
)
def test_each_role_lists_its_own_projects(client, cast, projects, role, seen):
    client.force_login(cast[role])
    page = client.get("/projects/").content.decode()
    assert [
        name for name in ["东村光伏电站", "西村蔬菜大棚", "镇救助站改造"] if name in page
    ] == seen


def test_the_list_filters_by_village_kind_and_year(client, office, projects, east):
    client.force_login(office)
    page = client.get(f"/projects/?village={east.pk}&kind=产业&year=2026").content.decode()
    assert "东村光伏电站" in page and "西村蔬菜大棚" not in page
    assert "东村光伏电站" not in client.get("/projects/?year=2025").content.decode()
    # a bad filter value is ignored, not an error page
    assert client.get("/projects/?year=abc").status_code == 200


def test_a_village_records_a_notice_with_its_file_and_the_servers_time(
    client, east_cadre, east_project
):
    client.force_login(east_cadre)
    response = client.post(
        f"/projects/{east_project.pk}/",
        {"action": "notice", "stage": "before_start", "posted_on": "2026-03-01", "file": _png()},
    )
    assert response.status_code == 302
    notice = Notice.objects.get()
    assert (notice.uploaded_by, notice.posted_on, notice.project) == (
        east_cadre,
        D(2026, 3, 1),
        east_project,
    )
    page = client.get(f"/projects/{east_project.pk}/").content.decode()
    assert "开工前" in page and "公示.png" in page


def test_a_file_that_is_not_an_image_or_document_is_refused_in_chinese(
    client, east_cadre, east_project
):
    client.force_login(east_cadre)
    response = client.post(
        f"/projects/{east_project.pk}/",
        {
            "action": "notice",
            "stage": "before_start",
            "posted_on": "2026-03-01",
            "file": SimpleUploadedFile("公示.png", b"MZ not an image"),
        },
    )
    assert response.status_code == 400
    assert "公示.png" in response.content.decode() and not Notice.objects.exists()


def test_the_department_accepts_a_finished_project_once(client, dept, civil_affairs):
    project = make_project(
        "镇救助站改造",
        None,
        department="民政科",
        started_on=D(2026, 3, 10),
        finished_on=D(2026, 6, 1),
    )
    client.force_login(dept)
    early = client.post(
        f"/projects/{project.pk}/", {"action": "accept", "accepted_on": "2026-05-01"}
    )
    assert early.status_code == 400 and "须在完工日期" in early.content.decode()
    done = client.post(
        f"/projects/{project.pk}/",
        {"action": "accept", "accepted_on": "2026-06-20", "note": "合格"},
    )
    assert done.status_code == 302
    project.refresh_from_db()
    assert (project.accepted_on, project.accepted_by, project.accepted_at is not None) == (
        D(2026, 6, 20),
        dept,
        True,
    )


def test_a_village_may_not_accept_its_own_project(client, east_cadre, east):
    project = make_project("村自验", east, started_on=D(2026, 3, 10), finished_on=D(2026, 6, 1))
    client.force_login(east_cadre)
    response = client.post(
        f"/projects/{project.pk}/", {"action": "accept", "accepted_on": "2026-06-20"}
    )
    assert response.status_code == 403


def test_a_distribution_is_recorded_with_its_notice_and_checked(client, east_cadre, east_project):
    asset = make_asset(east_project)
    client.force_login(east_cadre)
    data = {
        "action": "distribution",
        "year": "2025",
        "income": "30000",
        "distributed": "40000",
        "households": "20",
        "decided_on": "2026-03-01",
        "posted_on": "2026-03-03",
        "notice": _png(),
    }
    refused = client.post(f"/projects/assets/{asset.pk}/", data)
    assert refused.status_code == 400 and "超过收益" in refused.content.decode()
    assert not Distribution.objects.exists() and not Notice.objects.exists()
    data["distributed"], data["notice"] = "24000", _png()
    assert client.post(f"/projects/assets/{asset.pk}/", data).status_code == 302
    distribution = Distribution.objects.get()
    assert (distribution.recorded_by, distribution.notices.get().uploaded_by) == (
        east_cadre,
        east_cadre,
    )


def test_a_notice_is_added_to_a_distribution_recorded_before(client, east_cadre, east_project):
    asset = make_asset(east_project)
    distribution = make_distribution(asset, 2025, east_cadre, D(2026, 3, 1))
    client.force_login(east_cadre)
    response = client.post(
        f"/projects/assets/{asset.pk}/",
        {
            "action": "notice",
            "distribution": distribution.pk,
            "posted_on": "2026-03-05",
            "notice": _png(),
        },
    )
    assert response.status_code == 302
    assert distribution.notices.get().stage == Notice.Stage.DISTRIBUTION


def test_the_lists_cost_the_same_queries_however_many_rows(
    client, office, east, django_assert_num_queries
):
    for n in range(12):
        make_asset(make_project(f"项目{n}", east), name=f"资产{n}")
    client.force_login(office)
    client.get("/projects/")  # the session and the user's scope, once
    # session, user, groups (scope), villages of the filter, count, page of projects
    with django_assert_num_queries(QUERIES["projects"]):
        client.get("/projects/")
    with django_assert_num_queries(QUERIES["assets"]):
        client.get("/projects/assets/")


def test_the_pages_of_a_project_and_an_asset_cost_a_fixed_number_of_queries(
    client, east_cadre, east_project, django_assert_num_queries
):
    asset = make_asset(east_project)
    for year in (2024, 2025):
        make_distribution(asset, year, east_cadre, D(year + 1, 3, 1))
    client.force_login(east_cadre)
    client.get("/projects/")  # the session and the caches, once
    with django_assert_num_queries(QUERIES["project"]):
        client.get(f"/projects/{east_project.pk}/")
    with django_assert_num_queries(QUERIES["asset"]):
        client.get(f"/projects/assets/{asset.pk}/")


# Each page: session, user, permissions, groups (twice: roles and scope), the scope's villages,
# departments and cadre, the unread-notices badge (the session is saved at most once a minute,
# after the warming request); then its own:
# the lists the villages of the filter, a count and a page (the projects with their funds and
# 公示 counted); a project its row, the write check, funds, 公示 and assets; an asset its row,
# distributions, their 公示, the write check, and the 公示 form's choices.
QUERIES = {"projects": 11, "assets": 11, "project": 14, "asset": 14}


def test_a_scheduled_duty_shows_the_records_of_its_period(client, east_cadre, east, east_project):
    """33.4 (扶贫资产登记及收益分配台账, yearly): the village's distributions of the year."""
    from tests.duties.schedules.conftest import make_obligation

    asset = make_asset(east_project)
    make_distribution(asset, 2025, east_cadre, D(2026, 3, 1))
    obligation = make_obligation(
        33, 4, village=east, label="2026", start=D(2026, 1, 1), end=D(2026, 12, 31)
    )
    client.force_login(east_cadre)
    page = client.get(f"/duties/obligations/{obligation.pk}/").content.decode()
    assert "本期相关台账记录" in page and "2025年度收益分配" in page
    assert f"/projects/assets/{asset.pk}/" in page
