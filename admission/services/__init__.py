"""Every write of the admission pipeline (architecture A: services own their transaction).

- `transitions`: the single mutation point of the stage and the cascade of entering a stage;
- `steps`: recording the steps of `workflow.STEPS` (typed input, rule checks, votes);
- `candidates`: following a candidate, helpers, tasks, documents;
- `meetings`: branch meetings, their attendance and corrections, and the vote counts they give;
- `approvals`: the acts that are not steps, each by the body that owns it (consents of the
  provincial standing committee, deadline extension, political issue, the branch's facts);
- `review`: committee review (returns, resubmission, committee meetings);
- `transfers`: a candidate or probationer who moves to another branch (HD06 3.9);
- `verification`: background-verification requests, their replies, corrections and cancellations;
- `corrections`: recorded facts corrected or taken back (steps, the last step, votes, helpers).

Other packages import the names below from `admission.services`.
"""

from admission.services.approvals import (
    BRANCH_FLAGS,
    CANDIDATE_FLAGS,
    candidate_update_flags,
    consent_record,
    consent_withdraw,
    may_clear_political_issue,
    may_extend_deadline,
    may_record_consent,
)
from admission.services.base import (
    ConcurrentStageChange,
    StepRefused,
    committee_of,
    due_committee,
    may_record,
    pending_chain_step,
    step_applies,
)
from admission.services.candidates import (
    calendar_token_set,
    candidate_create,
    candidate_create_with_person,
    document_record,
    introducers,
    introduction_mode_default,
    mentor_assign,
    task_assign,
    task_complete,
)
from admission.services.corrections import (
    correctable_fields,
    latest_transition,
    list_decision_withdraw,
    may_correct,
    mentorship_withdraw,
    step_correct,
    step_undo,
    task_withdraw,
    undo_refusal,
    vote_withdraw,
)
from admission.services.meetings import (
    AttendanceEntry,
    may_edit_meeting,
    meeting_record,
    meeting_update,
    next_meeting,
)
from admission.services.mentoring import assigned_mentor, mentor_comment_write
from admission.services.review import (
    agenda_outcomes_record,
    committee_meeting_create,
    dossier_resubmit,
    dossier_return,
    open_return,
    returned_documents_pending,
)
from admission.services.steps import (
    StepInput,
    VoteCounts,
    candidate_step,
    candidate_vote,
    is_youth_union_case,
    step_target,
)
from admission.services.transfers import (
    RECONSIDERED_STAGES,
    candidate_transfer,
    transfer_forwarded,
    transfer_reconsideration_request,
)
from admission.services.transitions import CASCADE_HANDLERS, candidate_transition, checklist_tick, refresh_due
from admission.services.verification import (
    may_verify,
    open_requests_reason,
    verification_cancel,
    verification_record,
    verification_reply_check,
    verification_reply_correct,
    verification_reply_record,
)

__all__ = [
    "assigned_mentor",
    "mentor_comment_write",
    "BRANCH_FLAGS",
    "CANDIDATE_FLAGS",
    "CASCADE_HANDLERS",
    "ConcurrentStageChange",
    "StepInput",
    "StepRefused",
    "VoteCounts",
    "agenda_outcomes_record",
    "calendar_token_set",
    "candidate_create",
    "candidate_create_with_person",
    "candidate_step",
    "candidate_transfer",
    "committee_of",
    "RECONSIDERED_STAGES",
    "transfer_forwarded",
    "transfer_reconsideration_request",
    "candidate_transition",
    "checklist_tick",
    "candidate_update_flags",
    "candidate_vote",
    "committee_meeting_create",
    "correctable_fields",
    "latest_transition",
    "list_decision_withdraw",
    "may_correct",
    "mentorship_withdraw",
    "step_correct",
    "step_undo",
    "task_withdraw",
    "undo_refusal",
    "vote_withdraw",
    "consent_record",
    "consent_withdraw",
    "document_record",
    "dossier_resubmit",
    "dossier_return",
    "due_committee",
    "is_youth_union_case",
    "may_clear_political_issue",
    "may_extend_deadline",
    "may_record",
    "may_record_consent",
    "pending_chain_step",
    "may_verify",
    "AttendanceEntry",
    "may_edit_meeting",
    "meeting_record",
    "meeting_update",
    "next_meeting",
    "mentor_assign",
    "introducers",
    "introduction_mode_default",
    "open_requests_reason",
    "open_return",
    "refresh_due",
    "returned_documents_pending",
    "step_applies",
    "step_target",
    "task_assign",
    "task_complete",
    "verification_cancel",
    "verification_record",
    "verification_reply_check",
    "verification_reply_correct",
    "verification_reply_record",
]
