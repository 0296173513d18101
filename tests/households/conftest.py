"""Helpers for the registry tests: valid ID numbers, exported workbooks read back."""

import datetime

import openpyxl
import pytest

from xigang.idnumber import compose

TITLE = "西岗镇建档立卡贫困户台账"  # the title line above the headers of the registry's files


def idn(n: int, birth: datetime.date = datetime.date(1980, 5, 17)) -> str:
    """The n-th valid ID number of a person born on `birth` (area 370481, 滕州)."""
    return compose("370481", birth, n)


def read_back(path):
    """Rows of an exported workbook below its header row (title and date lines skipped)."""
    book = openpyxl.load_workbook(path)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    return rows


@pytest.fixture
def en():
    from django.utils import translation

    with translation.override("en"):
        yield
