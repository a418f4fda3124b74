"""Hostile input for every form of the app, through the test client as a user allowed to post it.

Hypothesis generates field values (text with NUL bytes, 10,000 characters, combining marks, RTL
and zero-width characters, emoji, "ß", decomposed (NFD) Vietnamese; numbers out of range;
malformed dates; random choices; random bytes as uploads) and each example asserts:
- no 500: the test client re-raises any exception of the view, so a crash fails the example;
- no stored garbage: no text column of the app's tables holds a NUL character, and the columns
  documented as normalised (people's names and texts, docs/decisions.md "Names") are NFC.

The examples of one test share its database transaction (function-scoped fixtures; a savepoint
per example is impossible because the services open durable transactions). What one example
writes stays for the next (a step that succeeds moves the candidate on, later posts to that step
get a 404): acceptable for "no 500" checks. Whether free text (notes, titles, descriptions) is
stored NFC is checked separately, deterministically, in test_free_text_is_stored_nfc.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import AgendaItem, Candidate, ConsentKind, DocumentType, MentorRole, TrialTask, VoteForm
from members.models import EducationLevel, Gender, Organisation, Person

pytestmark = pytest.mark.django_db
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
START = dt.date(2025, 1, 6)

# --- Strategies ------------------------------------------------------------------------------------

NFD_NAME = unicodedata.normalize("NFD", "Nguyễn Thị Ánh Tuyết")
HOSTILE = [
    "",
    " ",
    "\x00",
    "Trần\x00Văn",
    "x" * 10_000,
    "ễ" * 5_000,
    NFD_NAME,
    "e\u0301\u0302\u0323",  # stacked combining marks
    "\u202eاختبار\u202c",  # RTL override and Arabic
    "עברית",
    "👩‍👩‍👧 🇻🇳",
    "a\u200bb\u200c\u200d\ufeff",  # zero-width characters
    "ß",
    "Đặng ß ǅ ﬁ",
    "\t\n\r",
    "<script>alert(1)</script>",
    "'; DROP TABLE x; --",
    "%s %(x)s {0} {name}",
    "\ud7ff\ue000\uffff",
]
text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=60), st.text(alphabet=st.characters(), max_size=300))
DATE_STRINGS = ["31/02/2025", "99/99/9999", "", "0000-00-00", "00/00/0000", "29/02/2023", "01/01/0001",
                "31/12/9999", "2025-10-03", "03/10/2025", "3/10/25", "１２/１０/２０２５", "05/08/2025\x00"]  # fmt: skip
date = st.one_of(
    st.sampled_from(DATE_STRINGS),
    st.dates(min_value=dt.date(1, 1, 1)).map(lambda d: d.strftime("%d/%m/%Y")),
    st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2027, 12, 31)).map(lambda d: d.strftime("%d/%m/%Y")),
    text,
)
NUMBERS = ["-1", "0", "1", "999", "1000", str(10**12), str(-(10**12)), "1e3", "NaN", "٣", " 7 ", "", "7\x00", "0x10"]
number = st.one_of(st.sampled_from(NUMBERS), st.integers().map(str), text)
flag = st.sampled_from(["on", "", "off", "true", "0", "\x00"])


def choice(values: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(values), st.sampled_from(["", "zzz", "\x00", "-1"]), text)


def pk_of(values: list[int]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from([str(v) for v in values]), number)


def form(
    fields: dict[str, st.SearchStrategy[str]], valid: dict[str, str] | None = None
) -> st.SearchStrategy[dict[str, str]]:
    """A POST body: each field present or missing; hostile values over a `valid` body when given,
    so that some examples get past validation and reach the service with hostile text."""
    return st.fixed_dictionaries({}, optional=fields).map(lambda drawn: {**(valid or {}), **drawn})


# --- Stored garbage ---------------------------------------------------------------------------------

# Columns documented as normalised (NFC, single-spaced): members.models.Person.save().
NORMALISED = {
    "members.Person": {"full_name", "family_name", "middle_name", "given_name", "ethnicity", "religion", "hometown",
                       "residence", "occupation"},
}  # fmt: skip


def _text_fields(model: type[models.Model]) -> list[str]:
    return [
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField) and not f.choices
    ]


def stored_garbage() -> list[str]:
    """Every NUL stored anywhere in the app's tables, and every non-NFC normalised column."""
    found = []
    for model in [*apps.get_app_config("admission").get_models(), *apps.get_app_config("members").get_models()]:
        names = _text_fields(model)
        if not names:
            continue
        label = model._meta.label
        for row in model._default_manager.values("pk", *names):
            for name in names:
                value = row[name]
                if isinstance(value, str) and "\x00" in value:
                    found.append(f"NUL in {label}.{name} #{row['pk']}: {value[:80]!r}")
                if (
                    name in NORMALISED.get(label, ())
                    and isinstance(value, str)
                    and value != unicodedata.normalize("NFC", value)
                ):
                    found.append(f"not NFC: {label}.{name} #{row['pk']}: {value[:80]!r}")
    return found


def post_ok(client: Client, url: str, data: dict[str, Any]) -> int:
    response = client.post(url, data)
    assert response.status_code < 500, (url, data)
    garbage = stored_garbage()
    assert not garbage, (url, data, garbage)
    return response.status_code


def get_ok(client: Client, url: str, data: dict[str, Any]) -> int:
    response = client.get(url, data)
    assert response.status_code < 500, (url, data)
    return response.status_code


# --- The world the forms act on ------------------------------------------------------------------


def _person(organisation: Organisation, name: str, born: dt.date = dt.date(1996, 2, 12)) -> Person:
    return Person.objects.create(organisation=organisation, full_name=name, date_of_birth=born, gender=Gender.FEMALE)


def _candidate(tree, alice, introducers, stage: str, name: str, gina=None) -> Candidate:  # type: ignore[no-untyped-def]
    candidate = services.candidate_create(acting_user=alice, person=_person(tree.branch_a, name), now=at(START))
    return walk_to(candidate, stage, user=alice, introducers=introducers, start=START)


@pytest.fixture
def as_alice(alice) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def as_carol(carol) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(carol)
    return client


@pytest.fixture
def as_gina(gina) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(gina)
    return client


# --- Branch forms ---------------------------------------------------------------------------------


def test_candidate_create(tree, alice, as_alice) -> None:  # type: ignore[no-untyped-def]
    people = [_person(tree.branch_a, f"Phan Văn Mới {c}").pk for c in "ABC"]
    url = reverse("candidate_create", args=[tree.branch_a.pk])

    @FUZZ
    @given(data=form({"person": pk_of(people)}))
    def run(data: dict[str, str]) -> None:
        post_ok(as_alice, url, data)

    run()


def test_meeting_create(tree, alice, introducers, as_alice) -> None:  # type: ignore[no-untyped-def]
    outstanding = _candidate(tree, alice, introducers, "S0", "Hồ Văn Chờ")
    listed = _candidate(tree, alice, introducers, "S1", "Hồ Thị Danh")
    url = reverse("meeting_create", args=[tree.branch_a.pk])

    @FUZZ
    @given(
        data=form(
            {
                "held_on": date,
                "official_members": number,
                "present": number,
                "minutes": text,
                f"add_{outstanding.pk}": flag,
                f"remove_{listed.pk}": text,
            }
        )
    )
    def run(data: dict[str, str]) -> None:
        post_ok(as_alice, url, data)

    run()


VALID_STEP = {  # bodies that pass on the reference timeline of admission.devdata.demo (START 06/01/2025)
    "add_to_list": {"on_date": "10/01/2025"},
    "certificate": {"on_date": "20/03/2025", "certificate_number": "12/GCN"},
    "branch_vote": {"held_on": "05/08/2025", "form": VoteForm.values[0], "summoned": "9", "excluded": "0",
                    "yes": "7", "no": "2", "abstain": "0"},
    "removal_branch_vote": {"held_on": "20/11/2025", "form": VoteForm.values[0], "summoned": "9", "excluded": "0",
                            "yes": "7", "no": "2", "abstain": "0"},
    "remove": {"on_date": "20/11/2025", "note": "Vi phạm"},
    "reject": {"on_date": "20/09/2025", "note": "Chưa đủ tiêu chuẩn"},
    "withdraw": {"on_date": "20/09/2025", "note": "Xin rút"},
}  # fmt: skip
COMMITTEE_VOTE = {"vote_summoned": number, "vote_excluded": number, "vote_yes": number, "vote_no": number,
                  "vote_abstain": number, "vote_form": choice(list(VoteForm.values))}  # fmt: skip
STEP_CASES = [
    # (step key, stage the candidate is walked to, who posts, extra fields)
    ("add_to_list", "S0", "alice", {}),
    ("certificate", "S1", "alice", {"certificate_number": text}),
    ("introduction", "S5", "alice", {"introduction_mode": choice(["union", "members", "x"]), "union_resolution_date": date}),
    ("branch_vote", "S8", "alice", {"held_on": date, "form": choice(list(VoteForm.values)), "summoned": number,
                                    "excluded": number, "yes": number, "no": number, "abstain": number}),
    ("grassroots_vote", "S9", "carol", {"held_on": date, "form": choice(list(VoteForm.values)), "summoned": number,
                                        "excluded": number, "yes": number, "no": number, "abstain": number}),
    ("decision", "S10", "gina", {"decision_number": text, "decision_received_date": date, "vote_summoned": number,
                                 "vote_excluded": number, "vote_yes": number, "vote_no": number,
                                 "vote_abstain": number, "vote_form": choice(list(VoteForm.values))}),
    ("probation_review", "S13", "alice", {"new_member_class_date": date}),
    ("removal_branch_vote", "S13", "alice", {"held_on": date, "form": choice(list(VoteForm.values)),
                                             "summoned": number, "excluded": number, "yes": number, "no": number,
                                             "abstain": number}),
    ("remove", "S13", "gina", COMMITTEE_VOTE),
    ("reject", "S10", "gina", COMMITTEE_VOTE),
    ("withdraw", "S9", "alice", {}),
]  # fmt: skip


@pytest.mark.parametrize(("step_key", "stage", "who", "extra"), STEP_CASES, ids=[c[0] for c in STEP_CASES])
def test_candidate_step(tree, alice, carol, gina, introducers, step_key, stage, who, extra) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, stage, "Vương Thị Bước")
    client = Client()
    client.force_login({"alice": alice, "carol": carol, "gina": gina}[who])
    url = reverse("candidate_step", args=[candidate.pk, step_key])
    assert client.get(url).status_code == 200

    @FUZZ
    @given(data=form({"on_date": date, "basis": text, "note": text, **extra}, VALID_STEP.get(step_key)))
    def run(data: dict[str, str]) -> None:
        post_ok(client, url, data)

    run()


def test_candidate_small_forms(tree, alice, introducers, as_alice) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S5", "Tạ Thị Nhỏ")
    task = services.task_assign(
        acting_user=alice, candidate=candidate, description="Nhiệm vụ", due_on=dt.date(2025, 6, 1)
    )
    members = [m.pk for m in introducers]
    cases: list[tuple[str, st.SearchStrategy[dict[str, str]]]] = [
        (reverse("mentor_add", args=[candidate.pk]), form({"member": pk_of(members), "role": choice(list(MentorRole.values)),
                                                           "together_since": date, "assigned_on": date, "is_replacement": flag})),
        (reverse("document_add", args=[candidate.pk]), form({"doc_type": choice(list(DocumentType.values)),
                                                             "issued_on": date, "returned": flag, "note": text})),
        (reverse("verification_add", args=[candidate.pk]), form({"subject": text, "addressee": text, "abroad": flag,
                                                                 "sent_on": date, "received_on": date, "replied_on": date})),
        (reverse("task_add", args=[candidate.pk]), form({"description": text, "due_on": date})),
        (reverse("task_result", args=[candidate.pk, task.pk]), form({"result": text, "done_on": date})),
        (reverse("candidate_flags", args=[candidate.pk]), form({
            "act": choice(["facts", "political", "extension", "consent", "withdraw"]),
            "facts-area_exception": flag, "facts-readmission": flag,
            "political-political_issue_unresolved": flag, "political-note": text,
            "extension-deadline_extended": flag, "extension-note": text,
            "consent-kind": choice(list(ConsentKind.values)), "consent-granted_on": date,
            "consent-document_number": text, "consent-note": text,
            "withdraw-kind": choice(list(ConsentKind.values)), "withdraw-withdrawal_reason": text,
        })),
    ]  # fmt: skip

    @FUZZ
    @given(case=st.sampled_from(range(len(cases))), data=st.data())
    def run(case: int, data: st.DataObject) -> None:
        url, body = cases[case]
        post_ok(as_alice, url, data.draw(body))

    run()


PERSON_FIELDS = {
    "full_name": text,
    "date_of_birth": date,
    "gender": choice(list(Gender.values)),
    "cccd": st.one_of(text, number, st.sampled_from(["019195000001", "0191 9500 0001", "０１９１９５０００００１"])),
    "ethnicity": text,
    "religion": text,
    "phone": text,
    "email": st.one_of(text, st.emails().map(str)),
    "hometown": text,
    "residence": text,
    "education_level": choice(list(EducationLevel.values)),
    "occupation": text,
    "youth_union_member": flag,
    "trade_union_member": flag,
}


def test_person_create_and_edit(tree, alice, as_alice) -> None:  # type: ignore[no-untyped-def]
    person = _person(tree.branch_a, "Lưu Văn Sửa")
    urls = [reverse("person_create", args=[tree.branch_a.pk]), reverse("person_edit", args=[person.pk])]

    @FUZZ
    @given(url=st.sampled_from(urls), data=form(PERSON_FIELDS))
    def run(url: str, data: dict[str, str]) -> None:
        post_ok(as_alice, url, data)

    run()


def test_preferences(alice, as_alice) -> None:  # type: ignore[no-untyped-def]
    url = reverse("preferences")

    @FUZZ
    @given(
        data=st.one_of(
            form({"email": st.one_of(text, st.emails().map(str)), "email_digest": flag, "digest_hour": number,
                  "preferred_language": choice(["vi", "en"])}),
            form({"calendar": choice(["on", "off"])}),
        )
    )  # fmt: skip
    def run(data: dict[str, str]) -> None:
        post_ok(as_alice, url, data)

    run()


# --- Committee forms ------------------------------------------------------------------------------


def test_committee_forms(tree, alice, carol, introducers, as_carol) -> None:  # type: ignore[no-untyped-def]
    waiting = [_candidate(tree, alice, introducers, "S9", f"Quách Văn Xét {c}") for c in "AB"]
    meeting = services.committee_meeting_create(
        acting_user=carol, committee=tree.committee, held_on=dt.date(2025, 8, 25), title="Họp", candidates=waiting[:1]
    )
    item = AgendaItem.objects.get(meeting=meeting)
    codes = list(DocumentType.values)
    review = reverse("dossier_review", args=[waiting[1].pk])
    assert as_carol.get(review).status_code == 200
    cases: list[tuple[str, st.SearchStrategy[dict[str, str]]]] = [
        (review, form({"note": text, **{f"return_{c}": flag for c in codes[:4]}, **{f"reason_{c}": text for c in codes[:4]}})),
        (reverse("committee_meetings", args=[tree.committee.pk]), form({"held_on": date, "title": text,
                                                                       "candidates": pk_of([c.pk for c in waiting])})),
        (reverse("committee_meeting", args=[meeting.pk]), form({f"outcome_{item.pk}": choice(list(AgendaItem.Outcome.values)),
                                                                f"note_{item.pk}": text})),
    ]  # fmt: skip

    @FUZZ
    @given(case=st.sampled_from(range(len(cases))), data=st.data())
    def run(case: int, data: st.DataObject) -> None:
        url, body = cases[case]
        post_ok(as_carol, url, data.draw(body))

    run()


# --- Plans, statistics, uploads ---------------------------------------------------------------------


def test_plan_list(tree, carol, as_carol) -> None:  # type: ignore[no-untyped-def]
    url = reverse("plan_list", args=[tree.committee.pk])
    organisations = [str(o.pk) for o in (tree.committee, tree.branch_a, tree.branch_b)]
    row = {"organisation": st.one_of(st.sampled_from(organisations), number), "admit": number,
           "awareness_class": number, "new_member_class": number, "note": text}  # fmt: skip

    @FUZZ
    @given(
        year=st.one_of(st.sampled_from(["2026", "1999", "2101", "", "20 26"]), number),
        rows=st.lists(form(row), max_size=3),
        total=st.one_of(st.none(), number),
    )
    def run(year: str, rows: list[dict[str, str]], total: str | None) -> None:
        body = {"plan-TOTAL_FORMS": str(len(rows)) if total is None else total, "plan-INITIAL_FORMS": "0", "year": year}
        for index, values in enumerate(rows):
            body.update({f"plan-{index}-{key}": value for key, value in values.items()})
        get_ok(as_carol, url, {"year": year})
        post_ok(as_carol, url, body)

    run()


def test_statistics_get_params(tree, carol, as_carol) -> None:  # type: ignore[no-untyped-def]
    urls = [
        reverse("statistics_organisation", args=[tree.committee.pk]),
        reverse("statistics_people", args=[tree.committee.pk]),
    ]

    @FUZZ
    @given(
        url=st.sampled_from(urls),
        data=form(
            {
                "start": date,
                "end": date,
                "term_start": date,
                "admitted_by": choice(["ceremony", "decision"]),
                "baseline": choice(["start", "term_start", "end"]),
                "figure": choice(["admitted", "recognised", "removed", "funnel", "deadline", "stage"]),
                "key": text,
                "page": number,
            }
        ),
    )
    def run(url: str, data: dict[str, str]) -> None:
        get_ok(as_carol, url, data)

    run()


def _upload(name: str, content: bytes, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or "x", content, content_type=content_type)


XLSX_LIKE = [
    b"",
    b"PK\x03\x04",
    b"PK\x03\x04" + b"\x00" * 100,
    b"%PDF-1.4\n%%EOF",
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff\xe0",
]
file_bytes = st.one_of(st.sampled_from(XLSX_LIKE), st.binary(max_size=2048))
file_name = st.one_of(st.sampled_from(["a.xlsx", "a.pdf", "ảnh.png", NFD_NAME + ".pdf", "a\x00.pdf", "../../etc/passwd", "x" * 300 + ".pdf"]), text)  # fmt: skip


def test_import_upload(tree, alice, as_alice) -> None:  # type: ignore[no-untyped-def]
    url = reverse("import_page", args=[tree.branch_a.pk])

    @FUZZ
    @given(name=file_name, content=file_bytes)
    def run(name: str, content: bytes) -> None:
        post_ok(as_alice, url, {"file": _upload(name, content, "application/vnd.openxmlformats-officedocument")})

    run()


def test_scan_upload(tree, alice, introducers, as_alice) -> None:  # type: ignore[no-untyped-def]
    """`next` of the POST is drawn from paths and URLs; any other word is tested below."""
    candidate = _candidate(tree, alice, introducers, "S4", "Mạc Thị Chụp")
    url = reverse("scan_upload", args=[candidate.pk])
    next_urls = st.sampled_from(["", "//evil.example/", "https://evil.example/", "/admission/", "/x y/ễ", "/\x00"])

    @FUZZ
    @given(
        name=file_name,
        content=file_bytes,
        doc_type=choice(list(DocumentType.values)),
        next_get=text,
        next_url=next_urls | text,
    )
    def run(name: str, content: bytes, doc_type: str, next_get: str, next_url: str) -> None:
        get_ok(as_alice, url, {"doc": doc_type, "next": next_get})
        post_ok(
            as_alice, url, {"file": _upload(name, content, "application/pdf"), "doc_type": doc_type, "next": next_url}
        )

    run()


def test_scan_upload_with_a_next_that_is_not_a_path_redirects(tree, alice, introducers, as_alice) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S4", "Mạc Thị Chụp")
    response = as_alice.post(
        reverse("scan_upload", args=[candidate.pk]),
        {"file": _upload("a.pdf", b"%PDF-1.4\n%%EOF", "application/pdf"), "doc_type": "A4", "next": "abc"},
    )
    assert response.status_code == 302


# --- Free text: stored NFC? -----------------------------------------------------------------------

NFD_NOTE = unicodedata.normalize("NFD", "Đã xét kỹ hồ sơ của Nguyễn Thị Ánh")
assert unicodedata.normalize("NFC", NFD_NOTE) != NFD_NOTE


def _nfc_case_step_note(tree, alice, introducers, client) -> Callable[[], str]:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S1", "Lã Thị Ghi")
    client.post(reverse("candidate_step", args=[candidate.pk, "drop"]), {"on_date": "01/02/2025", "note": NFD_NOTE})
    return lambda: candidate.transitions.get(to_stage="S0").note  # type: ignore[attr-defined,no-any-return]


def _nfc_case_task(tree, alice, introducers, client) -> Callable[[], str]:  # type: ignore[no-untyped-def]
    candidate = _candidate(tree, alice, introducers, "S1", "Lã Thị Việc")
    client.post(reverse("task_add", args=[candidate.pk]), {"description": NFD_NOTE, "due_on": "01/06/2025"})
    return lambda: TrialTask.objects.get(candidate=candidate).description


def _nfc_case_person(tree, alice, introducers, client) -> Callable[[], str]:  # type: ignore[no-untyped-def]
    client.post(
        reverse("person_create", args=[tree.branch_a.pk]),
        {"full_name": NFD_NAME, "date_of_birth": "12/02/1996", "gender": "F", "ethnicity": "Kinh",
         "education_level": EducationLevel.UPPER_SECONDARY, "hometown": NFD_NOTE},
    )  # fmt: skip
    return lambda: " | ".join(Person.objects.order_by("-pk").values_list("full_name", "hometown")[0])


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(_nfc_case_person, id="person"),
        pytest.param(
            _nfc_case_step_note,
            id="stage_transition_note",
        ),
        pytest.param(
            _nfc_case_task,
            id="task_description",
        ),
    ],
)
def test_free_text_is_stored_nfc(tree, alice, introducers, as_alice, case) -> None:  # type: ignore[no-untyped-def]
    stored = case(tree, alice, introducers, as_alice)()
    assert stored == unicodedata.normalize("NFC", stored), ascii(stored)
