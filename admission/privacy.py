"""Personal-data retention: people removed from the list are anonymised after a while.

Run nightly by `admission.tasks.personal_data_purge` and by `manage.py purge_personal_data`;
the retention is `PERSONAL_DATA_RETENTION_DAYS` (docs/operations.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from admission.domain.stages import Stage
from admission.models import Candidate, DocumentScan, GeneratedDocument, Notification
from members.freshness import everything_changed
from members.models import MemberStatus, Person

ANONYMISED_PREFIX = "Đã xóa dữ liệu"


def personal_data_purge(*, now: dt.datetime, retention_days: int) -> int:
    """Anonymise the people removed from the list more than `retention_days` ago; returns how many.

    A person qualifies when every candidacy of theirs ended in removal (SX) before the cutoff,
    they hold no membership other than one removed or left before the cutoff, and no login is
    linked to them. What identifies them goes: name (replaced by a neutral label), CCCD, contact
    details, places, the day and month of birth (the year stays for age statistics), the
    person's history rows, their notifications (whose texts carry the name), and their uploaded
    scans and generated documents (rows and files). Gender, ethnicity, religion and the stage
    dates stay, so past statistics do not change. One durable transaction per person, so a
    failure leaves the others done; files are deleted after the commit.
    """
    cutoff = timezone.localdate(now) - dt.timedelta(days=retention_days)
    removed_before = Candidate.objects.filter(stage=Stage.SX.value, removal_date__lt=cutoff).values("person_id")
    candidates = (
        Person.objects.filter(pk__in=removed_before, account__isnull=True)
        .exclude(candidacies__stage__in=[s.value for s in Stage if s != Stage.SX])
        .exclude(candidacies__stage=Stage.SX.value, candidacies__removal_date__gte=cutoff)
        .exclude(membership__status__in=[MemberStatus.OFFICIAL, MemberStatus.PROBATIONARY])
        .exclude(membership__left_date__gte=cutoff)
        .exclude(full_name__startswith=ANONYMISED_PREFIX)
    )
    done = 0
    for person_id in list(candidates.values_list("pk", flat=True)):
        files: list[Any] = []
        with transaction.atomic(durable=True):
            person = Person.objects.select_for_update().get(pk=person_id)
            files.extend(scan.file for scan in DocumentScan.objects.filter(candidate__person=person))
            files.extend(doc.file for doc in GeneratedDocument.objects.filter(candidate__person=person))
            DocumentScan.objects.filter(candidate__person=person).delete()
            GeneratedDocument.objects.filter(candidate__person=person).delete()
            Notification.objects.filter(candidate__person=person).delete()
            Person.objects.filter(pk=person.pk).update(
                full_name=f"{ANONYMISED_PREFIX} {person.pk}",
                family_name=ANONYMISED_PREFIX,
                middle_name="",
                given_name=str(person.pk),
                search_key=f"da xoa du lieu {person.pk}",
                sort_key=f"~{person.pk:012d}",
                cccd=None,
                phone="",
                email="",
                hometown="",
                residence="",
                occupation="",
                date_of_birth=person.date_of_birth.replace(month=1, day=1),
            )
            person.history.all().delete()  # type: ignore[attr-defined]
        # The database no longer points at the files: remove them outside the transaction.
        for file in files:
            file.storage.delete(file.name)
        done += 1
    if done:  # names and birth dates changed by UPDATE, which the statistics cache does not see
        everything_changed()
    return done
