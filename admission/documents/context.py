"""What each dossier document is filled with: the tracker's data, formatted as the documents print it.

`document_context` reads a candidate's chain, parent, votes and mentors; `sample_context` fills
every key without the database (uploaded templates are tried against it). Every value is already
formatted: dates dd/mm/yyyy, missing values as a dotted blank.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import timezone, translation

from admission.documents.kinds import POSITIONS, SPECS, DocType, Issuer, KindSpec, committee_name, symbol
from admission.domain.deadlines import probation_end
from admission.domain.eligibility import IntroductionMode, choose_introducers, introducers_needed
from admission.domain.stages import Stage
from admission.domain.votes import VotingBody
from admission.models import (
    CANDIDATE_DATE_FIELDS,
    Candidate,
    CandidateTransfer,
    GeneratedKind,
    IssuedDocument,
    MentorComment,
    MentorCommentKind,
    MentorRole,
    Mentorship,
    StageTransition,
    Vote,
    VoteForm,
    VotePurpose,
)
from admission.rulebook import rulebook_for
from members.authority import Authority, DecidingBody, NoDecidingBody
from members.models import EducationLevel, Gender, Organisation, OrganisationKind, Person
from members.selectors import organisation_authority

# What a missing value prints as: a dotted blank to fill in by hand, never "None".
BLANK = "……"


@dataclass(frozen=True)
class IssueFacts:
    """What the register gives an issued document: its number, day, signer and recipients."""

    number: int | None = None
    symbol: str = ""  # as registered ("15-QĐ/ĐU"); printed as is
    issued_on: dt.date | None = None
    signer_name: str = ""
    signer_position: str = POSITIONS[0]
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class PathFacts:
    """What the documents of the authority paths print, read from the history: the deadlock's
    escalation and ruling (QĐ294 4.2.3), the annulment (QĐ294 4.4), the latest move and who
    forwarded the dossier (HD06 3.9b-c). `days` holds the raw days the specs date with (event:…)."""

    deadlock: Mapping[str, Any]
    annulment: Mapping[str, Any]
    transfer: Mapping[str, Any]
    days: Mapping[str, dt.date | None]
    # The former branch's deciding committee and its chain, for the forwarding letter's heading.
    origin_authority: Authority | None = None
    origin_organisations: Mapping[int, Organisation] | None = None


# --- Values as the documents print them ------------------------------------------------


def format_date(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else BLANK


def long_date(day: dt.date | None) -> str:
    """The place/date line's form, `ngày 05 tháng 02 năm 2025`: days below 10 and months 1-2 take
    a leading zero, as on administrative documents, so that no digit can be added by hand."""
    if day is None:
        return f"ngày {BLANK} tháng {BLANK} năm {BLANK}"
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def _text(value: object) -> str:
    text = str(value).strip() if value is not None else ""
    return text or BLANK


_VOTE_KEYS = ("held_on", "form", "summoned", "excluded", "denominator", "yes", "no", "abstain", "required", "result")
# Which recorded vote each template slot shows: (purpose, level) -> voting bodies (Vote.body).
_VOTE_SLOTS: dict[str, frozenset[str]] = {
    "branch": frozenset({VotingBody.BRANCH.name}),
    "appraisal": frozenset({VotingBody.SUB_COMMITTEE_APPRAISAL.name}),
    "committee": frozenset({VotingBody.GRASSROOTS_COMMITTEE.name, VotingBody.DELEGATED_GRASSROOTS_COMMITTEE.name}),
    "decider": frozenset(
        {
            VotingBody.STANDING_COMMITTEE.name,
            VotingBody.PROVINCIAL_STANDING_OFFICE.name,
            VotingBody.DELEGATED_GRASSROOTS_COMMITTEE.name,
        }
    ),
}
_VOTE_PURPOSES = (VotePurpose.ADMISSION.value, VotePurpose.RECOGNITION.value, VotePurpose.REMOVAL.value)


def _vote_values(vote: Vote | None) -> dict[str, str]:
    if vote is None:
        return dict.fromkeys(_VOTE_KEYS, BLANK)
    return {
        "held_on": format_date(vote.held_on),
        "form": str(VoteForm(vote.form).label) if vote.form in VoteForm.values else _text(vote.form),
        "summoned": str(vote.summoned),
        "excluded": str(vote.excluded),
        "denominator": str(vote.denominator),
        "yes": str(vote.yes),
        "no": str(vote.no),
        "abstain": str(vote.abstain),
        "required": str(vote.required),
        "result": "Đạt" if vote.passed else "Không đạt",
    }


def _meeting_values(vote: Vote | None) -> dict[str, str]:
    """The branch meeting a vote was held at, as its minutes print it (counts from its attendance),
    else the counts the vote recorded (present unknown)."""
    meeting = vote.meeting if vote is not None and vote.meeting_id else None
    if meeting is not None:
        absent = meeting.official_members - meeting.present
        return {
            "held_on": format_date(meeting.held_on),
            "summoned": str(meeting.official_members),
            "present": str(meeting.present),
            "absent": str(absent),
            "excluded": str(meeting.excluded),
            "minutes": _text(meeting.minutes),
        }
    if vote is None:
        return dict.fromkeys(("held_on", "summoned", "present", "absent", "excluded", "minutes"), BLANK)
    return {
        "held_on": format_date(vote.held_on),
        "summoned": str(vote.summoned),
        "present": BLANK,
        "absent": BLANK,
        "excluded": str(vote.excluded),
        "minutes": BLANK,
    }


def _deciding_labels(authority: Authority | None) -> dict[str, str]:
    """Who signs the decision and how the body is named in its text (QĐ294 4.3.2)."""
    if authority is None:
        return {"decider_name": BLANK, "decider_body": BLANK, "decider_signing": "T/M CẤP ỦY"}
    name = authority.decider.name
    if authority.body is DecidingBody.GRASSROOTS_COMMITTEE:
        return {"decider_name": name, "decider_body": f"Ban Chấp hành {name}", "decider_signing": "T/M ĐẢNG ỦY"}
    committee = committee_name(name, authority.decider.kind)  # "Đảng bộ X" decides through "Đảng ủy X"
    if authority.body is DecidingBody.PROVINCIAL_STANDING_OFFICE:
        return {"decider_name": name, "decider_body": f"Thường trực {committee}", "decider_signing": "T/M THƯỜNG TRỰC"}
    return {"decider_name": name, "decider_body": f"Ban Thường vụ {committee}", "decider_signing": "T/M BAN THƯỜNG VỤ"}


def _build_context(
    *,
    candidate: Candidate,
    person: Person,
    branch: Organisation,
    branch_superior: str,
    authority: Authority | None,
    place: str,
    votes: Iterable[Vote],
    introducers: list[str],
    mentors: list[str],
    probation_end_date: dt.date | None,
    card_number: str,
    today: dt.date,
    kind: str | None = None,
    mentor_comment: MentorComment | None = None,
    issue: IssueFacts | None = None,
    organisations: Mapping[int, Organisation] | None = None,
    paths: PathFacts | None = None,
) -> dict[str, Any]:
    """Every value a template may print, already formatted (dates dd/mm/yyyy, blanks dotted).

    Call it under `translation.override("vi")`: the labels (gender, vote form) are the
    documents' language, whatever the user's.
    """
    gender = str(Gender(person.gender).label) if person.gender in Gender.values else BLANK
    education = (
        str(EducationLevel(person.education_level).label) if person.education_level in EducationLevel.values else ""
    )
    grassroots = authority.grassroots_resolution_by if authority else None
    appraisal = authority.appraisal_by if authority else None
    if grassroots is None and authority is not None and authority.body is DecidingBody.GRASSROOTS_COMMITTEE:
        grassroots = authority.decider  # a delegated committee resolves and decides in one
    # The recognition chain as it was really recorded (HD38 II.1.1c(6)-(7)): the decision names the
    # bodies whose acts it followed, never a resolution that does not exist.
    proposed = candidate.recognition_branch_date
    recognition_appraised = bool(
        appraisal
        and candidate.recognition_appraisal_date
        and (not proposed or candidate.recognition_appraisal_date >= proposed)
    )
    recognition_resolved_by = authority.grassroots_resolution_by if authority else None
    recognition_resolved = bool(
        recognition_resolved_by
        and candidate.recognition_grassroots_date
        and (not proposed or candidate.recognition_grassroots_date >= proposed)
    )
    if recognition_resolved and recognition_resolved_by is not None:
        proposer = recognition_resolved_by.name
    elif recognition_appraised and appraisal is not None:
        proposer = appraisal.name
    else:
        proposer = branch.name
    context: dict[str, Any] = {
        "person_name": _text(person.full_name),
        "family_name": _text(person.family_name),
        "middle_name": _text(person.middle_name),
        "given_name": _text(person.given_name),
        "date_of_birth": format_date(person.date_of_birth),
        "gender": gender,
        "ethnicity": _text(person.ethnicity),
        "religion": _text(person.religion),
        "hometown": _text(person.hometown),
        "residence": _text(person.residence),
        "education": _text(education),
        "occupation": _text(person.occupation),
        # Personal identifiers are masked on paper too: only the last digits identify the file.
        "cccd_masked": _text(person.masked_cccd),
        "branch_name": _text(branch.name),
        "branch_superior_name": _text(branch_superior),
        "grassroots_name": _text(grassroots.name if grassroots else ""),
        # The committee a report is addressed to ("Đảng ủy X"), not the organisation ("Đảng bộ X").
        "grassroots_committee": _text(committee_name(grassroots.name, grassroots.kind) if grassroots else ""),
        "has_grassroots_resolution": grassroots is not None,
        "appraisal_name": _text(appraisal.name if appraisal else ""),
        "has_appraisal": appraisal is not None,
        "has_recognition_appraisal": recognition_appraised,
        "has_recognition_grassroots_resolution": recognition_resolved,
        "recognition_proposer_name": _text(proposer),
        "authority_citation": _text(authority.citation if authority else ""),
        **_deciding_labels(authority),
        "certificate_number": _text(candidate.certificate_number),
        "decision_number": _text(candidate.decision_number),
        "card_number": _text(card_number),
        "probation_end": format_date(probation_end_date),
        "introducers": introducers or [BLANK],
        "introducers_text": ", ".join(introducers) or BLANK,
        "mentors": mentors or [BLANK],
        "mentors_text": ", ".join(mentors) or BLANK,
        # The helper's signed end-of-probation comment (Mẫu 11-KNĐ, HD06 4.3), for the recognition forms.
        "mentor_comment": {
            "text": _text(mentor_comment.text if mentor_comment else ""),
            "by": _text(mentor_comment.mentor.person.full_name if mentor_comment else ""),
            "signed_on": format_date(mentor_comment.signed_on if mentor_comment else None),
        },
        "today": format_date(today),
        "place": _text(place),
    }
    long_dates = {"today": long_date(today), "probation_end": long_date(probation_end_date)}
    for name in CANDIDATE_DATE_FIELDS:
        day = getattr(candidate, name)
        context[name] = format_date(day)
        long_dates[name] = long_date(day)
    context["long_date"] = long_dates
    context["place_date_today"] = f"{context['place']}, {long_dates['today']}"
    latest: dict[str, Vote] = {}
    for vote in sorted(votes, key=lambda v: (v.held_on, v.pk or 0)):  # the latest vote is the one in force
        for level, bodies in _VOTE_SLOTS.items():
            if vote.body in bodies:
                latest[f"{vote.purpose}_{level}_vote"] = vote
    for purpose in _VOTE_PURPOSES:
        for level in _VOTE_SLOTS:
            key = f"{purpose}_{level}_vote"
            context[key] = _vote_values(latest.get(key))
    context["admission_branch_meeting"] = _meeting_values(latest.get("admission_branch_vote"))
    paths = paths or _no_paths()
    context["deadlock"] = dict(paths.deadlock)
    context["annulment"] = dict(paths.annulment)
    context["transfer"] = dict(paths.transfer)
    context.update(
        _document_keys(
            kind=kind,
            votes=latest,
            issue=issue or IssueFacts(),
            context=context,
            candidate=candidate,
            branch=branch,
            branch_superior=branch_superior,
            authority=authority,
            organisations=organisations or {},
            today=today,
            paths=paths,
        )
    )
    return context


def issuer_of(
    spec: KindSpec, *, branch: Organisation, authority: Authority | None, organisations: Mapping[int, Organisation]
) -> Organisation | None:
    """The organisation that issues a document of `spec` for a candidate of `branch` (None: the
    tree has no such body, e.g. no grassroots resolution for a village branch)."""
    if spec.issuer is Issuer.BRANCH:
        return branch
    if authority is None:
        return None
    node = {
        Issuer.SUB_COMMITTEE: authority.appraisal_by,
        Issuer.GRASSROOTS: authority.grassroots_resolution_by
        or (authority.decider if authority.body is DecidingBody.GRASSROOTS_COMMITTEE else None),
        Issuer.DECIDER: authority.decider,
        Issuer.ORIGIN_DECIDER: authority.decider,  # the caller passes the former branch's authority
    }[spec.issuer]
    if node is None:
        return None
    return organisations.get(node.id) or Organisation(pk=node.id, name=node.name, kind=node.kind)


def _recipients(kind: str | None, context: Mapping[str, Any]) -> list[str]:
    """Who receives each kind by default (the register may name others)."""
    nxt = context["appraisal_name"] if context["has_appraisal"] else context["grassroots_name"]
    if not context["has_appraisal"] and not context["has_grassroots_resolution"]:
        nxt = context["decider_name"]
    return {
        "application_cover": ["Lưu hồ sơ chi bộ."],
        "branch_resolution": [f"{nxt} (để xem xét),", "Lưu chi bộ."],
        "committee_resolution": [f"{context['decider_body']},", f"{context['branch_name']},", "Lưu Văn phòng Đảng ủy."],
        "admission_decision": ["Như Điều 3,", "Lưu hồ sơ đảng viên."],
        "recognition_decision": ["Như Điều 3,", "Lưu hồ sơ đảng viên."],
        "probation_summary": [f"{context['branch_superior_name']},", "Lưu hồ sơ đảng viên."],
        "comments_summary": ["Chi bộ (để xem xét),", "Lưu hồ sơ."],
        "recognition_comments": ["Chi bộ (để xem xét),", "Lưu hồ sơ đảng viên."],
        "non_admission_notice": [
            f"{context['branch_name']},",
            *([f"{context['grassroots_name']},"] if context["has_grassroots_resolution"] else []),
            "Lưu hồ sơ.",
        ],
        "recognition_branch_resolution": [f"{nxt} (để xem xét),", "Lưu hồ sơ đảng viên."],
        "recognition_committee_resolution": [
            f"{context['decider_body']},",
            f"{context['branch_name']},",
            "Lưu Văn phòng Đảng ủy.",
        ],
        "removal_branch_resolution": [f"{nxt} (để xem xét),", "Lưu hồ sơ đảng viên."],
        "removal_decision": ["Như Điều 3,", "Lưu hồ sơ đảng viên."],
        "appraisal_report": [f"{context['grassroots_committee']} (để xem xét),", f"{context['branch_name']},", "Lưu."],
        "recognition_appraisal": [
            f"{context['grassroots_committee']} (để xem xét),",
            f"{context['branch_name']},",
            "Lưu.",
        ],
        "sympathiser_extract": [
            f"{context['grassroots_name'] if context['has_grassroots_resolution'] else context['decider_name']},",
            "Lưu chi bộ.",
        ],
        "deadlock_conclusion": [
            f"{context['branch_name']},",
            *([f"{context['grassroots_name']},"] if context["has_grassroots_resolution"] else []),
            "Lưu hồ sơ đảng viên.",
        ],
        "annulment_decision": ["Như Điều 3,", "Lưu hồ sơ đảng viên."],
        "transfer_letter": [
            f"{context['transfer']['destination_body']},",
            f"{context['transfer']['to_branch']},",
            "Lưu hồ sơ.",
        ],
        "reconsideration_request": [
            f"{context['transfer']['origin_body']},",
            f"{context['branch_name']},",
            "Lưu hồ sơ.",
        ],
    }.get(kind or "", ["Lưu."])


def _document_keys(
    *,
    kind: str | None,
    votes: Mapping[str, Vote],
    issue: IssueFacts,
    context: Mapping[str, Any],
    candidate: Candidate,
    branch: Organisation,
    branch_superior: str,
    authority: Authority | None,
    organisations: Mapping[int, Organisation],
    today: dt.date,
    paths: PathFacts,
) -> dict[str, Any]:
    """The Party-format components of one kind: issuing body under its superior, number line,
    place and date, signer's authority and position, recipients (docs/document-format.md)."""
    spec = SPECS.get(kind or "")
    if spec is None:  # no kind (the sample data of the variables page): the branch's heading
        return {
            "issuer_name": context["branch_name"],
            "issuer_superior_name": branch_superior,
            "number_line": "Số " + symbol(number=issue.number, doc_type=DocType.RESOLUTION, issuer_kind=branch.kind)
            if issue.number
            else "",
            "document_date": format_date(today),
            "place_date": context["place_date_today"],
            "signer_authority": "T/M CHI ỦY",
            "signer_position": POSITIONS[0],
            "signer_name": issue.signer_name,
            "recipients": ["Lưu."],
        }
    signing = context["decider_signing"]
    if spec.issuer is Issuer.ORIGIN_DECIDER:  # the former branch's committee, under its own superior
        organisations = paths.origin_organisations or {}
        authority = paths.origin_authority
        signing = _deciding_labels(authority)["decider_signing"]
    issuer = issuer_of(spec, branch=branch, authority=authority, organisations=organisations)
    if issuer is None:
        issuer_name, superior_name = "", ""
    elif issuer.pk == branch.pk:
        issuer_name, superior_name = branch.name, branch_superior
    else:
        parent = organisations.get(issuer.parent_id) if issuer.parent_id else None
        issuer_name, superior_name = committee_name(issuer.name, issuer.kind), parent.name if parent else ""
    day = issue.issued_on
    if day is None and spec.date_field and spec.date_field.startswith("event:"):
        day = paths.days.get(spec.date_field.removeprefix("event:"))
    elif day is None and spec.date_field and spec.date_field.startswith("vote:"):
        vote = votes.get(spec.date_field.removeprefix("vote:"))
        day = vote.held_on if vote is not None else None
    elif day is None:
        day = getattr(candidate, spec.date_field) if spec.date_field else today
    place = (_place(issuer) if issuer is not None and issuer.pk else "") or context["place"]
    number_line = ""
    if issue.symbol:
        number_line = f"Số {issue.symbol}"
    elif spec.doc_type is not None:
        number_line = "Số " + symbol(
            number=issue.number, doc_type=spec.doc_type, issuer_kind=issuer.kind if issuer else ""
        )
        if issue.number is None and kind == "admission_decision" and candidate.decision_number:
            number_line = f"Số {candidate.decision_number}"  # the number recorded with the decision
    authority_line = spec.authority.replace("{decider}", context["decider_signing"]).replace(
        "{origin_decider}", signing
    )
    return {
        "issuer_name": _text(issuer_name),
        "issuer_superior_name": superior_name,
        "number_line": number_line,
        "document_date": format_date(day),
        "place_date": f"{_text(place)}, {long_date(day)}",
        "signer_authority": authority_line,
        "signer_position": issue.signer_position or POSITIONS[0],
        "signer_name": issue.signer_name,
        "recipients": list(issue.recipients) or _recipients(kind, context),
    }


# The place line names the locality without its kind: "Hà Nội, ngày …", not "Thành phố Hà Nội, …".
_UNIT_KINDS = ("Thành phố ", "Tỉnh ", "Phường ", "Xã ", "Đặc khu ", "Thị trấn ")


def _place(organisation: Organisation) -> str:
    """The ward's name if the branch records it, else the province's (the place line)."""
    unit = organisation.administrative_unit()
    if not unit:
        return ""
    name = unit.split(", ")[0]
    for kind in _UNIT_KINDS:
        if name.startswith(kind) and len(name) > len(kind):
            return name[len(kind) :]
    return name


_DEADLOCK_KEYS = ("escalated_on", "body", "failed_votes", "ruled_on", "outcome", "note")
_ANNULMENT_KEYS = ("annulled_on", "reason", "decision_symbol", "decision_date", "outcome")
_TRANSFER_KEYS = (
    "from_branch", "to_branch", "on_date", "forwarded_on", "reason", "destination_body", "origin_body",
    "forwards_decision", "forwarded_dossier", "reconsideration_on", "reconsideration_note",
)  # fmt: skip
# What the superior's ruling on a deadlock led to, by the stage it moved the candidate to.
_DEADLOCK_OUTCOMES = {
    Stage.S16.value: "đủ điều kiện công nhận đảng viên chính thức; giao cấp ủy có thẩm quyền ra quyết định công nhận",
    Stage.S15.value: "chi bộ tổ chức biểu quyết lại việc công nhận đảng viên chính thức",
    Stage.SX.value: "không đủ điều kiện công nhận; xóa tên khỏi danh sách đảng viên dự bị",
}
_ANNULMENT_OUTCOMES = {
    Stage.S10.value: "làm lại các bước chưa đúng thẩm quyền, thủ tục và xem xét quyết định lại",
    Stage.SX.value: "không đủ tiêu chuẩn, điều kiện: chi bộ xóa tên trong danh sách đảng viên",
}


def _no_paths() -> PathFacts:
    return PathFacts(
        deadlock={**dict.fromkeys(_DEADLOCK_KEYS, BLANK), "failed_votes": [BLANK]},
        annulment=dict.fromkeys(_ANNULMENT_KEYS, BLANK),
        transfer={**dict.fromkeys(_TRANSFER_KEYS, BLANK), "forwards_decision": False, "forwarded_dossier": False},
        days={},
    )


def _path_facts(candidate: Candidate, *, authority: Authority | None, votes: Iterable[Vote]) -> PathFacts:
    """The history of the authority paths, as their documents print it (reads)."""
    facts = _no_paths()
    deadlock, annulment, transfer = dict(facts.deadlock), dict(facts.annulment), dict(facts.transfer)
    days: dict[str, dt.date | None] = {}
    moves = list(StageTransition.objects.filter(candidate=candidate).order_by("at", "pk"))
    escalation = next((t for t in reversed(moves) if t.to_stage == Stage.SY.value), None)
    if escalation is not None:
        ruling = next((t for t in moves if t.from_stage == Stage.SY.value and t.at >= escalation.at), None)
        failed = [
            v
            for v in sorted(votes, key=lambda v: (v.held_on, v.pk or 0))
            if not v.passed
            and v.purpose in (VotePurpose.RECOGNITION, VotePurpose.REMOVAL)
            and v.held_on <= escalation.on_date
        ][-3:]
        bodies = {v.body for v in failed}
        deadlock.update(
            escalated_on=format_date(escalation.on_date),
            body="Đảng ủy cơ sở" if bodies == {VotingBody.GRASSROOTS_COMMITTEE.name} else "Chi bộ",
            failed_votes=[
                f"Ngày {format_date(v.held_on)}: {v.yes}/{v.denominator} tán thành, cần tối thiểu {v.required}"
                for v in failed
            ]
            or [BLANK],
            ruled_on=format_date(ruling.on_date if ruling else None),
            outcome=_DEADLOCK_OUTCOMES.get(ruling.to_stage, BLANK) if ruling else BLANK,
            note=_text(ruling.note if ruling else ""),
        )
        days["deadlock_ruled"] = ruling.on_date if ruling else None
    annulled = next((t for t in reversed(moves) if t.to_stage == Stage.SZ.value), None)
    if annulled is not None:
        after = next((t for t in moves if t.from_stage == Stage.SZ.value and t.at >= annulled.at), None)
        # The decision annulled: its register entry issued before the annulment, else the number
        # and day recorded with the decision (docs/decisions.md).
        entry = (
            IssuedDocument.objects.filter(
                candidate=candidate, kind=GeneratedKind.ADMISSION_DECISION, issued_on__lte=annulled.on_date
            )
            .order_by("-issued_on", "-pk")
            .first()
        )
        annulment.update(
            annulled_on=format_date(annulled.on_date),
            reason=_text(annulled.note),
            decision_symbol=_text(entry.symbol if entry else candidate.decision_number),
            decision_date=format_date(entry.issued_on if entry else candidate.decision_date),
            outcome=_ANNULMENT_OUTCOMES.get(after.to_stage, BLANK) if after else BLANK,
        )
        days["annulled"] = annulled.on_date
    move = (
        CandidateTransfer.objects.filter(candidate=candidate)
        .select_related("from_organisation", "to_organisation")
        .order_by("-on_date", "-recorded_at", "-pk")
        .first()
    )
    origin_authority: Authority | None = None
    origin_organisations: dict[int, Organisation] = {}
    if move is not None:
        origin = move.from_organisation
        chain = list(Organisation.objects.filter(pk__in=origin.ancestor_ids()))
        origin_organisations = {o.pk: o for o in chain}
        try:
            origin_authority = organisation_authority(organisation=origin, chain=chain)
        except NoDecidingBody:
            origin_authority = None
        # A dossier that had gone up moves to S10 at the destination; a decision taken within
        # 30 WD of the move stays and is forwarded for the ceremony there (HD06 3.9b-c).
        forwards_decision = move.stage_after == move.stage == Stage.S11.value
        transfer.update(
            from_branch=origin.name,
            to_branch=move.to_organisation.name,
            on_date=format_date(move.on_date),
            forwarded_on=format_date(move.forwarded_on),
            reason=_text(move.note),
            destination_body=_deciding_labels(authority)["decider_body"],
            origin_body=_deciding_labels(origin_authority)["decider_body"],
            forwards_decision=forwards_decision,
            forwarded_dossier=move.stage_after in (Stage.S10.value, Stage.SZ.value),
            reconsideration_on=format_date(move.reconsideration_requested_on),
            reconsideration_note=_text(move.reconsideration_note),
        )
        days["transfer_forwarded"] = move.forwarded_on
        days["reconsideration_requested"] = move.reconsideration_requested_on
    return PathFacts(deadlock, annulment, transfer, days, origin_authority, origin_organisations)


def document_context(
    candidate: Candidate,
    *,
    today: dt.date | None = None,
    kind: str | None = None,
    issue: IssueFacts | None = None,
) -> dict[str, Any]:
    """Everything the templates need about `candidate` (reads: chain, votes, mentors), laid out
    for a document of `kind` (its issuing body, number, date and signer; `issue` once registered)."""
    branch = candidate.organisation
    chain = list(Organisation.objects.filter(pk__in=branch.ancestor_ids()))
    organisations = {o.pk: o for o in chain}
    try:
        authority: Authority | None = organisation_authority(organisation=branch, chain=chain)
    except NoDecidingBody:
        authority = None  # a tree being set up: the committee names print as blanks
    parent = organisations.get(branch.parent_id) if branch.parent_id is not None else None
    superior = parent.name if parent else ""
    # Assignments in force, and those ended only because the candidacy closed (recognition or
    # removal ends every assignment): documents printed afterwards still name them.
    in_force = Q(ended_on__isnull=True)
    closed_on = candidate.recognition_decision_date or candidate.removal_date
    if closed_on is not None:
        in_force |= Q(ended_on__gte=closed_on)
    # A move after the branch's resolution ends the old branch's assignments, but the dossier that
    # went on holds their introductions (HD06 3.9b): the documents still name them.
    if candidate.branch_resolution_date is not None:
        in_force |= Q(ended_by_transfer__isnull=False, ended_on__gte=candidate.branch_resolution_date)
    mentorships = list(
        Mentorship.objects.filter(in_force, candidate=candidate)
        .select_related("member__person")
        .order_by("assigned_on", "pk")
    )
    # The helpers introduce by default, unless the branch named enough introducers of its own (rules §3 S5).
    mode = (
        IntroductionMode[candidate.introduction_mode] if candidate.introduction_mode else IntroductionMode.TWO_MEMBERS
    )
    names = {m.member_id: m.member.person.full_name for m in mentorships}
    chosen = choose_introducers(
        [m.member_id for m in mentorships if m.role == MentorRole.INTRODUCER],
        [m.member_id for m in mentorships if m.role == MentorRole.MENTOR],
        introducers_needed(mode),
    )
    introducers = [name for member_id, name in names.items() if member_id in chosen]  # in assignment order
    mentors = list(dict.fromkeys(m.member.person.full_name for m in mentorships if m.role == MentorRole.MENTOR))
    end = candidate.official_date
    if end is None and candidate.ceremony_date is not None:
        rules = rulebook_for(branch).for_date(candidate.ceremony_date)
        end = probation_end(ceremony_date=candidate.ceremony_date, rules=rules).day
    card = ""
    if candidate.member_id is not None:
        card = candidate.member.card_number if candidate.member else ""
    votes = list(Vote.objects.filter(candidate=candidate).select_related("meeting"))
    with translation.override("vi"):
        return _build_context(
            candidate=candidate,
            person=candidate.person,
            branch=branch,
            branch_superior=superior,
            authority=authority,
            place=_place(branch),
            votes=votes,
            introducers=introducers,
            mentors=mentors,
            mentor_comment=MentorComment.objects.filter(
                candidate=candidate, kind=MentorCommentKind.END_OF_PROBATION, signed=True
            )
            .select_related("mentor__person")
            .order_by("-signed_on", "-pk")
            .first(),
            probation_end_date=end,
            card_number=card,
            today=today or timezone.localdate(),
            kind=kind,
            issue=issue,
            organisations=organisations,
            paths=_path_facts(candidate, authority=authority, votes=votes),
        )


def sample_context() -> dict[str, Any]:
    """A context with every key filled (no database): uploaded templates are tried against it."""
    day = dt.date(2025, 1, 6)
    person = Person(
        full_name="Nguyễn Văn Mẫu",
        family_name="Nguyễn",
        middle_name="Văn",
        given_name="Mẫu",
        date_of_birth=dt.date(1998, 5, 4),
        gender=Gender.MALE,
        hometown="Xã Mẫu, Tỉnh Mẫu",
        residence="Phường Mẫu, Tỉnh Mẫu",
        occupation="Kỹ sư",
    )
    candidate = Candidate(
        person=person,
        certificate_number="GCN-1",
        decision_number="1-QĐ/ĐU",
        **dict.fromkeys(CANDIDATE_DATE_FIELDS, day),
    )
    vote = Vote(
        body=VotingBody.BRANCH.name,
        purpose=VotePurpose.ADMISSION,
        held_on=day,
        summoned=9,
        excluded=0,
        denominator=9,
        yes=8,
        no=1,
        abstain=0,
        form=VoteForm.SECRET_BALLOT,
        required=6,
        passed=True,
    )
    with translation.override("vi"):
        return _build_context(
            candidate=candidate,
            person=person,
            branch=Organisation(name="Chi bộ Mẫu", kind=OrganisationKind.BRANCH),
            branch_superior="Đảng bộ Mẫu",
            authority=None,
            place="Mẫu",
            votes=[vote],
            introducers=["Lê Văn Một", "Trần Thị Hai"],
            mentors=["Lê Văn Một"],
            probation_end_date=day,
            card_number="123456",
            today=day,
            issue=IssueFacts(number=15, issued_on=day, signer_name="Lê Văn Một"),
            paths=_sample_paths(),
        )


def _sample_paths() -> PathFacts:
    """Every key of the authority paths filled, for the variables page and the upload check."""
    sample = "06/01/2025"
    return PathFacts(
        deadlock={
            "escalated_on": sample,
            "body": "Chi bộ",
            "failed_votes": ["Ngày 06/01/2025: 5/9 tán thành, cần tối thiểu 6"],
            "ruled_on": sample,
            "outcome": _DEADLOCK_OUTCOMES[Stage.S16.value],
            "note": "Kết luận của cấp trên",
        },
        annulment={
            "annulled_on": sample,
            "reason": "Lý do hủy",
            "decision_symbol": "1-QĐ/ĐU",
            "decision_date": sample,
            "outcome": _ANNULMENT_OUTCOMES[Stage.S10.value],
        },
        transfer={
            "from_branch": "Chi bộ Mẫu",
            "to_branch": "Chi bộ Mới",
            "on_date": sample,
            "forwarded_on": sample,
            "reason": "Chuyển công tác",
            "destination_body": "Ban Thường vụ Đảng ủy Mới",
            "origin_body": "Ban Thường vụ Đảng ủy Mẫu",
            "forwards_decision": False,
            "forwarded_dossier": True,
            "reconsideration_on": sample,
            "reconsideration_note": "Lý do đề nghị xem xét lại",
        },
        days={},
    )
