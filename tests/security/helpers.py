"""Signing in as in production, and tampering as a database owner could, shared by the security
tests."""

import contextlib
import importlib

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from xigang.security.posts import post_assign


def holder(username, post):
    """A new account holding one of the three posts."""
    user = get_user_model().objects.create_user(username)
    post_assign(user=user, post=post)
    return user


def signed_in_verified(user) -> Client:
    """A session that has passed the second factor with a real code, as in production."""
    device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    client = Client()
    client.force_login(user)
    client.post("/accounts/otp/verify/", {"token": f"{TOTP(device.bin_key).token():06d}"})
    assert client.get("/accounts/password_change/").status_code == 200, "verified"
    return client


@contextlib.contextmanager
def history_unguarded():
    """The guard triggers off for the block, as the database's owner could switch them off."""
    guard = importlib.import_module("xigang.migrations.0006_history_guard_all_vendors")
    vendor = connection.vendor
    with connection.cursor() as cursor:
        for sql in guard.DROP.get(vendor, []):
            cursor.execute(sql)
        if vendor == "postgresql":
            cursor.execute("ALTER TABLE xigang_auditentry DISABLE TRIGGER auditentry_append_only")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if vendor == "postgresql":
                cursor.execute(
                    "ALTER TABLE xigang_auditentry ENABLE TRIGGER auditentry_append_only"
                )
            for sql in guard.CREATE.get(vendor, []):
                cursor.execute(sql)
