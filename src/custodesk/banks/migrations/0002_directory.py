"""Load the shipped bank and branch directory (banks/data/directory.json).

Idempotent: banks and branches are matched by code, changed ones updated, new ones
added, none deleted; a later data file ships as a new migration calling the same
loader."""

from django.db import migrations

from custodesk.banks import directory


def load(apps, schema_editor):
    directory.load(
        apps.get_model("banks", "Bank"),
        apps.get_model("banks", "Branch"),
        apps.get_model("banks", "BranchGram"),
        directory.read(),
    )


class Migration(migrations.Migration):
    dependencies = [("banks", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
