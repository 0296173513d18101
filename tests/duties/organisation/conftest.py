"""Fixtures of the organisation's tests (workbooks: `tests.conftest.workbook`)."""

import pytest
from django.utils import translation


@pytest.fixture
def chinese():
    with translation.override("zh-hans"):
        yield
