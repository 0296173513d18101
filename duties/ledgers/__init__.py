"""Found by the core's plug-in discovery (`APP.ledgers`): registers the ledgers of both halves
of the app, the organisation's (villages, cadres) before the scheduled duties' (obligations)."""

from duties.organisation import ledgers as organisation_ledgers  # noqa: F401
from duties.schedules import ledgers as schedules_ledgers  # noqa: F401
