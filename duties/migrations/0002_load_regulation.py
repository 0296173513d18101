from django.db import migrations


def load_regulation(apps, schema_editor):
    from duties.organisation.regulation import load_regulation as load

    load(apps.get_model("duties", "Article"), apps.get_model("duties", "Department"),
         apps.get_model("duties", "Duty"))


def unload_regulation(apps, schema_editor):
    apps.get_model("duties", "Duty").objects.all().delete()
    apps.get_model("duties", "Department").objects.all().delete()
    apps.get_model("duties", "Article").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("duties", "0001_initial")]

    operations = [migrations.RunPython(load_regulation, unload_regulation)]
