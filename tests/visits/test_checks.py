"""One rule, one message: the checks of `visits.checks` refuse the same bad visit with the same
words through `visit_record` (the quick entry, the admin) and through the `visits` ledger."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from duties.organisation.services import cadre_save
from tests.conftest import workbook
from visits.models import Visit
from visits.services import visit_record
from xigang.ledgers import get_kind, import_ledger

D = datetime.date


def _refused(tmp_path, office, household, cadre, username, on) -> tuple[dict, tuple[str, str]]:
    """The service's error by field, and the ledger's (header, message), for one visit."""
    with pytest.raises(ValidationError) as error:
        visit_record(
            household=household,
            cadre=cadre,
            kind=Visit.Kind.HOME,
            on=on,
            content="入户了解收入和就医情况",
        )
    path = workbook(
        tmp_path / "visits.xlsx",
        ["户编号", "帮扶责任人", "方式", "日期"],
        [[household.number, username, "入户", on]],
    )
    report = import_ledger(get_kind("visits")(office), path)
    assert not report.written and len(report.errors) == 1, report.lines()
    assert not Visit.objects.exists()
    return error.value.message_dict, (report.errors[0].header, report.errors[0].message)


def test_a_visit_in_the_future(tmp_path, office, pairing, east_household, today):
    tomorrow = today + datetime.timedelta(days=1)
    service, ledger = _refused(tmp_path, office, east_household, pairing.cadre, "pairing", tomorrow)
    assert service == {"on": [f"日期 {tomorrow} 晚于今天"]}
    assert ledger == ("日期", service["on"][0])


@pytest.mark.usefixtures("today")
def test_a_visit_by_a_cadre_not_paired_that_day(tmp_path, office, east_household):
    """The service refuses it; the ledger (history: a 包村干部 going along) keeps it, marked as
    not counting for art. 39 with the service's words, and imported."""
    zhao = cadre_save(username="zhao", name="赵六", roles=["帮扶责任人"])
    with pytest.raises(ValidationError) as error:
        visit_record(
            household=east_household,
            cadre=zhao,
            kind=Visit.Kind.HOME,
            on=D(2026, 3, 2),
            content="随同包村干部入户了解情况",
        )
    # the cadre by name in both, though the ledger's row gives the user name
    assert error.value.message_dict == {
        "cadre": ["2026-03-02 当天 赵六 未与贫困户 东村-001 结对帮扶"]
    }
    path = workbook(
        tmp_path / "visits.xlsx",
        ["户编号", "帮扶责任人", "方式", "日期", "内容"],
        [[east_household.number, "zhao", "入户", D(2026, 3, 2), "随同包村干部入户了解情况"]],
    )
    report = import_ledger(get_kind("visits")(office), path)
    assert report.written and report.created == 1, report.lines()
    visit = Visit.objects.get()
    assert visit.not_counted == "2026-03-02 当天 赵六 未与贫困户 东村-001 结对帮扶"
    assert (visit.imported_in.file_name, visit.imported_in.imported_by) == ("visits.xlsx", office)
