"""The day of installation: the default go-live date (xigang/entry.py, docs/design.md)."""

from django.db import migrations, models
from django.utils import timezone


def record(apps, schema_editor):
    Installation = apps.get_model("xigang", "Installation")
    if not Installation.objects.exists():
        Installation.objects.create(installed_on=timezone.localdate())


class Migration(migrations.Migration):
    dependencies = [("xigang", "0007_ledger_import")]
    operations = [
        migrations.CreateModel(
            name="Installation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("installed_on", models.DateField(verbose_name="installed on")),
            ],
            options={
                "verbose_name": "installation",
                "verbose_name_plural": "installations",
                "default_permissions": (),
            },
        ),
        migrations.RunPython(record, migrations.RunPython.noop),
    ]
