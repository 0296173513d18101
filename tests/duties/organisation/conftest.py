"""Helpers for the organisation's tests: real workbooks written with openpyxl."""

import openpyxl
import pytest
from django.utils import translation


def write_book(path, headers, rows, title=None):
    """A workbook as an office keeps it: an optional merged title line above the headers."""
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@pytest.fixture
def chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def quick_hashing(settings):
    """Passwords set in a test are hashed: a cheap hasher keeps the test quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
