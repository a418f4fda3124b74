"""The reminder sweep reads due candidates and branch reviews in (next_reminder_at, id) order from
where its last batch stopped (keyset pagination, admission.reminders._SweepState). With the due time
alone in the index, every batch sorted the whole group of rows sharing a due time (most branches
share one) and walked again the index entries its predecessors had just moved on."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("admission", "0007_stage_time"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="candidate", name="cand_next_reminder"),
        migrations.AddIndex(
            model_name="candidate",
            index=models.Index(
                condition=models.Q(("next_reminder_at__isnull", False)),
                fields=["next_reminder_at", "id"],
                name="cand_due_keyset",
            ),
        ),
        migrations.RemoveIndex(model_name="branchreview", name="review_next_reminder"),
        migrations.AddIndex(
            model_name="branchreview",
            index=models.Index(
                condition=models.Q(("next_reminder_at__isnull", False)),
                fields=["next_reminder_at", "id"],
                name="review_due_keyset",
            ),
        ),
    ]
