"""Reason codes: stable data, every code has a message in both languages that formats."""

import ast
import unicodedata
from datetime import date
from pathlib import Path

import pytest

from admission.domain.attendance import (
    AttendanceCounts,
    ballot_count_problem,
    ballots_problem,
    explanation,
    quorum_warnings,
)
from admission.domain.calendar import WorkingCalendar
from admission.domain.eligibility import (
    BranchConsiderationFacts,
    EducationLevel,
    IntroductionMode,
    MentorFacts,
    check_age,
    check_branch_consideration,
    check_ceremony_date,
    check_certificate,
    check_dossier_age,
    check_education,
    check_recognition_ready,
)
from admission.domain.reasons import (
    DATE_LABELS,
    REASON_CODES,
    CheckResult,
    Params,
    Reason,
    format_reason,
    reason,
)
from admission.domain.rules import QD294
from admission.domain.stages import Stage
from admission.domain.transfers import TransferFacts, check_transfer
from admission.domain.votes import ChainVote, Threshold, VotingBody, evaluate_vote, removal_chain_missing

DOMAIN = Path(__file__).resolve().parents[3] / "admission" / "domain"


def _codes_in_source() -> set[str]:
    """Every string literal passed as the code to reason(...) or Reason(...) in the domain
    package and in the admission services, selectors and reporting that build reasons of their own."""
    codes: set[str] = set()
    folders = [DOMAIN, DOMAIN.parent, DOMAIN.parent / "services", DOMAIN.parent / "reporting"]
    for path in [file for folder in folders for file in folder.glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            if node.func.id not in {"reason", "Reason"}:
                continue
            first = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "code"), None)
            if path.name == "reasons.py" and isinstance(first, ast.Name):
                continue  # reason() itself forwards its argument
            assert isinstance(first, ast.Constant), f"{path.name}:{node.lineno} code must be a literal"
            assert isinstance(first.value, str)
            codes.add(first.value)
    return codes


def _produced() -> list[Reason]:
    """Run the checks into every failure they can report, with realistic params."""
    rules = QD294
    results: list[CheckResult] = [
        check_age(date(2010, 1, 1), date(2026, 3, 1), rules, over_60_approved=False),
        check_age(date(1950, 1, 1), date(2026, 3, 1), rules, over_60_approved=False),
        check_education(EducationLevel.PRIMARY, area_exception=False, literacy_exception_approved=False),
        check_education(EducationLevel.LITERATE, area_exception=True, literacy_exception_approved=False),
        check_education(EducationLevel.NONE, area_exception=True, literacy_exception_approved=False),
        check_certificate(None, date(2026, 3, 1), rules),
        check_certificate(date(2020, 1, 1), date(2026, 3, 1), rules),
        check_certificate(date(2026, 4, 1), date(2026, 3, 1), rules),
        check_dossier_age(None, date(2026, 3, 1), rules),
        check_dossier_age(date(2024, 1, 1), date(2026, 3, 1), rules),
        check_ceremony_date(
            ceremony_date=date(2026, 3, 1), decision_date=date(2026, 3, 5), decision_received_date=date(2026, 3, 2)
        ),
        check_recognition_ready(probation_end=date(2026, 9, 1), on_date=date(2026, 3, 1)),
        check_branch_consideration(
            BranchConsiderationFacts(
                birth_date=date(2000, 1, 1),
                meeting_date=date(2026, 3, 1),
                certificate_issue_date=date(2025, 1, 1),
                dossier_start_date=date(2025, 6, 1),
                education=EducationLevel.UNIVERSITY,
                introduction_mode=IntroductionMode.YOUTH_UNION_PLUS_ONE,
                introducers=(
                    MentorFacts(is_official=False, same_grassroots_unit=False, together_since=None, name="Lê Văn A"),
                    MentorFacts(
                        is_official=True, same_grassroots_unit=True, together_since=date(2025, 6, 1), name="Trần Thị B"
                    ),
                ),
                youth_union_exists=False,
                is_youth_age=True,
                is_youth_union_member=False,
                union_resolution_date=None,
                documents_missing=("Đơn xin vào Đảng", "Lý lịch (2-KNĐ)"),
                readmission=True,
                political_issue_unresolved=True,
                left_party_on=date(2024, 6, 1),
                readmitted_before=True,
            ),
            rules,
        ),
        check_branch_consideration(
            BranchConsiderationFacts(
                birth_date=date(2000, 1, 1),
                meeting_date=date(2026, 3, 1),
                certificate_issue_date=date(2025, 1, 1),
                dossier_start_date=date(2025, 6, 1),
                education=EducationLevel.UNIVERSITY,
                introduction_mode=IntroductionMode.TWO_MEMBERS,
                introducers=(),
                youth_union_exists=True,
                is_youth_age=True,
                is_youth_union_member=True,
                union_resolution_date=None,
                verification_complete=True,
                comments_complete=True,
            ),
            rules,
        ),
    ]
    transfer = TransferFacts(
        stage=Stage.SX,
        stage_entered_on=date(2026, 3, 1),
        on_date=date(2026, 3, 9),
        today=date(2026, 3, 2),
        note="",
        from_branch=1,
        to_branch=2,
        to_name="Đảng bộ Sở",
        to_is_branch=False,
        same_province=True,
    )
    results += [
        check_transfer(transfer),
        check_transfer(
            TransferFacts(**{**transfer.__dict__, "on_date": date(2026, 2, 1), "to_is_branch": True, "to_branch": 1})
        ),
        check_transfer(TransferFacts(**{**transfer.__dict__, "same_province": False})),
    ]
    produced = [r for result in results for r in result.reasons]
    for yes, no, n, body, members in [
        (-1, 0, 3, None, None),
        (0, 0, 0, None, None),
        (3, 3, 5, None, None),
        (2, 0, 2, VotingBody.BRANCH, 2),
        (5, 4, 9, None, None),
    ]:
        outcome = evaluate_vote(
            yes=yes,
            no=no,
            abstain=0,
            denominator=n,
            threshold=Threshold.TWO_THIRDS,
            rule="ĐL 4.3",
            body=body,
            official_members=members,
        )
        produced.extend(outcome.reasons)
    # Codes of the recording services (admission/services.py), with the params they pass.
    produced.extend(
        [
            reason("note_required", "", step="S1→S0"),
            reason("date_in_future", "", day=date(2026, 12, 1)),
            reason("candidacy_open", "", name="Nguyễn Văn A"),
            reason("already_member", "", name="Nguyễn Văn A"),
            reason("ceremony_missing", ""),
            reason("mentor_already_assigned", "QĐ294 3.2", name="Lê Văn Giới"),
            reason("mentor_comment_empty", "HD06 4.3"),
            reason("mentor_comment_not_probationer", "HD06 4.3"),
            reason("mentor_comment_sign_date", "HD06 4.3"),
            reason("mentor_comment_before_ceremony", "HD06 4.3", day=date(2025, 10, 3)),
            reason("mentor_comment_kind", "HD06 4.3"),
            reason("level_not_due", "QĐ294 4.3", committee="Đảng bộ phường Thử"),
            reason("branch_turn", "ĐL 24.2; HD06 3.6", branch="Chi bộ A"),
            reason("return_reason_required", "QĐ294 4.3.1"),
            reason("return_document_reason_required", "QĐ294 4.3.1", documents=("A4", "A6")),
            reason("not_returned", "QĐ294 4.3.1"),
            reason("introducer_missing", "QĐ294 3.1-3.2"),
            reason("returned_documents_pending", "QĐ294 4.3.1", documents=("A4",)),
            reason("consent_not_provincial", "QĐ294 1.1.2", province="Đảng bộ tỉnh X"),
            reason("consent_needs_document", "QĐ294 1.1.2"),
            reason("consent_document_number_required", "QĐ294 1.1.2"),
            reason("consent_in_force", "QĐ294 1.1.2", number="12-CV/TU", day=date(2026, 3, 2)),
            reason("consent_not_in_force", "QĐ294 1.1.2", kind="Đồng ý kết nạp lại"),
            reason("consent_withdrawal_reason_required", "QĐ294 1.1.2"),
            reason("extension_not_deciding_committee", "QĐ294 4.3.1", committee="Đảng ủy phường X"),
            reason("extension_reason_required", "QĐ294 4.3.1"),
            reason("political_issue_clear_not_committee", "QĐ294 3.3", committee="Đảng ủy cơ sở X"),
            reason("political_issue_conclusion_required", "QĐ294 3.3"),
            reason("plan_set_by_body_above", "", organisation="Chi bộ A"),
            reason("step_not_in_tree", "HD06 4.6"),
            reason("recognition_appraisal_missing", "HD38 II.1.1c(6)"),
            reason("recognition_grassroots_vote_missing", "HD38 II.1.1c(7)"),
            reason("recognition_chain_recorded", "HD38 II.1.1c(6)"),
            reason("transfer_not_forwarded_dossier", "HD06 3.9b"),
            reason("transfer_already_forwarded", "HD06 3.9b", day=date(2025, 9, 12)),
            reason("transfer_act_before_move", "HD06 3.9b", day=date(2025, 8, 31), moved=date(2025, 9, 1)),
            reason("reconsideration_not_applicable", "HD06 3.9c"),
            reason("reconsideration_already_requested", "HD06 3.9c", day=date(2025, 9, 10)),
            reason("reconsideration_reason_required", "HD06 3.9c"),
            reason("vote_threshold_reached", "HD06 3.7a", threshold="> 1/2", yes=5, denominator=7),
            reason(
                "verification_open",
                "HD06 3.4",
                n=2,
                requests=(
                    Params(
                        {
                            "id": 1,
                            "subject": "Bố đẻ",
                            "addressee": "UBND xã A",
                            "sent_on": date(2025, 5, 6),
                            "due": date(2025, 6, 19),
                        }
                    ),
                    Params(
                        {
                            "id": 2,
                            "subject": "Mẹ đẻ",
                            "addressee": "Đảng ủy B",
                            "sent_on": date(2025, 5, 7),
                            "due": date(2025, 6, 20),
                        }
                    ),
                ),
            ),
            reason(
                "verification_already_open",
                "HD06 3.4",
                id=1,
                subject="Bố đẻ",
                addressee="UBND xã A",
                sent_on=date(2025, 5, 6),
            ),
            reason("verification_not_open", "HD06 3.4", subject="Bố đẻ", state="answered"),
            reason("verification_not_open", "HD06 3.4", subject="Bố đẻ", state="cancelled"),
            reason("verification_not_answered", "HD06 3.4", subject="Bố đẻ"),
            reason("verification_outcome_required", "HD06 3.4"),
            reason("verification_reply_number_required", "HD06 3.4"),
            reason("verification_findings_required", "HD06 3.4"),
            reason("verification_reason_required", "HD06 3.4"),
            reason("verification_body", "HD06 3.4", branch="Chi bộ A", committee="Đảng bộ Sở Thử nghiệm"),
            reason("committee_vote_not_recorded", "HD06 3.7"),
            reason("document_change_reason_required", "", document="A2"),
            reason("correction_not_a_step", ""),
            reason("correction_not_yours", "QĐ294 4.3", body="Chi bộ A"),
            reason("correction_reason_required", ""),
            reason("correction_before_previous_step", "", day=date(2025, 3, 1), previous=date(2025, 3, 20)),
            reason("correction_after_next_step", "", day=date(2025, 3, 1), next=date(2025, 2, 20)),
            reason("correction_nothing_changed", ""),
            reason("undo_not_a_step", ""),
            reason("undo_stage_changed", ""),
            reason("undo_changes_membership", "QĐ294 4.3", step="Lễ kết nạp"),
            reason("vote_later_steps", ""),
        ]  # fmt: skip
    )
    # Branch meetings: the attendance's own reasons, then those of the meeting services.
    produced.extend(quorum_warnings(AttendanceCounts(summoned=2, present=0, excused=2)))
    produced.extend(quorum_warnings(AttendanceCounts(summoned=12, present=5)))
    produced.append(explanation(AttendanceCounts(summoned=12, present=9, temporary_transfer=1, excused=2)))
    produced.append(explanation(AttendanceCounts(summoned=12, present=9)))
    produced.append(ballots_problem(yes=5, no=1, abstain=0, present=5))  # type: ignore[arg-type]
    produced.append(ballot_count_problem(yes=5, no=1, abstain=0, present=11))  # type: ignore[arg-type]
    produced.append(
        reason("meeting_before_dossier", "QĐ294 4.3", name="Lê Văn A", day=date(1990, 1, 1), arrived=date(2026, 3, 1))
    )
    produced.append(reason("meeting_not_held_yet", "QĐ294 4.3", day=date(2026, 12, 20)))
    produced.append(reason("task_due_before_candidacy", "HD38 I.1.1b", due_on=date(2001, 1, 1), began=date(2026, 3, 1)))
    produced.extend(
        [
            reason("meeting_other_branch", "QĐ294 9.3.2", day=date(2026, 3, 5), branch="Chi bộ A"),
            reason("meeting_not_branch_vote", "QĐ294 9.3.2"),
            reason("meeting_date_mismatch", "QĐ294 9.3.2", day=date(2026, 3, 6), meeting_day=date(2026, 3, 5)),
            reason("meeting_counts_differ", "QĐ294 9.3.2", meeting_day=date(2026, 3, 5), summoned=12, excluded=1),
            reason("vote_counts_missing", "QĐ294 9.3.2"),
            reason("attendance_roster_changed", "QĐ294 9.3.2", day=date(2026, 3, 5), names=("Lê Văn A", "#7")),
            reason("meeting_correction_reason_required", "ĐL 24.2", next_day=date(2026, 4, 5)),
            reason("meeting_edit_not_branch", "ĐL 24.2", branch="Chi bộ A"),
            reason("attendance_fix_breaks_vote", "QĐ294 9.3.2", present=5, total=6, day=date(2026, 3, 5), name="Lê A"),
        ]
    )
    produced.extend(removal_chain_missing([], grassroots_resolves=False))
    produced.extend(removal_chain_missing([ChainVote("branch", True)], grassroots_resolves=True))
    produced.append(
        reason(
            "deadline_overdue",
            "QĐ294 4.3.1",
            deadline_vi="Hạn ra quyết định kết nạp",
            deadline_en="Admission decision deadline",
            due_on=date(2026, 11, 11),
            days=17,
        )
    )
    return produced


def test_it_has_a_message_for_every_code_used_in_the_domain_and_no_dead_codes() -> None:
    assert _codes_in_source() == set(REASON_CODES)


def test_it_formats_every_template_with_the_params_its_code_is_produced_with() -> None:
    produced = _produced()
    assert {r.code for r in produced} == set(REASON_CODES)
    for item in produced:
        for lang in ("vi", "en"):
            text = format_reason(item, lang)
            assert "{" not in text, (item.code, lang, text)


@pytest.mark.parametrize("code", sorted(REASON_CODES))
def test_it_writes_every_message_in_nfc_vietnamese_and_english(code: str) -> None:
    vi, en = REASON_CODES[code]
    assert unicodedata.normalize("NFC", vi) == vi
    assert vi != en
    assert en.isascii() or "≥" in en or ">" in en
    assert code == code.lower() and " " not in code


def test_it_writes_date_labels_in_nfc() -> None:
    for vi, en in DATE_LABELS.values():
        assert unicodedata.normalize("NFC", vi) == vi
        assert en.isascii()


def test_it_formats_dates_as_dd_mm_yyyy_and_lists_with_commas() -> None:
    expired = reason("certificate_expired", "HD06 5.4b", valid_until=date(2026, 3, 9))
    assert format_reason(expired) == "Giấy chứng nhận lớp bồi dưỡng nhận thức về Đảng đã hết hạn ngày 09/03/2026"
    assert format_reason(expired, "en") == "The awareness-class certificate expired on 09/03/2026"
    missing = reason("documents_missing", "HD38 II.1.1a", documents=("X", "Y"))
    assert format_reason(missing, "en") == "Missing documents: X; Y"


def test_it_names_missing_documents_in_checklist_order() -> None:
    missing = reason("documents_missing", "HD38 II.1.1a", documents=("A6", "A5", "A10", "A1", "R1"))
    assert format_reason(missing) == (
        "Hồ sơ còn thiếu: A1 Giấy chứng nhận lớp bồi dưỡng nhận thức về Đảng; "
        "A5 Nghị quyết giới thiệu của Đoàn/Công đoàn; "
        "A6 Tổng hợp ý kiến nhận xét của đoàn thể và chi ủy nơi cư trú; A10 Quyết định kết nạp đảng viên; "
        "R1 Giấy chứng nhận lớp bồi dưỡng đảng viên mới"
    )
    assert format_reason(missing, "en").startswith("Missing documents: A1 Party-awareness class certificate; A5 ")


def test_it_names_each_open_verification_request_with_its_reply_due_date() -> None:
    item = reason(
        "verification_open",
        "HD06 3.4",
        n=1,
        requests=(
            Params({"id": 7, "subject": "Bố đẻ", "addressee": "UBND xã A", "sent_on": date(2025, 5, 6),
                    "due": date(2025, 6, 19)}),
        ),
    )  # fmt: skip
    assert format_reason(item, "vi").startswith(
        "Còn 1 yêu cầu thẩm tra chưa có trả lời: Bố đẻ – UBND xã A (gửi ngày 06/05/2025, hạn trả lời 19/06/2025)"
    )
    assert "Bố đẻ – UBND xã A (sent on 06/05/2025, reply due 19/06/2025)" in format_reason(item, "en")
    assert hash(item)  # still a frozen value
    answered = reason("verification_not_open", "", subject="Mẹ", state="answered")
    assert format_reason(answered, "en").endswith("(already answered)")
    assert format_reason(reason("verification_not_open", "", subject="Mẹ", state="x"), "vi").endswith("(x)")


def test_it_translates_known_date_labels_and_keeps_free_text() -> None:
    known = reason(
        "date_order",
        "QĐ294 4.1",
        first="decision_received",
        first_date=date(2026, 3, 2),
        second="ceremony",
        second_date=date(2026, 3, 1),
    )
    assert format_reason(known) == (
        "Thứ tự ngày sai: ngày lễ kết nạp (01/03/2026) trước ngày chi bộ nhận quyết định (02/03/2026)"
    )
    free = reason("date_order", "", first="X", first_date=date(2026, 3, 2), second="Y", second_date=date(2026, 3, 1))
    assert format_reason(free, "en") == "Dates out of order: Y (01/03/2026) is before X (02/03/2026)"


def test_it_keeps_reasons_frozen_hashable_and_comparable() -> None:
    a = reason("too_young", "QĐ294 1.1.1", age_months=200, eligible_from=date(2027, 1, 1), min_months=216)
    b = Reason(
        code="too_young",
        params={"age_months": 200, "eligible_from": date(2027, 1, 1), "min_months": 216},
        rule="QĐ294 1.1.1",
    )
    assert a == b
    assert hash(a) == hash(b)
    assert isinstance(b.params, Params)
    assert len(a.params) == 3
    assert a.params["age_months"] == 200
    assert "Params(" in repr(a.params)
    with pytest.raises(TypeError):
        a.params["age_months"] = 1  # type: ignore[index]
    assert Reason("certificate_missing").params == {}


def test_it_makes_a_check_result_ok_only_without_reasons() -> None:
    ok = CheckResult.from_reasons([])
    bad = CheckResult.from_reasons(iter([reason("certificate_missing", "HD06 3.1")]))
    assert ok and ok.ok and ok.reasons == ()
    assert not bad and not bad.ok
    assert bad.codes == ("certificate_missing",)


def test_it_never_uses_a_calendar_in_reasons() -> None:
    # Reasons carry dates, not calendars: a sanity check that params stay plain values.
    for item in _produced():
        for value in item.params.values():
            assert not isinstance(value, WorkingCalendar)
            assert isinstance(value, str | int | date | tuple), (item.code, value)
