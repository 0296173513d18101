"""One rule, one message: a cadre's mobile number is refused with the same words by
`cadre_save`, the admin's form and the `cadres` ledger."""

import pytest
from django.core.exceptions import ValidationError

from duties.models import Cadre
from duties.organisation.admin import CadreForm
from duties.organisation.ledgers import CadreLedger
from duties.organisation.services import cadre_save
from tests.conftest import workbook
from xigang.ledgers import import_ledger

pytestmark = pytest.mark.django_db
MESSAGE = "「1381234」不是以1开头的11位手机号码"


def test_a_mobile_number_that_is_not_11_digits(tmp_path, office, chinese):
    with pytest.raises(ValidationError) as error:
        cadre_save(username="sun", name="孙某", mobile="1381234")
    assert error.value.message_dict == {"mobile": [MESSAGE]}
    form = CadreForm(data={"username": "sun", "name": "孙某", "mobile": "1381234"})
    assert form.errors == {"mobile": [MESSAGE]}  # not the database constraint's name
    path = workbook(tmp_path / "c.xlsx", ["用户名", "姓名", "手机号"], [["sun", "孙某", "1381234"]])
    report = import_ledger(CadreLedger(office), path)
    assert [(e.header, e.message) for e in report.errors] == [("手机号", MESSAGE)]
    assert not Cadre.objects.filter(user__username="sun").exists()
