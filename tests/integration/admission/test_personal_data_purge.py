"""Retention of personal data (Decree 13/2023): people removed from the list are anonymised
after the retention period; everyone else, and the statistics, stay as they were."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from admission import privacy, services
from admission.devdata.demo import at, remove_through_chain, walk_to
from admission.models import Candidate, DocumentScan, Notification
from members.models import Person
from tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)
REMOVED_ON = dt.date(2026, 1, 12)
NOW = at(dt.date(2026, 11, 25))  # 317 days after the removal


def _removed(tree, alice, introducers, name: str) -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name=name, phone="0912345678", hometown="Hà Giang")
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    walk_to(candidate, "S13", user=alice, introducers=introducers, start=START)
    # The removal chain (HD06 4.6), each act by its own body: the branch, the grassroots
    # committee, the deciding committee (here the system, as the demo data record them).
    remove_through_chain(candidate, day=REMOVED_ON, branch_user=alice, grassroots_user=None, committee_user=None)
    assert candidate.stage == "SX"
    return candidate


def test_it_anonymises_people_removed_before_the_retention_period(tree, alice, introducers, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    removed = _removed(tree, alice, introducers, "Trịnh Văn Xóa")
    scan = DocumentScan.objects.create(
        candidate=removed,
        doc_type="A2",
        file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="don.pdf"),
        content_type="application/pdf",
        size=15,
        sha256="0" * 64,
        original_name="don.pdf",
        uploaded_at=NOW,
    )
    path = tmp_path / scan.file.name
    assert path.exists()
    Notification.objects.create(
        user=alice, key="x", kind="deadline", organisation=tree.branch_a, candidate=removed,
        text_vi="Trịnh Văn Xóa", text_en="Trịnh Văn Xóa", created_at=NOW,
    )  # fmt: skip
    open_one = PersonFactory(organisation=tree.branch_a, full_name="Trịnh Văn Ở Lại")
    services.candidate_create(acting_user=alice, person=open_one, now=at(START))
    born = removed.person.date_of_birth

    assert privacy.personal_data_purge(now=NOW, retention_days=400) == 0  # not yet 400 days
    assert privacy.personal_data_purge(now=NOW, retention_days=300) == 1

    person = Person.objects.get(pk=removed.person_id)
    assert person.full_name == f"Đã xóa dữ liệu {person.pk}"
    assert (person.cccd, person.phone, person.hometown) == (None, "", "")
    assert person.date_of_birth == dt.date(born.year, 1, 1)  # the year stays for age statistics
    assert person.gender == removed.person.gender
    assert not person.history.filter(full_name="Trịnh Văn Xóa").exists()  # type: ignore[attr-defined]
    assert not Notification.objects.filter(candidate=removed).exists()
    assert not DocumentScan.objects.filter(pk=scan.pk).exists()
    assert not path.exists()
    assert Candidate.objects.get(pk=removed.pk).removal_date == REMOVED_ON  # statistics keep their dates
    assert Person.objects.get(pk=open_one.pk).full_name == "Trịnh Văn Ở Lại"
    # Running again changes nothing.
    assert privacy.personal_data_purge(now=NOW, retention_days=300) == 0


def test_it_keeps_a_removed_person_who_has_a_login(tree, alice, introducers) -> None:  # type: ignore[no-untyped-def]
    removed = _removed(tree, alice, introducers, "Trịnh Văn Tài Khoản")
    UserFactory(username="taikhoan", person=removed.person)

    assert privacy.personal_data_purge(now=NOW, retention_days=300) == 0
    assert Person.objects.get(pk=removed.person_id).full_name == "Trịnh Văn Tài Khoản"


def test_the_command_uses_the_setting_and_can_be_turned_off(tree, alice, introducers, settings, capsys) -> None:  # type: ignore[no-untyped-def]
    _removed(tree, alice, introducers, "Trịnh Văn Lệnh")
    settings.PERSONAL_DATA_RETENTION_DAYS = 0
    call_command("purge_personal_data")
    assert "off" in capsys.readouterr().out
    call_command("purge_personal_data", "--days", "1")
    assert "Anonymised 1 " in capsys.readouterr().out
