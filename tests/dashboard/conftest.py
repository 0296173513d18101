import datetime

import pytest

from households.models import Household, Pairing

AS_OF = datetime.date(2026, 11, 29)  # since defaults to 2025-10-01 (a year before, whole quarter)
PAIRED_SINCE = datetime.date(2026, 1, 1)
# With no visit at all, each household paired since 2026-01-01 owes, as of 2026-11-29:
# home visits 2026-Q1..Q3 (3) and phone contacts 2026-01..10 (10).
PAIRING_ITEMS_PER_HOUSEHOLD = 13


@pytest.fixture
def town(today, cast, east_household, west_household, west_pairing):
    """Both villages' households under pairing: 东村-001 with `pairing`, 西村-001 with
    `west_pairing`, from 2026-01-01 on, no visit yet; the clock on `today`."""
    Pairing.objects.create(household=west_household, cadre=west_pairing.cadre, start=PAIRED_SINCE)
    return {**cast, "west_pairing": west_pairing}


def more_households(village, cadre, count, prefix):
    households = Household.objects.bulk_create(
        Household(number=f"{prefix}-{n:03d}", village=village, head_name="王五")
        for n in range(count)
    )
    Pairing.objects.bulk_create(
        Pairing(household=h, cadre=cadre, start=PAIRED_SINCE) for h in households
    )
