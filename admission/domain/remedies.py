"""What unblocks each refusal: for every reason code, the kind of act that lifts it and where.

No refusal may leave a user without a next act (issue 14: "no dead ends"). Each code of
:data:`admission.domain.reasons.REASON_CODES` has one :class:`Remedy` here, and a test checks that
every code has one, that each step it names exists in the step table, that each page it names has a
URL, and that each date or body it names is a parameter of the code's message. The forms show the
page remedies as links under the refusal (admission.views.FormErrors).

Kinds:
- ``input``: correct what was typed in this form (the message says what is wrong);
- ``page``: act on another page of the candidate first (target: a page key, see PAGES below);
- ``step``: record another step first (target: a step key of admission.workflow.STEPS);
- ``wait``: nothing can lift it before a day (target: the message parameter holding that day);
- ``other_body``: another body acts (target: the message parameter naming it, or "" when the
  message names it in words);
- ``reload``: someone else changed the data: reload and look again;
- ``info``: not a refusal, an explanation shown with the counts.
"""

from dataclasses import dataclass
from typing import Literal

RemedyKind = Literal["input", "page", "step", "wait", "other_body", "reload", "info"]

# The candidate's pages a remedy may send the user to (admission.views.REMEDY_PAGES gives their URLs).
PAGES = frozenset({"documents", "mentors", "verifications", "flags", "history", "meeting", "returns", "votes"})


@dataclass(frozen=True)
class Remedy:
    kind: RemedyKind
    target: str = ""


def _input() -> Remedy:
    return Remedy("input")


def _page(name: str) -> Remedy:
    return Remedy("page", name)


REMEDIES: dict[str, Remedy] = {
    # Eligibility of the person
    "too_young": Remedy("wait", "eligible_from"),
    "over_60_needs_approval": _page("flags"),
    "education_below_lower_secondary": _page("flags"),
    "literacy_exception_needs_approval": _page("flags"),
    "not_literate": _page("flags"),
    "certificate_missing": Remedy("step", "certificate"),
    "certificate_expired": Remedy("step", "certificate"),
    "dossier_start_missing": Remedy("step", "permit_dossier"),
    "dossier_expired": _page("documents"),
    # Helpers and introducers
    "mentor_not_official": _page("mentors"),
    "mentor_other_unit": _page("mentors"),
    "mentor_together_missing": _input(),
    "mentor_together_too_short": Remedy("wait", "reached_on"),
    "introducers_missing": _page("mentors"),
    "introducers_too_many": _page("mentors"),
    "youth_union_required": _input(),
    "youth_union_cannot_introduce": _input(),
    "union_resolution_missing": _input(),
    "introducer_missing": _page("mentors"),
    # Dossier, verification, comments
    "documents_missing": _page("documents"),
    "document_change_reason_required": _input(),
    "verification_incomplete": Remedy("step", "verification"),
    "verification_open": _page("verifications"),
    "verification_already_open": _page("verifications"),
    "verification_not_open": Remedy("reload"),
    "verification_not_answered": _page("verifications"),
    "verification_outcome_required": _input(),
    "verification_reply_number_required": _input(),
    "verification_findings_required": _input(),
    "verification_reason_required": _input(),
    "verification_body": Remedy("other_body", "committee"),
    "comments_incomplete": Remedy("step", "comments"),
    # Readmission and political standard
    "readmission_needs_approval": _page("flags"),
    "readmission_too_early": Remedy("wait", "earliest"),
    "readmission_only_once": Remedy("other_body", ""),
    "political_standard_unresolved": _page("flags"),
    # Dates
    "ceremony_before_decision": _input(),
    "received_before_decision": _input(),
    "date_order": _input(),
    "probation_not_ended": Remedy("wait", "ends_on"),
    "date_in_future": _input(),
    "ceremony_missing": Remedy("step", "ceremony"),
    # Votes
    "vote_counts_negative": _input(),
    "vote_counts_exceed_denominator": _input(),
    "denominator_empty": _input(),
    "branch_too_small": Remedy("other_body", ""),
    "vote_threshold_not_reached": _input(),
    "committee_vote_not_recorded": Remedy("step", "reject"),
    "vote_threshold_reached": _input(),
    "removal_branch_vote_missing": Remedy("step", "removal_branch_vote"),
    "removal_grassroots_vote_missing": Remedy("step", "removal_grassroots_vote"),
    "recognition_appraisal_missing": Remedy("step", "recognition_appraisal"),
    "recognition_grassroots_vote_missing": Remedy("step", "recognition_grassroots_vote"),
    "recognition_chain_recorded": _page("history"),
    # Corrections
    "correction_not_a_step": _page("history"),
    "correction_not_yours": Remedy("other_body", "body"),
    "correction_reason_required": _input(),
    "correction_before_previous_step": _page("history"),
    "correction_after_next_step": _page("history"),
    "correction_nothing_changed": _input(),
    "undo_not_a_step": _page("history"),
    "undo_stage_changed": Remedy("reload"),
    "undo_changes_membership": _page("history"),
    "vote_later_steps": _page("history"),
    # Branch meetings and attendance
    "meeting_quorum_short": _page("meeting"),
    "denominator_explained": Remedy("info"),
    "denominator_explained_plain": Remedy("info"),
    "ballots_exceed_present": _input(),
    "ballots_short_of_present": _input(),
    "task_due_before_candidacy": _input(),
    "meeting_other_branch": _input(),
    "meeting_not_branch_vote": _input(),
    "meeting_date_mismatch": _input(),
    "meeting_counts_differ": _input(),
    "vote_counts_missing": _input(),
    "attendance_roster_changed": _input(),
    "meeting_correction_reason_required": _input(),
    "meeting_edit_not_branch": Remedy("other_body", "branch"),
    "attendance_fix_breaks_vote": _page("votes"),
    # Recording steps
    "note_required": _input(),
    "candidacy_open": Remedy("other_body", ""),
    "already_member": Remedy("other_body", ""),
    "mentor_already_assigned": _page("mentors"),
    # The helper's comment (HD06 4.3): what was typed, or the admission still to come.
    "mentor_comment_empty": _input(),
    "mentor_comment_not_probationer": Remedy("step", "ceremony"),
    "mentor_comment_sign_date": _input(),
    "mentor_comment_before_ceremony": _input(),
    "mentor_comment_kind": _input(),
    "branch_turn": Remedy("other_body", "branch"),
    "level_not_due": Remedy("other_body", "committee"),
    # A warning on the review page (the header already shows the deadline): nothing to fix in a form.
    "deadline_overdue": Remedy("info"),
    "meeting_before_dossier": _input(),
    "meeting_not_held_yet": _input(),
    "step_not_in_tree": Remedy("other_body", ""),
    # Committee review
    "return_reason_required": _input(),
    "return_document_reason_required": _input(),
    "not_returned": Remedy("step", "branch_vote"),
    "returned_documents_pending": _page("returns"),
    # Transfers
    "transfer_reason_required": _input(),
    "transfer_date_in_future": _input(),
    "transfer_date_before_stage": _input(),
    "transfer_target_not_branch": _input(),
    "transfer_same_branch": _input(),
    "transfer_target_outside_province": Remedy("other_body", ""),
    "transfer_stage_not_allowed": Remedy("step", "add_to_list"),
    "transfer_act_before_move": _input(),
    "transfer_already_forwarded": _page("history"),
    "transfer_not_forwarded_dossier": Remedy("other_body", ""),
    "reconsideration_already_requested": _page("history"),
    "reconsideration_not_applicable": Remedy("other_body", ""),
    "reconsideration_reason_required": _input(),
    # Acts that are not steps
    "consent_not_provincial": Remedy("other_body", "province"),
    "consent_needs_document": _page("flags"),
    "consent_document_number_required": _input(),
    "consent_in_force": _page("flags"),
    "consent_not_in_force": _page("flags"),
    "consent_withdrawal_reason_required": _input(),
    "extension_not_deciding_committee": Remedy("other_body", "committee"),
    "extension_reason_required": _input(),
    "political_issue_clear_not_committee": Remedy("other_body", "committee"),
    "political_issue_conclusion_required": _input(),
    "plan_set_by_body_above": Remedy("other_body", ""),
}
