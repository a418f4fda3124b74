"""The demo data of `scripts/run` load through the real services and every demo login can work."""

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from admission.models import AnnualPlan, Candidate, CandidateTransfer
from members.models import User

pytestmark = pytest.mark.django_db


def test_it_loads_the_demo_province_once_and_its_logins_see_their_pages(capsys) -> None:  # type: ignore[no-untyped-def]
    call_command("load_demo_data", force=True)
    assert "Loaded 25 organisations" in capsys.readouterr().out
    call_command("load_demo_data", force=True)
    assert "already present" in capsys.readouterr().out

    assert Candidate.objects.count() == 20
    # The life cycle's other ends are on show: removed, not admitted, deadlocked, annulled, transferred.
    assert {"SX", "SY", "SZ"} <= set(Candidate.objects.values_list("stage", flat=True))
    assert Candidate.objects.filter(stage="S1", transitions__from_stage="S10").exists()
    assert Candidate.objects.filter(transfers__isnull=False, stage="S10").exists()
    # A move between the Sở Tư pháp's branches (both decided by the UBND committee) owes no forwarding; the
    # move to a ward's branch does: the UBND committee's demo login has a dossier to forward.
    assert list(
        CandidateTransfer.objects.filter(forwarding_committee__isnull=False).values_list(
            "from_organisation__code", "to_organisation__code", "forwarding_committee__code"
        )
    ) == [("TN-UB-STP-HC", "TN-DX-TDP1", "TN-UB")]
    assert AnnualPlan.objects.exists()
    for user in User.objects.all():
        client = Client()
        client.force_login(user)
        assert client.get(reverse("dashboard")).status_code == 200, user.username
        assert client.get(reverse("admission_overview")).status_code == 200, user.username
