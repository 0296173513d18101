"""Fixtures of the organisation's tests (workbooks: `tests.conftest.workbook`)."""

import pytest
from django.utils import translation


@pytest.fixture
def chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def quick_hashing(settings):
    """Passwords set in a test are hashed: a cheap hasher keeps the test quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
