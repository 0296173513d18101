"""The read replica (issue 18): a second PostgreSQL database stands in for the replica, holding a
household the primary has not got; the dashboards show it, writes land on the primary only."""

import copy
import datetime

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.utils import load_backend
from django.test import override_settings
from django.urls import reverse

from households.models import Household, Pairing
from tests.dashboard.conftest import AS_OF, PAIRED_SINCE
from visits.models import Visit
from visits.services import visit_record
from xigang.db_router import REPLICA, replica_reads

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the replica is PostgreSQL"),
    # Committed data: the replica is copied from the primary's test database.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ONLY_ON_REPLICA = "东村-099"


@pytest.fixture
def replica(town):
    """The primary's test database copied (schema and the town) into a database of its own,
    then one more paired household written there only; the router on."""
    primary = connections[DEFAULT_DB_ALIAS]
    source = primary.settings_dict["NAME"]
    name = f"{source}_replica"
    connections.close_all()  # a template must have no open session
    with primary._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    # Registered as a connection only, not in the settings: Django's test case refuses aliases
    # it did not set up, but allows connections made on the fly.
    settings_dict = {**copy.deepcopy(primary.settings_dict), "NAME": name}
    backend = load_backend(settings_dict["ENGINE"])
    setattr(connections._connections, REPLICA, backend.DatabaseWrapper(settings_dict, REPLICA))
    household = Household(number=ONLY_ON_REPLICA, village=town["east_cadre"].cadre.village)
    household.head_name = "王五"
    Household.objects.using(REPLICA).bulk_create([household])
    Pairing.objects.using(REPLICA).bulk_create(
        [Pairing(household_id=household.pk, cadre_id=town["pairing"].cadre.pk, start=PAIRED_SINCE)]
    )
    try:
        with override_settings(DATABASE_ROUTERS=["xigang.db_router.ReplicaRouter"]):
            yield town
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        with primary._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _get(client, user, url, **params):
    client.force_login(user)  # the session is written to the primary
    response = client.get(url, {"as_of": AS_OF.isoformat(), **params})
    assert response.status_code == 200
    return response


def test_the_dashboards_read_the_replica(client, replica):
    inspector = replica["inspector"]
    html = _get(client, inspector, reverse("home")).content.decode()
    # Three households owe 3 quarters each on the replica; the primary has two.
    assert '<span class="n overdue">9</span><span class="label">每季度入户走访</span>' in html
    listed = _get(client, inspector, reverse("dashboard:items")).content.decode()
    assert ONLY_ON_REPLICA in listed
    url = reverse("dashboard:overdue_json")
    page = _get(client, inspector, url, rule="pairing.home_visit", limit="1").json()
    assert page["total"] == 9
    # A pairing cadre's phone home reads the primary: the visit just entered, not a lagging copy.
    home = _get(client, replica["pairing"], reverse("home")).content.decode()
    assert "东村-001" in home and ONLY_ON_REPLICA not in home
    # Outside the dashboards everything reads the primary, which has not got the household.
    households = _get(client, replica["east_cadre"], reverse("households:list"))
    assert ONLY_ON_REPLICA not in households.content.decode()


def test_writes_go_to_the_primary_and_are_read_back_from_it(replica):
    with replica_reads():
        assert Household.objects.filter(number=ONLY_ON_REPLICA).exists()  # the replica
        household = Household.objects.get(number="东村-001")
        visit_record(
            household=household,
            cadre=replica["pairing"].cadre,
            kind=Visit.Kind.PHONE,
            on=datetime.date(2026, 11, 2),
            content="电话了解近况，收入稳定，就医已报销",
        )
        # After its write the block reads the primary: its own visit, not the replica's household.
        assert Visit.objects.count() == 1
        assert not Household.objects.filter(number=ONLY_ON_REPLICA).exists()
    assert Visit.objects.using(DEFAULT_DB_ALIAS).count() == 1
    assert Visit.objects.using(REPLICA).count() == 0


def test_a_transaction_on_the_primary_reads_the_primary(replica):
    with replica_reads(), transaction.atomic():
        assert not Household.objects.filter(number=ONLY_ON_REPLICA).exists()
    with replica_reads():
        assert Household.objects.filter(number=ONLY_ON_REPLICA).exists()
