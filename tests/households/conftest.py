"""Helpers for the registry tests: valid ID numbers and small workbooks."""

import datetime

import openpyxl
import pytest

from xigang.idnumber import compose


def idn(n: int, birth: datetime.date = datetime.date(1980, 5, 17)) -> str:
    """The n-th valid ID number of a person born on `birth` (area 370481, 滕州)."""
    return compose("370481", birth, n)


def workbook(path, headers, rows, title="西岗镇建档立卡贫困户台账"):
    """An .xlsx like the offices keep: a title line above the header row, cells as given."""
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


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
