"""Found by the admin's autodiscovery: registers the admin of both halves of the app."""

from duties.organisation import admin as organisation_admin  # noqa: F401
from duties.schedules import admin as schedules_admin  # noqa: F401
