"""Projects and assets of the shared cast's units: 东村's (implemented by 农业办), 西村's, and a
town-level one implemented by 民政科 (the department of `dept`)."""

import datetime

import pytest

from duties.models import Department
from projects.models import Asset, Distribution, Notice, Project, ProjectFund

D = datetime.date


def make_project(name, village, department="农业办", **dates):
    defaults = {"planned_start": D(2026, 3, 10), "planned_finish": D(2026, 8, 31)}
    project = Project.objects.create(
        name=name,
        village=village,
        kind=Project.Kind.INDUSTRY,
        department=Department.objects.get(name=department),
        **{**defaults, **dates},
    )
    ProjectFund.objects.create(project=project, source="财政专项", amount=500000)
    return project


def make_notice(user, stage, posted_on, **parent):
    return Notice.objects.create(
        stage=stage,
        posted_on=posted_on,
        file="evidence/test.png",
        original_name="公示.png",
        content_type="image/png",
        size=10,
        uploaded_by=user,
        **parent,
    )


def make_asset(project, registered_on=None, name=None):
    return Asset.objects.create(
        name=name or f"{project.name}资产",
        project=project,
        village=project.village,
        owner=Asset.Owner.VILLAGE if project.village else Asset.Owner.TOWN,
        value=500000,
        manager=Department.objects.get(name="经管站"),
        registered_on=registered_on or D(2024, 6, 1),
    )


def make_distribution(asset, year, user, decided_on):
    return Distribution.objects.create(
        asset=asset,
        year=year,
        income=30000,
        distributed=24000,
        households=20,
        decided_on=decided_on,
        recorded_by=user,
    )


@pytest.fixture
def east_project(east):
    return make_project("东村光伏电站", east)


@pytest.fixture
def west_project(west):
    return make_project("西村蔬菜大棚", west)


@pytest.fixture
def town_project(civil_affairs):
    return make_project("镇救助站改造", None, department="民政科")


@pytest.fixture
def projects(east_project, west_project, town_project):
    return {"east": east_project, "west": west_project, "town": town_project}
