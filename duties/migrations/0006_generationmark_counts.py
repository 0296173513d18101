"""The generation mark's counts become columns instead of one encoded string.

The string was `s{count}:{last pk}:{last recorded_at}|v{count}:{last pk}` ("None" for none). A
mark that cannot be read is dropped: the next read regenerates (idempotently) and writes one.
"""

import datetime

from django.db import migrations, models


def _pk(text):
    return None if text == "None" else int(text)


def split_signatures(apps, schema_editor):
    GenerationMark = apps.get_model("duties", "GenerationMark")
    for mark in GenerationMark.objects.all():
        try:
            schedules, villages = mark.signature.split("|")
            count, last_pk, recorded_at = schedules.removeprefix("s").split(":", 2)
            village_count, village_last_pk = villages.removeprefix("v").split(":")
            mark.schedule_count = int(count)
            mark.schedule_last_pk = _pk(last_pk)
            mark.schedule_last_recorded_at = (
                None if recorded_at == "None" else datetime.datetime.fromisoformat(recorded_at)
            )
            mark.village_count = int(village_count)
            mark.village_last_pk = _pk(village_last_pk)
        except ValueError:
            mark.delete()
            continue
        mark.save()


def join_signatures(apps, schema_editor):
    GenerationMark = apps.get_model("duties", "GenerationMark")
    for mark in GenerationMark.objects.all():
        mark.signature = (
            f"s{mark.schedule_count}:{mark.schedule_last_pk}:{mark.schedule_last_recorded_at}"
            f"|v{mark.village_count}:{mark.village_last_pk}"
        )
        mark.save()


class Migration(migrations.Migration):
    dependencies = [("duties", "0005_obligation_event_description")]

    operations = [
        migrations.AddField(
            model_name="generationmark",
            name="schedule_count",
            field=models.PositiveIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="generationmark",
            name="schedule_last_pk",
            field=models.PositiveIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="generationmark",
            name="schedule_last_recorded_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name="generationmark",
            name="village_count",
            field=models.PositiveIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="generationmark",
            name="village_last_pk",
            field=models.PositiveIntegerField(null=True),
        ),
        migrations.RunPython(split_signatures, join_signatures),
        # A default only so that going back can add the column to existing rows.
        migrations.AlterField(
            model_name="generationmark",
            name="signature",
            field=models.CharField(default="", max_length=200),
        ),
        migrations.RemoveField(model_name="generationmark", name="signature"),
    ]
