"""The rules of an organisation record, one function and one message each, for the services,
the admin and the ledgers alike: each returns why a value is refused, in the user's language,
or None."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

# Also the database's constraint `cadre_mobile_11_digits`.
MOBILE = re.compile(r"^1\d{10}$")


def mobile_error(value: str) -> str | None:
    """A cadre's mobile number is empty or 11 digits beginning with 1."""
    if not value or MOBILE.match(value):
        return None
    return _("「%(value)s」 is not an 11-digit mobile number beginning with 1") % {"value": value}
