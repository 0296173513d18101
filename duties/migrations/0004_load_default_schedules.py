from django.db import migrations


def load_default_schedules(apps, schema_editor):
    from duties.schedules.data import DEFAULT_SCHEDULES, EFFECTIVE_FROM

    Duty = apps.get_model("duties", "Duty")
    DutySchedule = apps.get_model("duties", "DutySchedule")
    duties = {(d.article_id, d.clause): d for d in Duty.objects.all()}
    for key, (frequency, due_day, evidence, reason) in DEFAULT_SCHEDULES.items():
        DutySchedule.objects.update_or_create(
            duty=duties[key],
            effective_from=EFFECTIVE_FROM,
            defaults={
                "frequency": frequency,
                "due_day": due_day,
                "evidence": evidence,
                "reason": reason[:200],
            },
        )


def unload_default_schedules(apps, schema_editor):
    from duties.schedules.data import EFFECTIVE_FROM

    apps.get_model("duties", "DutySchedule").objects.filter(
        effective_from=EFFECTIVE_FROM, obligations__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("duties", "0003_schedules")]

    operations = [migrations.RunPython(load_default_schedules, unload_default_schedules)]
