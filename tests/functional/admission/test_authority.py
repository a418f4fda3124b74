"""Every act belongs to the body that owns it, for the acts that are not steps
(docs/decisions.md, "Authority"): through the services, the approvals page and the API.

- the provincial standing committee's consents (E3, E6, E10): Paula (the province's staff);
- the decision-deadline extension (QĐ294 4.3.1): Gina (the deciding committee G);
- concluding the political issue (E7): Carol (grassroots committee C) or a committee above it;
  raising it: the branch;
- the branch's facts (area exception, readmission): Alice;
- the annual plan of an organisation: the body above it (Carol sets branch A's);
- generating documents: edit rights, rate-limited.
"""

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import AnnualPlan, Candidate, ConsentKind, GeneratedDocument, ProvincialConsent
from admission.reporting.plans import annual_plan_set
from members import api_tokens
from members.models import PartyMember, User
from tests.conftest import Tree
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
START = dt.date(2025, 1, 6)
NOW = dt.datetime(2025, 9, 1, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2025, 9, 1)
API = "/api/v1"
PERSONAS = ("alice", "bob", "carol", "gina", "paula", "eve")


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def people(alice: User, bob: User, carol: User, gina: User, paula: User, eve: User) -> dict[str, User]:
    return {"alice": alice, "bob": bob, "carol": carol, "gina": gina, "paula": paula, "eve": eve}


@pytest.fixture
def candidate(tree: Tree, alice: User) -> Candidate:
    """Branch A's candidate (S0), followed by Alice."""
    person = PersonFactory(organisation=tree.branch_a, full_name="Lò Văn Sáu Mươi")
    return services.candidate_create(acting_user=alice, person=person, now=at(START))


def _fresh(candidate: Candidate) -> Candidate:
    return Candidate.objects.select_related("organisation", "person").get(pk=candidate.pk)


def _refused(action: Any) -> str:
    """The refusal of `action`: a reason code (StepRefused) or "403" (PermissionDenied)."""
    try:
        action()
    except services.StepRefused as refused:
        return ",".join(r.code for r in refused.reasons)
    except PermissionDenied:
        return "403"
    raise AssertionError("not refused")


def _client(user: User) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _api(user: User) -> Client:
    return Client(
        headers={"Authorization": f"Token {api_tokens.token_rotate(acting_user=user).key}"},
        raise_request_exception=False,
    )


def _post_json(client: Client, url: str, data: object, method: str = "post") -> Any:
    send = client.patch if method == "patch" else client.post
    return send(url, data=json.dumps(data), content_type="application/json")


def _codes(response: Any) -> list[str]:
    return [error["code"] for error in response.json()["errors"]]


def _page(candidate: Candidate) -> str:
    return reverse("candidate_flags", args=[candidate.pk])


# --- Consents of the provincial standing committee ----------------------------------------------


def _consent(user: User | None, candidate: Candidate, **kwargs: Any) -> ProvincialConsent:
    values: dict[str, Any] = {"kind": ConsentKind.OVER_60, "granted_on": TODAY, "document_number": "125-CV/TU"}
    values.update(kwargs)
    return services.consent_record(acting_user=user, candidate=_fresh(candidate), **values)


def test_only_the_province_records_a_consent_with_its_date_and_number(
    people: dict[str, User], candidate: Candidate
) -> None:
    refusals = {name: _refused(lambda u=people[name]: _consent(u, candidate)) for name in PERSONAS if name != "paula"}
    assert refusals == {
        "alice": "consent_not_provincial",
        "bob": "403",
        "carol": "consent_not_provincial",
        "gina": "consent_not_provincial",
        "eve": "403",
    }
    assert not ProvincialConsent.objects.exists() and not _fresh(candidate).over_60_approved

    consent = _consent(people["paula"], candidate, note="Sức khỏe tốt, uy tín")

    assert (consent.granted_on, consent.document_number, consent.recorded_by) == (
        TODAY,
        "125-CV/TU",
        people["paula"],
    )
    assert _fresh(candidate).over_60_approved
    history = _fresh(candidate).history.first()  # type: ignore[attr-defined]
    assert history.history_user == people["paula"] and "125-CV/TU" in history.history_change_reason


def test_a_consent_needs_a_number_a_past_date_and_none_in_force(paula: User, candidate: Candidate) -> None:
    assert _refused(lambda: _consent(paula, candidate, document_number=" ", granted_on=TODAY + dt.timedelta(1))) == (
        "date_in_future,consent_document_number_required"
    )
    _consent(paula, candidate, kind=ConsentKind.READMISSION)
    assert _refused(lambda: _consent(paula, candidate, kind=ConsentKind.READMISSION)) == "consent_in_force"
    assert ProvincialConsent.objects.count() == 1
    assert _fresh(candidate).readmission_approved and not _fresh(candidate).over_60_approved


def test_a_withdrawn_consent_keeps_its_history_and_clears_the_flag(
    people: dict[str, User], candidate: Candidate
) -> None:
    first = _consent(people["paula"], candidate, kind=ConsentKind.LITERACY, document_number="7-CV/TU")

    def withdraw(user: User, why: str = "Cấp sai đối tượng") -> Any:
        return services.consent_withdraw(
            acting_user=user, candidate=_fresh(candidate), kind=ConsentKind.LITERACY, withdrawal_reason=why
        )

    assert _refused(lambda: withdraw(people["alice"])) == "consent_not_provincial"
    assert _refused(lambda: withdraw(people["paula"], "  ")) == "consent_withdrawal_reason_required"
    withdrawn = withdraw(people["paula"])
    assert _refused(lambda: withdraw(people["paula"])) == "consent_not_in_force"
    second = _consent(people["paula"], candidate, kind=ConsentKind.LITERACY, document_number="9-CV/TU")

    assert withdrawn.pk == first.pk
    assert (withdrawn.withdrawn_by, withdrawn.withdrawal_reason) == (people["paula"], "Cấp sai đối tượng")
    rows = list(ProvincialConsent.objects.order_by("pk").values_list("document_number", "withdrawn_at"))
    assert [(number, at is not None) for number, at in rows] == [("7-CV/TU", True), ("9-CV/TU", False)]
    assert second.withdrawn_at is None and _fresh(candidate).literacy_exception_approved
    flags = list(
        _fresh(candidate).history.order_by("history_date").values_list("literacy_exception_approved", flat=True)
    )  # type: ignore[attr-defined]
    assert flags[-3:] == [True, False, True]


def test_a_consent_flag_is_never_ticked_directly(people: dict[str, User], candidate: Candidate) -> None:
    def tick(user: User) -> Any:
        return services.candidate_update_flags(acting_user=user, candidate=_fresh(candidate), over_60_approved=True)

    assert _refused(lambda: tick(people["alice"])) == "consent_not_provincial"
    assert _refused(lambda: tick(people["paula"])) == "consent_needs_document"
    assert not _fresh(candidate).over_60_approved


def test_the_page_offers_the_consent_form_to_the_province_only(people: dict[str, User], candidate: Candidate) -> None:
    for name in ("alice", "carol", "gina"):
        html = _client(people[name]).get(_page(candidate)).content.decode()
        assert 'id="form-consent"' not in html, name
        assert "Chỉ xem: chỉ cán bộ cấp ủy tỉnh" in html, name
    for name in ("bob", "eve"):
        assert _client(people[name]).get(_page(candidate)).status_code in {403, 404}, name
    html = _client(people["paula"]).get(_page(candidate)).content.decode()
    assert 'id="form-consent"' in html and "consent-document_number" in html and "consent-granted_on" in html


def test_the_page_refuses_a_consent_posted_by_the_branch_and_keeps_what_was_typed(
    people: dict[str, User], candidate: Candidate
) -> None:
    data = {
        "act": "consent",
        "consent-kind": "over_60",
        "consent-granted_on": "2025-08-20",
        "consent-document_number": "88-CV/TU",
    }
    for name in ("alice", "carol", "gina"):
        response = _client(people[name]).post(_page(candidate), data)
        html = response.content.decode()
        assert response.status_code == 200, name
        assert "Chỉ cán bộ cấp ủy của Đảng bộ tỉnh Thử nghiệm" in html and "QĐ294 1.1.2, 3.5.1" in html, name
        assert 'value="88-CV/TU"' in html, name
    for name in ("bob", "eve"):
        assert _client(people[name]).post(_page(candidate), data).status_code in {403, 404}, name
    assert not ProvincialConsent.objects.exists()

    missing = _client(people["paula"]).post(_page(candidate), {**data, "consent-document_number": ""})
    assert "Cần ghi số văn bản đồng ý" in missing.content.decode()
    saved = _client(people["paula"]).post(_page(candidate), data)
    assert saved.status_code == 302
    consent = ProvincialConsent.objects.get()
    assert (consent.document_number, consent.granted_on) == ("88-CV/TU", dt.date(2025, 8, 20))
    detail = _client(people["alice"]).get(reverse("candidate_detail", args=[candidate.pk])).content.decode()
    assert "88-CV/TU" in detail and "20/08/2025" in detail

    withdrawn = _client(people["paula"]).post(
        _page(candidate), {"act": "withdraw", "withdraw-kind": "over_60", "withdraw-withdrawal_reason": "Nhầm hồ sơ"}
    )
    assert withdrawn.status_code == 302 and not _fresh(candidate).over_60_approved
    html = _client(people["alice"]).get(_page(candidate)).content.decode()
    assert "88-CV/TU" in html and "đã thu hồi" in html and "Nhầm hồ sơ" in html


def test_the_api_records_and_withdraws_consents_for_the_province_only(
    people: dict[str, User], candidate: Candidate
) -> None:
    url = f"{API}/candidates/{candidate.pk}/consents/"
    body = {"kind": "readmission", "granted_on": "2025-08-25", "document_number": "3-CV/TU"}
    for name in ("alice", "carol", "gina"):
        response = _post_json(_api(people[name]), url, body)
        assert response.status_code == 400 and _codes(response) == ["consent_not_provincial"], name
    for name in ("bob", "eve"):
        assert _post_json(_api(people[name]), url, body).status_code in {403, 404}, name
    ticked = _post_json(
        _api(people["alice"]), f"{API}/candidates/{candidate.pk}/", {"readmission_approved": True}, "patch"
    )
    assert ticked.status_code == 400 and _codes(ticked) == ["consent_not_provincial"]

    created = _post_json(_api(people["paula"]), url, body)
    assert created.status_code == 201, created.content
    assert created.json()["document_number"] == "3-CV/TU" and created.json()["granted_on"] == "2025-08-25"
    assert _fresh(candidate).readmission_approved
    withdraw_url = f"{API}/candidates/{candidate.pk}/consents/withdraw/"
    refused = _post_json(_api(people["alice"]), withdraw_url, {"kind": "readmission", "withdrawal_reason": "x"})
    assert refused.status_code == 400 and _codes(refused) == ["consent_not_provincial"]
    withdrawn = _post_json(_api(people["paula"]), withdraw_url, {"kind": "readmission", "withdrawal_reason": "Sai"})
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_at"] is not None
    assert not _fresh(candidate).readmission_approved


# --- Deadline extension -----------------------------------------------------------------------


@pytest.fixture
def a10(tree: Tree, alice: User, introducers: list[PartyMember]) -> Candidate:
    """Branch A's candidate waiting for G's admission decision (S10)."""
    person = PersonFactory(organisation=tree.branch_a, full_name="Hoàng Văn Quyết")
    created = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(created, "S10", user=None, introducers=introducers, start=START)


def _extend(user: User, candidate: Candidate, value: bool = True, note: str = "Chờ kết quả thẩm tra bổ sung") -> Any:
    return services.candidate_update_flags(
        acting_user=user, candidate=_fresh(candidate), deadline_extended=value, note=note
    )


def test_only_the_deciding_committee_extends_its_deadline(people: dict[str, User], a10: Candidate) -> None:
    before = _fresh(a10).next_due_on
    refusals = {name: _refused(lambda u=people[name]: _extend(u, a10)) for name in PERSONAS if name != "gina"}
    assert refusals == {
        "alice": "extension_not_deciding_committee",
        "bob": "403",
        "carol": "extension_not_deciding_committee",
        "paula": "extension_not_deciding_committee",
        "eve": "403",
    }
    assert _refused(lambda: _extend(people["gina"], a10, note="")) == "extension_reason_required"
    assert not _fresh(a10).deadline_extended

    _extend(people["gina"], a10)

    extended = _fresh(a10)
    assert extended.deadline_extended and before is not None and extended.next_due_on > before
    # The branch cannot take the extension back either (nor clear an overdue badge by it).
    assert _refused(lambda: _extend(people["alice"], a10, value=False)) == "extension_not_deciding_committee"
    assert extended.history.first().history_change_reason == "Chờ kết quả thẩm tra bổ sung"  # type: ignore[attr-defined]


def test_the_page_and_api_extend_for_the_deciding_committee_only(people: dict[str, User], a10: Candidate) -> None:
    data = {"act": "extension", "extension-deadline_extended": "on", "extension-note": "Lý do đặc biệt"}
    assert 'id="form-extension"' not in _client(people["alice"]).get(_page(a10)).content.decode()
    assert 'id="form-extension"' in _client(people["gina"]).get(_page(a10)).content.decode()
    for name in ("alice", "carol", "paula"):
        html = _client(people[name]).post(_page(a10), data).content.decode()
        assert "cấp quyết định kết nạp" in html and "QĐ294 4.3.1" in html and "Lý do đặc biệt" in html, name
        response = _post_json(
            _api(people[name]), f"{API}/candidates/{a10.pk}/", {"deadline_extended": True, "note": "x"}, "patch"
        )
        assert response.status_code == 400 and _codes(response) == ["extension_not_deciding_committee"], name
    for name in ("bob", "eve"):
        assert _client(people[name]).post(_page(a10), data).status_code in {403, 404}, name
    assert not _fresh(a10).deadline_extended

    no_reason = _post_json(_api(people["gina"]), f"{API}/candidates/{a10.pk}/", {"deadline_extended": True}, "patch")
    assert no_reason.status_code == 400 and _codes(no_reason) == ["extension_reason_required"]
    assert _client(people["gina"]).post(_page(a10), data).status_code == 302
    assert _fresh(a10).deadline_extended


# --- Political issue ------------------------------------------------------------------------------


def _political(user: User, candidate: Candidate, value: bool, note: str = "") -> Any:
    return services.candidate_update_flags(
        acting_user=user, candidate=_fresh(candidate), political_issue_unresolved=value, note=note
    )


def test_the_branch_raises_the_political_issue_and_the_committee_concludes_it(
    people: dict[str, User], candidate: Candidate
) -> None:
    assert _refused(lambda: _political(people["bob"], candidate, True)) == "403"
    assert _refused(lambda: _political(people["eve"], candidate, True)) == "403"
    _political(people["alice"], candidate, True)
    assert _fresh(candidate).political_issue_unresolved

    conclusion = "KL 12-KL/ĐU ngày 20/8/2025"
    for name, code in (("alice", "political_issue_clear_not_committee"), ("bob", "403"), ("eve", "403")):
        assert _refused(lambda u=people[name]: _political(u, candidate, False, conclusion)) == code, name
    assert _refused(lambda: _political(people["carol"], candidate, False)) == "political_issue_conclusion_required"
    assert _fresh(candidate).political_issue_unresolved
    for name in ("carol", "gina", "paula"):  # the grassroots committee, and the committees above it
        _political(people[name], candidate, False, conclusion)
        assert not _fresh(candidate).political_issue_unresolved, name
        _political(people["alice"], candidate, True)


def test_the_page_shows_the_branch_the_political_issue_read_only_once_raised(
    people: dict[str, User], candidate: Candidate
) -> None:
    raise_it = {"act": "political", "political-political_issue_unresolved": "on"}
    assert _client(people["alice"]).post(_page(candidate), raise_it).status_code == 302
    html = _client(people["alice"]).get(_page(candidate)).content.decode()
    assert 'id="form-political"' not in html and "chỉ cán bộ đảng ủy cơ sở hoặc cấp ủy cấp trên" in html
    clear = {"act": "political", "political-note": "KL số 5"}
    refused = _client(people["alice"]).post(_page(candidate), clear).content.decode()
    assert "chi bộ chỉ nêu vấn đề" in refused and "KL số 5" in refused
    api_refused = _post_json(
        _api(people["alice"]), f"{API}/candidates/{candidate.pk}/", {"political_issue_unresolved": False}, "patch"
    )
    assert api_refused.status_code == 400 and _codes(api_refused) == ["political_issue_clear_not_committee"]
    assert _fresh(candidate).political_issue_unresolved
    assert 'id="form-political"' in _client(people["carol"]).get(_page(candidate)).content.decode()
    assert _client(people["carol"]).post(_page(candidate), clear).status_code == 302
    assert not _fresh(candidate).political_issue_unresolved


# --- The branch's facts ---------------------------------------------------------------------------


def test_the_branch_keeps_its_facts(people: dict[str, User], candidate: Candidate) -> None:
    data = {"act": "facts", "facts-area_exception": "on", "facts-readmission": "on"}
    for name in ("bob", "eve"):
        assert _client(people[name]).post(_page(candidate), data).status_code in {403, 404}, name
    assert _client(people["alice"]).post(_page(candidate), data).status_code == 302
    fresh = _fresh(candidate)
    assert fresh.area_exception and fresh.readmission and not fresh.readmission_approved


# --- Annual plans --------------------------------------------------------------------------------


def _plan(user: User, organisation: Any, admit: int = 3) -> Any:
    return annual_plan_set(
        acting_user=user, organisation=organisation, year=2026, admit=admit, awareness_class=6, new_member_class=3
    )


def test_the_body_above_sets_a_plan(people: dict[str, User], tree: Tree) -> None:
    assert _refused(lambda: _plan(people["alice"], tree.branch_a)) == "plan_set_by_body_above"
    assert _refused(lambda: _plan(people["carol"], tree.committee)) == "plan_set_by_body_above"
    assert _refused(lambda: _plan(people["paula"], tree.province)) == "plan_set_by_body_above"
    assert _refused(lambda: _plan(people["bob"], tree.branch_a)) == "403"
    assert _refused(lambda: _plan(people["eve"], tree.branch_a)) == "403"
    assert not AnnualPlan.objects.exists()

    assert _plan(people["carol"], tree.branch_a).updated_by == people["carol"]
    assert _plan(people["gina"], tree.committee).admit == 3
    assert _plan(people["paula"], tree.government).admit == 3


def test_the_plans_page_shows_the_own_level_read_only(people: dict[str, User], tree: Tree) -> None:
    url = reverse("plan_list", args=[tree.branch_a.pk]) + "?year=2026"
    alice_page = _client(people["alice"]).get(url).content.decode()
    assert 'id="plans-save"' not in alice_page and "do cấp ủy cấp trên giao" in alice_page
    row = {"year": "2026", "plan-TOTAL_FORMS": "1", "plan-INITIAL_FORMS": "1", "plan-0-organisation": tree.branch_a.pk}
    assert _client(people["alice"]).post(url, {**row, "plan-0-admit": "9"}).status_code == 403

    carol_page = _client(people["carol"]).get(url).content.decode()
    assert 'id="plans-save"' in carol_page
    assert _client(people["carol"]).post(url, {**row, "plan-0-admit": "4"}).status_code == 302
    assert AnnualPlan.objects.get(organisation=tree.branch_a, year=2026).admit == 4


# --- Generated documents --------------------------------------------------------------------------


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_readers_do_not_generate_documents(people: dict[str, User], candidate: Candidate, media: Path) -> None:
    url = reverse("document_generate", args=[candidate.pk])
    data = {"kind": "branch_resolution", "format": "docx"}
    assert _client(people["eve"]).post(url, data).status_code == 403
    detail = _client(people["eve"]).get(reverse("candidate_detail", args=[candidate.pk])).content.decode()
    assert f'action="{url}"' not in detail
    assert _client(people["bob"]).post(url, data).status_code in {403, 404}
    assert not GeneratedDocument.objects.exists()
    assert _client(people["alice"]).post(url, data).status_code == 302
    assert GeneratedDocument.objects.count() == 1


def test_document_generation_is_rate_limited_per_user(
    people: dict[str, User], candidate: Candidate, media: Path, settings: Any
) -> None:
    settings.DOCUMENT_GENERATION_LIMIT = 2
    url = reverse("document_generate", args=[candidate.pk])
    data = {"kind": "branch_resolution", "format": "docx"}
    alice = _client(people["alice"])
    answers = [alice.post(url, data) for _ in range(3)]

    assert [a.status_code for a in answers] == [302, 302, 302]
    assert "/generated/" in answers[0]["Location"] and answers[2]["Location"] == reverse(
        "candidate_detail", args=[candidate.pk]
    )
    texts = [str(m) for m in get_messages(answers[2].wsgi_request)]
    assert any("vượt giới hạn cho phép" in t and "thử lại sau" in t for t in texts), texts
    assert GeneratedDocument.objects.count() == 2
    assert _client(people["carol"]).post(url, data).status_code == 302  # another user's own counter
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        assert "/generated/" in alice.post(url, data)["Location"]
    assert GeneratedDocument.objects.count() == 4
