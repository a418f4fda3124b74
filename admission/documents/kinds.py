"""What each generated document is as a Party document: who issues it, its type and number symbol,
who signs it and how, and the recorded date it carries (`docs/document-format.md`).

The table is data read by the context (heading, number line, signature block) and by the register
(which kinds take a number, consecutive per type and issuing body).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from admission.models import GeneratedKind, IssuedDocType
from members.models import OrganisationKind


class Issuer(StrEnum):
    """The organisation in whose name a document is issued, found from the candidate's branch."""

    BRANCH = "branch"  # the candidate's branch (chi bộ, or its chi ủy)
    SUB_COMMITTEE = "sub_committee"  # the đảng ủy bộ phận between branch and grassroots committee
    GRASSROOTS = "grassroots"  # the grassroots committee that passes the proposing resolution
    DECIDER = "decider"  # the committee whose standing body decides
    # The committee that decided for the candidate's former branch: after a move (HD06 3.9b-c) it
    # forwards the dossier or the decision to the destination.
    ORIGIN_DECIDER = "origin_decider"


# Party document types with the abbreviation of their number symbol (Số 15-QĐ/ĐU).
DocType = IssuedDocType


@dataclass(frozen=True)
class KindSpec:
    issuer: Issuer
    # None: not an issued document of the register (forms, lists, the dossier cover); no number line.
    doc_type: DocType | None
    # The signer's authority line for a collective body; "{decider}" takes the deciding body's
    # (T/M BAN THƯỜNG VỤ, T/M THƯỜNG TRỰC or T/M ĐẢNG ỦY).
    authority: str
    # The candidate date the document is dated with until it is issued (None: the day it is made;
    # "vote:<slot>": the day of the vote in that slot, e.g. vote:admission_branch_vote;
    # "event:<name>": a day of the authority paths read from the history, e.g. event:annulled).
    date_field: str | None
    summary: str  # the register's "trích yếu", completed with the person's name


SPECS: dict[str, KindSpec] = {
    GeneratedKind.APPLICATION_COVER: KindSpec(Issuer.BRANCH, None, "T/M CHI ỦY", None, "Bìa hồ sơ xin vào Đảng"),
    GeneratedKind.BRANCH_RESOLUTION: KindSpec(
        Issuer.BRANCH, DocType.RESOLUTION, "T/M CHI BỘ", "branch_resolution_date", "Đề nghị kết nạp đảng viên"
    ),
    GeneratedKind.COMMITTEE_RESOLUTION: KindSpec(
        Issuer.GRASSROOTS,
        DocType.RESOLUTION,
        "T/M ĐẢNG ỦY",
        "grassroots_resolution_date",
        "Đề nghị kết nạp đảng viên",
    ),
    GeneratedKind.ADMISSION_DECISION: KindSpec(
        Issuer.DECIDER, DocType.DECISION, "{decider}", "decision_date", "Kết nạp đảng viên"
    ),
    GeneratedKind.RECOGNITION_DECISION: KindSpec(
        Issuer.DECIDER,
        DocType.DECISION,
        "{decider}",
        "recognition_decision_date",
        "Công nhận đảng viên chính thức",
    ),
    GeneratedKind.PROBATION_SUMMARY: KindSpec(Issuer.BRANCH, None, "T/M CHI ỦY", None, "Tổng hợp quá trình dự bị"),
    GeneratedKind.MEMBER_SHEET: KindSpec(Issuer.BRANCH, None, "", None, "Phiếu đảng viên"),
    GeneratedKind.COMMENTS_SUMMARY: KindSpec(
        Issuer.BRANCH, None, "T/M CHI ỦY", "comments_completed_date", "Tổng hợp ý kiến nhận xét"
    ),
    GeneratedKind.BRANCH_MINUTES: KindSpec(
        Issuer.BRANCH, None, "", "vote:admission_branch_vote", "Biên bản họp chi bộ xét kết nạp"
    ),
    GeneratedKind.BALLOT: KindSpec(Issuer.BRANCH, None, "", "vote:admission_branch_vote", "Phiếu biểu quyết"),
    GeneratedKind.NON_ADMISSION_NOTICE: KindSpec(
        Issuer.DECIDER, DocType.NOTICE, "{decider}", "vote:admission_decider_vote", "Không kết nạp đảng viên"
    ),
    GeneratedKind.RECOGNITION_COMMENTS: KindSpec(
        Issuer.BRANCH, None, "T/M CHI ỦY", "recognition_dossier_date", "Tổng hợp ý kiến nhận xét đảng viên dự bị"
    ),
    GeneratedKind.RECOGNITION_BRANCH_RESOLUTION: KindSpec(
        Issuer.BRANCH,
        DocType.RESOLUTION,
        "T/M CHI BỘ",
        "recognition_branch_date",
        "Đề nghị công nhận đảng viên chính thức",
    ),
    GeneratedKind.RECOGNITION_COMMITTEE_RESOLUTION: KindSpec(
        Issuer.GRASSROOTS,
        DocType.RESOLUTION,
        "T/M ĐẢNG ỦY",
        "vote:recognition_committee_vote",
        "Đề nghị công nhận đảng viên chính thức",
    ),
    GeneratedKind.REMOVAL_BRANCH_RESOLUTION: KindSpec(
        Issuer.BRANCH, DocType.RESOLUTION, "T/M CHI BỘ", "vote:removal_branch_vote", "Đề nghị xóa tên đảng viên dự bị"
    ),
    GeneratedKind.REMOVAL_DECISION: KindSpec(
        Issuer.DECIDER, DocType.DECISION, "{decider}", "removal_date", "Xóa tên đảng viên dự bị"
    ),
    # The sub-committee appraises the branch's resolution and reports to the grassroots committee
    # (HD06 3.6b, QĐ294 20.3.3; 7-KNĐ, 14-KNĐ).
    GeneratedKind.APPRAISAL_REPORT: KindSpec(
        Issuer.SUB_COMMITTEE, DocType.REPORT, "T/M ĐẢNG ỦY", "appraisal_date", "Thẩm định đề nghị kết nạp đảng viên"
    ),
    GeneratedKind.RECOGNITION_APPRAISAL: KindSpec(
        Issuer.SUB_COMMITTEE,
        DocType.REPORT,
        "T/M ĐẢNG ỦY",
        "recognition_appraisal_date",
        "Thẩm định đề nghị công nhận đảng viên chính thức",
    ),
    # The branch's list, reviewed monthly up the chain (HD38 I.1.1b-d): the person's line of it.
    GeneratedKind.SYMPATHISER_EXTRACT: KindSpec(
        Issuer.BRANCH, None, "T/M CHI ỦY", "sympathiser_date", "Trích danh sách quần chúng cảm tình Đảng"
    ),
    # Three failed votes: the competent committee concludes (QĐ294 4.2.3).
    GeneratedKind.DEADLOCK_CONCLUSION: KindSpec(
        Issuer.DECIDER,
        DocType.NOTICE,
        "{decider}",
        "event:deadlock_ruled",
        "Kết luận về đảng viên dự bị sau ba lần biểu quyết không đạt",
    ),
    # A wrong admission: the committee that decided annuls its decision (QĐ294 4.4, HD38 I.3).
    GeneratedKind.ANNULMENT_DECISION: KindSpec(
        Issuer.DECIDER, DocType.DECISION, "{decider}", "event:annulled", "Hủy quyết định kết nạp đảng viên"
    ),
    # A move after the dossier went up: the former place's committee forwards it (HD06 3.9b-c).
    GeneratedKind.TRANSFER_LETTER: KindSpec(
        Issuer.ORIGIN_DECIDER,
        DocType.LETTER,
        "{origin_decider}",
        "event:transfer_forwarded",
        "Chuyển hồ sơ đề nghị kết nạp đảng viên",
    ),
    # The destination asks the committee that sent the dossier or decision to reconsider (HD06 3.9c).
    GeneratedKind.RECONSIDERATION_REQUEST: KindSpec(
        Issuer.DECIDER,
        DocType.LETTER,
        "{decider}",
        "event:reconsideration_requested",
        "Đề nghị xem xét lại hồ sơ đề nghị kết nạp chuyển đến",
    ),
}


_BRANCH_KINDS = {OrganisationKind.BRANCH, OrganisationKind.GRASSROOTS_BRANCH, OrganisationKind.VILLAGE_BRANCH}


# The issuing body's part of the symbol after the slash: a branch signs "CB", a sub-committee
# "ĐUBP", a provincial committee "TU", every other committee "ĐU" (docs/document-format.md).
def issuer_symbol(kind: str) -> str:
    if kind in _BRANCH_KINDS:
        return "CB"
    if kind == OrganisationKind.SUB_COMMITTEE:
        return "ĐUBP"
    if kind == OrganisationKind.PROVINCE:
        return "TU"
    return "ĐU"


def symbol(*, number: int | None, doc_type: DocType, issuer_kind: str) -> str:
    """`15-QĐ/ĐU`; a draft without its number prints a dotted blank for it (`……-QĐ/ĐU`)."""
    return f"{number if number is not None else '……'}-{doc_type.value}/{issuer_symbol(issuer_kind)}"


POSITIONS = ("BÍ THƯ", "PHÓ BÍ THƯ")


def committee_name(name: str, kind: str) -> str:
    """The issuing body as a heading names it: an organisation's committee, not the organisation.

    "Đảng bộ Sở X" issues as "Đảng ủy Sở X", "Đảng bộ tỉnh X" as "Tỉnh ủy X", "Đảng bộ thành phố X"
    as "Thành ủy X"; a branch issues in its own name ("Chi bộ X"). The superior line keeps the
    organisation's name (docs/document-format.md, "Tên cơ quan ban hành").
    """
    if kind in _BRANCH_KINDS:
        return name
    for prefix, committee in (("Đảng bộ tỉnh ", "Tỉnh ủy "), ("Đảng bộ thành phố ", "Thành ủy ")):
        if kind == OrganisationKind.PROVINCE and name.startswith(prefix):
            return committee + name[len(prefix) :]
    if name.startswith("Đảng bộ "):
        return "Đảng ủy " + name[len("Đảng bộ ") :]
    return name
