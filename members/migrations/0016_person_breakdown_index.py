# The statistics' breakdowns read an admitted member's person from this index (no row read).
# Built concurrently on PostgreSQL: the people table of a national instance stays writable.

from django.db import migrations, models

from members.migration_operations import AddIndexConcurrentlyWherePossible


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("members", "0015_member_organisation_day_indexes"),
    ]

    operations = [
        AddIndexConcurrentlyWherePossible(
            model_name="person",
            index=models.Index(
                fields=["id"],
                include=(
                    "gender",
                    "ethnicity",
                    "religion",
                    "education_level",
                    "youth_union_member",
                    "is_student",
                    "private_enterprise_worker",
                    "date_of_birth",
                ),
                name="person_breakdown",
            ),
        ),
    ]
