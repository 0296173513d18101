"""`seed_demo`: the same seed gives the same data; accounts of every role with their scope."""

import datetime
import io
import random

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command

from duties.models import Cadre, PartyBranch, Village, VillageAssignment
from duties.organisation import demo
from tests.conftest import make_user
from xigang import roles
from xigang.scope import scope_of

pytestmark = pytest.mark.django_db


AS_OF = datetime.date(2026, 6, 30)


def _snapshot():
    return {
        "branches": list(PartyBranch.objects.order_by("name").values_list("name", flat=True)),
        "villages": list(
            Village.objects.order_by("name").values_list("name", "kind", "branch__name")
        ),
        "cadres": list(
            Cadre.objects.order_by("user__username").values_list(
                "user__username", "name", "mobile", "title", "department__name", "village__name"
            )
        ),
        "groups": sorted(
            get_user_model().groups.through.objects.values_list("user__username", "group__name")
        ),
        "assignments": sorted(
            VillageAssignment.objects.values_list("village__name", "cadre__user__username")
        ),
    }


def _seed(seed):
    demo.seed(rng=random.Random(seed), scale="tiny", as_of=AS_OF)
    return _snapshot()


def test_the_same_seed_gives_the_same_data():
    first = _seed(7)
    _clear()
    assert _seed(7) == first
    _clear()
    assert _seed(8) != first


def _clear():
    VillageAssignment.objects.all().delete()
    Cadre.objects.all().delete()
    get_user_model().objects.all().delete()
    Village.objects.all().delete()
    PartyBranch.objects.all().delete()


def test_the_command_seeds_every_role_and_prints_the_demo_accounts():
    out = io.StringIO()
    call_command("seed_demo", "--scale", "tiny", "--seed", "3", "--as-of", "2026-06-30", stdout=out)
    assert Village.objects.count() == 4
    held = set(get_user_model().groups.through.objects.values_list("group__name", flat=True))
    assert held == set(roles.ALL_ROLES)
    # one village cadre per village, each reaching its village
    for village in Village.objects.all():
        cadre = Cadre.objects.get(village=village, user__username__startswith="cg")
        assert village.pk in scope_of(cadre.user).village_ids
    out = io.StringIO()
    call_command("demo_accounts", stdout=out)
    text = out.getvalue()
    for account in demo.DEMO_ACCOUNTS:
        assert account.username in text
    assert demo.DEMO_PASSWORD in text


@pytest.mark.second_factor
def test_the_demo_accounts_say_who_needs_an_authenticator(civil_affairs):
    """扶贫办 signs in with a second factor: the list says so before the first sign-in."""
    office = next(a.username for a in demo.DEMO_ACCOUNTS if a.role == roles.OFFICE)
    pairing = next(a.username for a in demo.DEMO_ACCOUNTS if a.role == roles.PAIRING)
    make_user(office, roles.OFFICE)
    make_user(pairing, roles.PAIRING, civil_affairs)
    out = io.StringIO()
    call_command("demo_accounts", stdout=out)
    note = out.getvalue().splitlines()[-1]
    assert note.startswith(f"{office} 还需要手机身份验证器（TOTP") and pairing not in note


def test_the_demo_accounts_sign_in_with_the_demo_password_and_have_their_scope():
    call_command("seed_demo", "--scale", "tiny", "--as-of", "2026-06-30", stdout=io.StringIO())
    for account in demo.DEMO_ACCOUNTS:
        user = get_user_model().objects.get(username=account.username)
        assert user.check_password(demo.DEMO_PASSWORD), account.username
        # The demo password meets the password rules (as a new account would set it).
        validate_password(
            demo.DEMO_PASSWORD,
            get_user_model()(username=account.username, first_name=account.name),
        )
        assert scope_of(user).roles == {account.role}
    dept = get_user_model().objects.get(username="demo_dept")
    assert dept.cadre.department.name == "民政科"
    assert scope_of(dept).department_ids == {dept.cadre.department_id}
    village = get_user_model().objects.get(username="demo_village")
    assert scope_of(village).village_ids == {village.cadre.village_id}


def test_if_empty_leaves_a_seeded_database_alone():
    call_command("seed_demo", "--scale", "tiny", stdout=io.StringIO())
    before = Cadre.objects.count()
    out = io.StringIO()
    call_command("seed_demo", "--scale", "tiny", "--if-empty", stdout=out)
    assert Cadre.objects.count() == before
    assert "已有" in out.getvalue() or "already" in out.getvalue()
