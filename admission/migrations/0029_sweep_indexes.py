"""The sweep writes hundreds of thousands of notifications at once (issue 18): fewer indexes to
maintain per row (docs/decisions.md, "Reminder sweep: indexes").

- the foreign-key indexes of Notification.user and DigestDelivery.user go: the unique (user, key)
  and (user, day) serve every lookup by user;
- Notification.candidate, .transition and .digest are indexed only where set (a branch's review
  reminder has no candidate nor transition; a new notification no digest);
- the digest's waiting items: (user) where neither e-mailed nor read;
- the day's pending deliveries in id order (status, day, id), read by keyset in chunks.

The foreign-key constraints stay as they are: the fields' db_index changes only the state
(Django would otherwise drop and re-validate each constraint, a full scan of the table).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("admission", "0028_statistics_indexes"),
        ("members", "0014_statistics_summaries"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="digestdelivery",
                    name="user",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="digests",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="notification",
                    name="candidate",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notifications",
                        to="admission.candidate",
                    ),
                ),
                migrations.AlterField(
                    model_name="notification",
                    name="digest",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="notifications",
                        to="admission.digestdelivery",
                    ),
                ),
                migrations.AlterField(
                    model_name="notification",
                    name="transition",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="admission.stagetransition",
                    ),
                ),
                migrations.AlterField(
                    model_name="notification",
                    name="user",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notifications",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "admission_digestdelivery_user_id_065ee47e"',
                    reverse_sql='CREATE INDEX "admission_digestdelivery_user_id_065ee47e" ON "admission_digestdelivery" ("user_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "admission_notification_candidate_id_de54342b"',
                    reverse_sql='CREATE INDEX "admission_notification_candidate_id_de54342b" ON "admission_notification" ("candidate_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "admission_notification_digest_id_c8352b5e"',
                    reverse_sql='CREATE INDEX "admission_notification_digest_id_c8352b5e" ON "admission_notification" ("digest_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "admission_notification_transition_id_efbff00f"',
                    reverse_sql='CREATE INDEX "admission_notification_transition_id_efbff00f" ON "admission_notification" ("transition_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "admission_notification_user_id_c4474626"',
                    reverse_sql='CREATE INDEX "admission_notification_user_id_c4474626" ON "admission_notification" ("user_id")',
                ),
            ],
        ),
        migrations.RemoveIndex(
            model_name="digestdelivery",
            name="digest_status_day",
        ),
        migrations.RemoveIndex(
            model_name="notification",
            name="notification_not_emailed",
        ),
        migrations.AddIndex(
            model_name="digestdelivery",
            index=models.Index(fields=["status", "day", "id"], name="digest_status_day_id"),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("digest__isnull", True), ("read_at__isnull", True)),
                fields=["user"],
                name="notification_to_email",
            ),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("candidate__isnull", False)), fields=["candidate"], name="notification_candidate"
            ),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("transition__isnull", False)), fields=["transition"], name="notification_transition"
            ),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("digest__isnull", False)), fields=["digest"], name="notification_digest"
            ),
        ),
    ]
