"""Found by the core's plug-in discovery (`APP.demo`): registers the demo builders of both
halves of the app (the organisation runs first, the scheduled duties after the visits)."""

from duties.organisation import demo as organisation_demo  # noqa: F401
from duties.schedules import demo as schedules_demo  # noqa: F401
