"""Found by the core's plug-in discovery (`APP.rules`): registers the app's obligation rules,
which are the scheduled duties' (`duty.scheduled`, `disclosure.post`)."""

from duties.schedules import rules as schedules_rules  # noqa: F401
