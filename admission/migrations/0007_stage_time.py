"""Stage visits stored on each transition (StageTransition.entered_on, package_working_days).

Existing rows are counted in the migration with the set-based recount of
``admission.reporting.stage_times`` (LAG for the day the stage was entered, a temporary table of working-day
indexes of the `holidays` package calendar for the working days). The LAG index
`transition_visits` is replaced by `transition_stage_time`, which the statistics read instead.
"""

from typing import Any

from django.db import migrations, models


def fill(apps: Any, schema_editor: Any) -> None:
    from admission.reporting.stage_times import stage_times_fill

    stage_times_fill(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("admission", "0006_statistics_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="stagetransition",
            name="entered_on",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="stagetransition",
            name="package_working_days",
            field=models.IntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.RemoveIndex(
            model_name="stagetransition",
            name="transition_visits",
        ),
        migrations.AddIndex(
            model_name="stagetransition",
            index=models.Index(
                fields=["candidate", "on_date", "from_stage", "package_working_days", "entered_on"],
                name="transition_stage_time",
            ),
        ),
    ]
