"""The automatic check of the committee's dossier review page (its green or yellow banner) and the
controls a read-only user is shown there.

Branch A (Alice) sits under the grassroots committee C (Carol resolves at S9) under G (Gina
decides at S10); the village branch V sits directly under the commune W, which decides. The
timeline of admission.devdata.demo starts Mon 06/01/2025: branch vote 05/08, grassroots vote
20/08/2025; the pages read the real clock, frozen on Fri 22/08/2025 unless a test moves it.
"""

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from admission import selectors, services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate, DossierItem, DossierReturn
from members.models import MemberStatus, User
from tests.factories import MemberFactory, PersonFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.date(2025, 1, 6)
NAME = "Trần Thị Kiểm Tra"
GREEN = "Không phát hiện vấn đề tự động nào về giấy tờ và thời hạn."


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2025, 8, 22, 10, 0, tzinfo=TZ), tick=False):
        yield


def _walk(organisation, user, introducers, target: str) -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=organisation, full_name=NAME)
    candidate = services.candidate_create(acting_user=user, person=person, now=at(START))
    return walk_to(candidate, target, user=user, introducers=introducers, start=START)


@pytest.fixture
def s9(tree, alice, introducers) -> Candidate:  # type: ignore[no-untyped-def]
    return _walk(tree.branch_a, alice, introducers, "S9")


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _banner(html: str) -> str:
    start = html.index('id="review-flags"')
    return html[start : html.index("</div>", start)]


def test_an_overdue_dossier_is_flagged_with_its_deadline_and_the_rule(carol, s9) -> None:  # type: ignore[no-untyped-def]
    due = s9.next_due_on
    assert due is not None
    with time_machine.travel(dt.datetime(2025, 12, 1, 10, 0, tzinfo=TZ), tick=False):
        html = _client(carol).get(reverse("dossier_review", args=[s9.pk])).content.decode()

    banner = _banner(html)
    assert GREEN not in html
    assert 'class="alert alert-warning" id="review-flags"' in html
    assert "Hạn ra quyết định kết nạp" in banner  # the deadline, by name
    assert due.strftime("%d/%m/%Y") in banner
    assert "đã quá 37 ngày làm việc" in banner  # as the header counts them
    assert "(QĐ294 4.3.1)" in banner  # the rule point the deadline comes from


def test_a_dossier_within_its_deadline_keeps_the_green_banner(carol, s9) -> None:  # type: ignore[no-untyped-def]
    html = _client(carol).get(reverse("dossier_review", args=[s9.pk])).content.decode()

    assert GREEN in html


def test_a_missing_grassroots_resolution_is_flagged_at_the_deciding_level_only_where_the_tree_has_one(
    tree, alice, gina, introducers
) -> None:  # type: ignore[no-untyped-def]
    # At S10 with the grassroots committee's resolution neither recorded in the app nor held as a
    # paper (as after an import or a hand edit): the deciding committee must see it missing.
    s10 = _walk(tree.branch_a, alice, introducers, "S10")
    Candidate.objects.filter(pk=s10.pk).update(grassroots_resolution_date=None)
    DossierItem.objects.filter(candidate=s10, doc_type="A9").delete()

    html = _client(gina).get(reverse("dossier_review", args=[s10.pk])).content.decode()

    assert GREEN not in html
    row = html[html.index('id="doc-A9"') : html.index("</tr>", html.index('id="doc-A9"'))]
    assert "⚠" in row
    assert "A9" in _banner(html)

    # A village branch directly under the commune that decides has no grassroots resolution to hold.
    village_members = [
        MemberFactory(person=PersonFactory(organisation=tree.village, full_name=name), status=MemberStatus.OFFICIAL)
        for name in ("Lê Văn Làng", "Phạm Thị Xóm")
    ]
    village = _walk(tree.village, None, village_members, "S10")
    review = selectors.dossier_review(candidate=village, today=dt.date(2025, 8, 22))
    assert "A9" not in [d.code for d in review["documents"]]
    assert not any("A9" in tuple(f.params.get("documents", ())) for f in review["flags"])


def test_the_auditor_sees_the_review_page_without_any_write_control(eve, s9) -> None:  # type: ignore[no-untyped-def]
    client = _client(eve)

    page = client.get(reverse("dossier_review", args=[s9.pk]))
    post = client.post(
        reverse("dossier_review", args=[s9.pk]), {"note": "Trả lại", "return_A4": "on", "reason_A4": "x"}
    )
    generate = client.post(
        reverse("document_generate", args=[s9.pk]), {"kind": "admission_resolution", "format": "pdf"}
    )

    assert page.status_code == 200
    html = page.content.decode()
    assert NAME in html
    assert 'id="issue-link"' not in html
    assert reverse("document_issue", args=[s9.pk]) not in html
    assert reverse("document_generate", args=[s9.pk]) not in html
    assert 'value="docx"' not in html and 'value="pdf"' not in html
    assert 'id="return-form"' not in html
    assert 'name="csrfmiddlewaretoken"' not in html.split('id="generated-documents"')[0].split("</nav>")[-1]
    assert post.status_code == 403
    assert generate.status_code in {403, 404}
    assert Candidate.objects.get(pk=s9.pk).stage == "S9"
    assert not DossierReturn.objects.exists()


@pytest.mark.parametrize("persona", ["bob", "oscar"])
def test_outsiders_still_cannot_read_or_return_the_dossier(request, s9, persona) -> None:  # type: ignore[no-untyped-def]
    client = _client(request.getfixturevalue(persona))

    page = client.get(reverse("dossier_review", args=[s9.pk]))
    post = client.post(reverse("dossier_review", args=[s9.pk]), {"note": "x", "return_A4": "on", "reason_A4": "y"})

    assert page.status_code in {403, 404}
    assert post.status_code in {403, 404}
    assert NAME not in page.content.decode()
    assert not DossierReturn.objects.exists()
