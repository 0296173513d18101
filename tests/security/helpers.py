"""Signing in as in production, shared by the security tests."""

from django.contrib.auth import get_user_model
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
