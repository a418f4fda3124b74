"""Reason codes: why a check failed, in a form views can show and services can enforce.

A :class:`Reason` is data (a stable snake_case code, parameters, the rule point); the words live
in :data:`REASON_CODES`, one Vietnamese and one English ``str.format`` template per code. Dates in
``params`` are :class:`datetime.date`; :func:`format_reason` writes them as dd/mm/yyyy.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Self

from admission.domain.documents import documents_text


class Params(Mapping[str, object]):
    """A read-only, hashable mapping, so a :class:`Reason` stays a frozen value."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, object] | None = None) -> None:
        self._items = dict(items or {})

    def __getitem__(self, key: str) -> object:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(frozenset(self._items.items()))

    def __repr__(self) -> str:
        return f"Params({self._items!r})"


@dataclass(frozen=True)
class Reason:
    code: str
    params: Mapping[str, object] = field(default_factory=Params)
    rule: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.params, Params):
            object.__setattr__(self, "params", Params(self.params))


def reason(code: str, rule: str, **params: object) -> Reason:
    """Shorthand: ``reason("certificate_expired", "HD06 5.4b", valid_until=day)``."""
    return Reason(code=code, params=Params(params), rule=rule)


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    reasons: tuple[Reason, ...] = ()

    @classmethod
    def from_reasons(cls, reasons: Iterable[Reason]) -> Self:
        collected = tuple(reasons)
        return cls(ok=not collected, reasons=collected)

    def __bool__(self) -> bool:
        return self.ok

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(item.code for item in self.reasons)


# code -> (Vietnamese template, English template). Placeholders are the params of that code.
REASON_CODES: dict[str, tuple[str, str]] = {
    # Age, QĐ294 1.1.1-1.1.2, HD06 1.1
    "too_young": (
        "Chưa đủ {min_months} tháng tuổi (mới {age_months} tháng); đủ tuổi từ ngày {eligible_from}",
        "Under {min_months} months of age ({age_months} months); eligible from {eligible_from}",
    ),
    "over_60_needs_approval": (
        "Đã quá {max_months} tháng tuổi ({age_months} tháng): cần Ban Thường vụ cấp ủy trực thuộc "
        "Trung ương đồng ý bằng văn bản trước khi quyết định",
        "Over {max_months} months of age ({age_months} months): the provincial standing committee "
        "must agree in writing before the decision",
    ),
    # Education, QĐ294 1.2.1, HD06 1.2a-b
    "education_below_lower_secondary": (
        "Chưa có bằng tốt nghiệp trung học cơ sở",
        "No lower-secondary graduation certificate",
    ),
    "literacy_exception_needs_approval": (
        "Chỉ biết đọc, biết viết chữ quốc ngữ: cần Ban Thường vụ cấp ủy trực thuộc Trung ương đồng ý bằng văn bản",
        "Only literate in Vietnamese: the provincial standing committee must agree in writing",
    ),
    "not_literate": (
        "Chưa biết đọc, biết viết chữ quốc ngữ",
        "Not literate in Vietnamese",
    ),
    # Certificate and dossier, HD06 5.4a-b
    "certificate_missing": (
        "Chưa có giấy chứng nhận lớp bồi dưỡng nhận thức về Đảng",
        "No awareness-class certificate",
    ),
    "certificate_expired": (
        "Giấy chứng nhận lớp bồi dưỡng nhận thức về Đảng đã hết hạn ngày {valid_until}",
        "The awareness-class certificate expired on {valid_until}",
    ),
    "dossier_start_missing": (
        "Chưa ghi ngày bắt đầu lập hồ sơ",
        "The dossier start date is not recorded",
    ),
    "dossier_expired": (
        "Hồ sơ đã quá {months} tháng (hết hạn ngày {valid_until}): làm lại giấy giới thiệu, nghị "
        "quyết giới thiệu của Đoàn hoặc Công đoàn, bổ sung ý kiến nhận xét của các đoàn thể và chi "
        "ủy nơi cư trú, thẩm tra bổ sung lý lịch nếu có thay đổi",
        "The dossier is older than {months} months (expired on {valid_until}): redo the introducer "
        "letter and the Youth Union or trade-union resolution, add fresh comments of the mass "
        "organisations and the residence branch committee, and verify the biography again if "
        "anything changed",
    ),
    # Introducers and mentors, ĐL 4, QĐ294 3.1-3.2
    "mentor_not_official": (
        "{name} chưa là đảng viên chính thức",
        "{name} is not an official member",
    ),
    "mentor_other_unit": (
        "{name} không cùng đơn vị, cùng tổ chức cơ sở đảng với người vào Đảng",
        "{name} is not in the applicant's unit and grassroots organisation",
    ),
    "mentor_together_missing": (
        "Chưa ghi ngày {name} bắt đầu cùng công tác với người vào Đảng",
        "The date {name} started working with the applicant is not recorded",
    ),
    "mentor_together_too_short": (
        "{name}: chưa đủ {months} tháng cùng công tác với người vào Đảng; đến {reached_on} mới đủ",
        "{name}: {months} months together with the applicant not reached until {reached_on}",
    ),
    "introducers_missing": (
        "Cần {expected} đảng viên chính thức giới thiệu, hiện có {actual}{names}. Đảng viên giúp đỡ "
        "được chi bộ phân công là người giới thiệu: phân công thêm {missing} đảng viên chính thức của chi "
        "bộ ở mục «Đảng viên giúp đỡ, người giới thiệu» trên trang hồ sơ{hint}",
        "{expected} official members must introduce; {actual} counted{names}. The member the branch "
        "assigned to help is the introducer: assign {missing} more official member(s) of the branch in "
        "the 'Helpers and introducers' section of the candidate page{hint}",
    ),
    "introducers_too_many": (
        "Chỉ {expected} đảng viên chính thức giới thiệu nhưng có {actual} người được tính{names}: chi bộ "
        "chọn người giới thiệu bằng cách phân công họ với vai trò «Chỉ là người giới thiệu» (khi đủ "
        "người với vai trò này, đảng viên giúp đỡ không còn được tính là người giới thiệu)",
        "Only {expected} official member(s) introduce but {actual} are counted{names}: the branch names the "
        "introducers by assigning them as 'Introducer only' (once there are enough of them, the helpers "
        "no longer count as introducers)",
    ),
    "youth_union_required": (
        "Người trong độ tuổi đoàn viên ở nơi có tổ chức Đoàn phải là đoàn viên và do Đoàn giới thiệu",
        "An applicant of youth age where a Youth Union exists must be a member and be introduced by the Youth Union",
    ),
    "youth_union_cannot_introduce": (
        "Đoàn chỉ giới thiệu đoàn viên của tổ chức Đoàn nơi người vào Đảng sinh hoạt",
        "The Youth Union can introduce only its own members, where it exists",
    ),
    "union_resolution_missing": (
        "Chưa có nghị quyết giới thiệu của Đoàn hoặc Công đoàn",
        "The Youth Union or trade-union introduction resolution is missing",
    ),
    # Branch consideration, HD06 3.3-3.7, QĐ294 3.3, 3.5
    "documents_missing": (
        "Hồ sơ còn thiếu: {documents}",
        "Missing documents: {documents}",
    ),
    "verification_incomplete": (
        "Chưa hoàn thành thẩm tra, xác minh lý lịch",
        "Background verification is not complete",
    ),
    "verification_open": (
        "Còn {n} yêu cầu thẩm tra chưa có trả lời: {requests}. Ghi nhận trả lời hoặc hủy từng yêu cầu trước",
        "{n} verification request(s) still without a reply: {requests}. Record each reply or cancel the request first",
    ),
    "verification_already_open": (
        "Đã có yêu cầu thẩm tra về {subject} gửi {addressee} ngày {sent_on} đang chờ trả lời: ghi nhận trả lời "
        "hoặc hủy yêu cầu đó thay vì thêm lại",
        "A verification request about {subject} sent to {addressee} on {sent_on} is still awaiting its reply: "
        "record the reply or cancel it instead of adding it again",
    ),
    "verification_not_open": (
        "Yêu cầu thẩm tra về {subject} không còn chờ trả lời ({state})",
        "The verification request about {subject} is no longer awaiting a reply ({state})",
    ),
    "verification_not_answered": (
        "Yêu cầu thẩm tra về {subject} chưa có trả lời để sửa",
        "The verification request about {subject} has no recorded reply to correct",
    ),
    "verification_outcome_required": (
        "Cần chọn kết quả trả lời thẩm tra",
        "Choose the outcome of the reply",
    ),
    "verification_reply_number_required": (
        "Cần ghi số văn bản trả lời thẩm tra",
        "Give the number of the reply document",
    ),
    "verification_findings_required": (
        "Trả lời có vấn đề: cần đánh dấu ít nhất một nội dung (tiêu chuẩn chính trị, chấp hành chủ trương, "
        "chính sách, pháp luật, đạo đức lối sống) và ghi nội dung trả lời",
        "A reply that found issues needs at least one area ticked (political standard, compliance, ethics) "
        "and what it says",
    ),
    "verification_reason_required": (
        "Cần ghi lý do: việc hủy hoặc sửa được lưu trong lịch sử",
        "Give the reason: the cancellation or correction is kept in the history",
    ),
    "verification_body": (
        "Việc thẩm tra lý lịch do chi bộ {branch} hoặc cán bộ {committee} ghi nhận",
        "Background verification is recorded by the branch {branch} or the staff of {committee}",
    ),
    "comments_incomplete": (
        "Chưa tổng hợp đủ ý kiến nhận xét của các đoàn thể và chi ủy nơi cư trú",
        "Comments of the mass organisations and the residence branch committee are not complete",
    ),
    "readmission_needs_approval": (
        "Kết nạp lại cần Ban Thường vụ cấp ủy trực thuộc Trung ương đồng ý bằng văn bản",
        "Readmission needs the written consent of the provincial standing committee",
    ),
    "readmission_too_early": (
        "Chưa đủ {months} tháng kể từ khi ra khỏi Đảng ({left_on}): sớm nhất được xét ngày {earliest}",
        "Less than {months} months since leaving the Party ({left_on}): consideration from {earliest} at the earliest",
    ),
    "readmission_only_once": (
        "Người này đã được kết nạp lại một lần; chỉ được kết nạp lại một lần",
        "This person was already readmitted once; readmission is allowed only once",
    ),
    "political_standard_unresolved": (
        "Vấn đề về tiêu chuẩn chính trị chưa được kết luận",
        "An issue with the political standard has not been concluded",
    ),
    # Dates, QĐ294 4.1, 4.2.2
    "ceremony_before_decision": (
        "Ngày lễ kết nạp {ceremony_date} trước ngày quyết định kết nạp {decision_date}",
        "The ceremony on {ceremony_date} is before the admission decision of {decision_date}",
    ),
    "received_before_decision": (
        "Ngày nhận quyết định {received_date} trước ngày ký quyết định {decision_date}",
        "The decision was received on {received_date}, before it was signed on {decision_date}",
    ),
    "date_order": (
        "Thứ tự ngày sai: {second} ({second_date}) trước {first} ({first_date})",
        "Dates out of order: {second} ({second_date}) is before {first} ({first_date})",
    ),
    "probation_not_ended": (
        "Chưa hết thời kỳ dự bị: hết dự bị ngày {ends_on}",
        "Probation has not ended: it ends on {ends_on}",
    ),
    # Votes, ĐL 4.3, 24.1, QĐ294 9.3
    "vote_counts_negative": (
        "Số phiếu không được âm",
        "Vote counts cannot be negative",
    ),
    "vote_counts_exceed_denominator": (
        "Tổng số phiếu {total} lớn hơn số thành viên được tính {denominator}",
        "{total} votes cast is more than the {denominator} members counted",
    ),
    "denominator_empty": (
        "Không có thành viên nào được tính để biểu quyết",
        "No member is counted for the vote",
    ),
    "branch_too_small": (
        "Chi bộ chỉ có {official_members} đảng viên chính thức, cần ít nhất {minimum}",
        "The branch has {official_members} official members; at least {minimum} are needed",
    ),
    "vote_threshold_not_reached": (
        "Chưa đạt {threshold}: {yes} trên {denominator} (cần {required})",
        "{threshold} not reached: {yes} of {denominator} ({required} needed)",
    ),
    "committee_vote_not_recorded": (
        "Biểu quyết chưa đạt nên bước này và số phiếu chưa được ghi; nếu cấp ủy quyết định không kết nạp, ghi bước “Ghi nhận quyết định không kết nạp”",
        "The vote did not pass, so neither this step nor the counts were recorded; if the committee decided not to admit, record 'Record the decision not to admit'",
    ),
    "document_change_reason_required": (
        "Giấy tờ {document} đã được ghi nhận: sửa ngày hoặc tình trạng cần ghi lý do (bản trước được lưu trong lịch sử)",
        "Document {document} is already recorded: changing its date or state needs a reason (the former entry stays in the history)",
    ),
    # Corrections (admission.services.corrections)
    "correction_not_a_step": (
        "Mục này không được ghi bằng một bước của quy trình; hãy đính chính tại nơi đã ghi nó (cuộc họp chi bộ, chuyển sinh hoạt, trả hồ sơ)",
        "This entry was not recorded as a step of the process; correct it where it was recorded (branch meeting, transfer, dossier return)",
    ),
    "correction_not_yours": (
        "Chỉ {body} (nơi đã ghi) đính chính được khi chưa có bước nào sau; sau đó, cấp ủy cấp trên đính chính",
        "Only {body} (which recorded it) may correct it while no later step exists; after that, the committee above does",
    ),
    "correction_reason_required": (
        "Cần ghi lý do đính chính",
        "A reason for the correction is required",
    ),
    "correction_before_previous_step": (
        "Ngày {day} trước ngày của bước liền trước ({previous}); đính chính bước đó trước",
        "{day} is before the previous step ({previous}); correct that step first",
    ),
    "correction_after_next_step": (
        "Ngày {day} sau ngày của bước liền sau ({next}); đính chính bước đó trước",
        "{day} is after the next step ({next}); correct that step first",
    ),
    "correction_nothing_changed": (
        "Không có gì thay đổi so với nội dung đã ghi",
        "Nothing differs from what was recorded",
    ),
    "undo_not_a_step": (
        "Không có bước nào của quy trình để hủy; mục cuối được đính chính tại nơi đã ghi nó",
        "There is no step of the process to undo; the last entry is corrected where it was recorded",
    ),
    "undo_stage_changed": (
        "Hồ sơ vừa được người khác cập nhật; tải lại trang và xem lại",
        "Someone else has just updated the dossier; reload the page and check",
    ),
    "undo_changes_membership": (
        "Bước “{step}” đã thay đổi tư cách đảng viên nên không hủy được; đính chính ngày, số của bước đó, hoặc cấp có thẩm quyền hủy quyết định",
        "The step '{step}' changed the membership and cannot be undone; correct its date or number, or the competent committee annuls the decision",
    ),
    "vote_later_steps": (
        "Đã có bước sau dựa trên kết quả biểu quyết này; hủy các bước sau trước (hoặc cấp ủy cấp trên đính chính)",
        "Later steps rest on this vote; undo them first (or the committee above corrects them)",
    ),
    # Branch meetings and their attendance (admission.domain.attendance; QĐ294 9.3.2, 9.3.4)
    "meeting_quorum_short": (
        "Chỉ có {present} đảng viên có mặt trên {denominator} đảng viên được tính: nghị quyết về kết nạp, "
        "công nhận hoặc xóa tên cần ít nhất {required} tán thành ({threshold}), nên không thể đạt tại cuộc họp này",
        "Only {present} members present of the {denominator} counted: a resolution on admission, recognition "
        "or removal needs at least {required} votes for ({threshold}), so none can pass at this meeting",
    ),
    "denominator_explained": (
        "{summoned} đảng viên chính thức, trừ {exclusions}, còn {denominator}; cần ≥ {required} tán thành",
        "{summoned} official members, less {exclusions}, leaves {denominator}; ≥ {required} votes for needed",
    ),
    "denominator_explained_plain": (
        "{summoned} đảng viên chính thức, không ai được trừ, còn {denominator}; cần ≥ {required} tán thành",
        "{summoned} official members, nobody excluded, leaves {denominator}; ≥ {required} votes for needed",
    ),
    "ballots_exceed_present": (
        "Tổng số phiếu {total} lớn hơn số đảng viên chính thức có mặt {present}",
        "{total} votes cast is more than the {present} official members present",
    ),
    "task_due_before_candidacy": (
        "Hạn {due_on} trước ngày bắt đầu theo dõi quần chúng ({began}): kiểm tra lại năm của hạn",
        "The due date {due_on} is before the candidacy began ({began}): check the year",
    ),
    "ballots_short_of_present": (
        "Tổng số phiếu {total} ít hơn số đảng viên chính thức có mặt {present}: "
        "{missing} người có mặt mà không bỏ phiếu thì ghi vào «Không biểu quyết»",
        "{total} votes cast is fewer than the {present} official members present: "
        'enter the {missing} present who did not vote under "Not voting"',
    ),
    "meeting_other_branch": (
        "Cuộc họp ngày {day} không phải của chi bộ {branch}",
        "The meeting of {day} is not a meeting of the branch {branch}",
    ),
    "meeting_not_branch_vote": (
        "Chỉ biểu quyết của chi bộ lấy số liệu từ cuộc họp chi bộ",
        "Only a branch vote takes its counts from a branch meeting",
    ),
    "meeting_date_mismatch": (
        "Ngày biểu quyết {day} khác ngày họp chi bộ {meeting_day}",
        "The vote's date {day} is not the day of the branch meeting {meeting_day}",
    ),
    "meeting_counts_differ": (
        "Cuộc họp ngày {meeting_day} đã có điểm danh: {summoned} triệu tập, {excluded} được trừ; không nhập số khác",
        "The meeting of {meeting_day} has its attendance: {summoned} summoned, {excluded} excluded; do not type other counts",
    ),
    "vote_counts_missing": (
        "Cuộc họp chưa có điểm danh từng đảng viên: nhập số được triệu tập và số được trừ",
        "The meeting has no per-member attendance: enter the numbers summoned and excluded",
    ),
    "attendance_roster_changed": (
        "Danh sách đảng viên chính thức của chi bộ ngày {day} khác danh sách trên biểu mẫu ({names}); "
        "điểm danh lại theo danh sách mới",
        "The branch's official members on {day} differ from the list on the form ({names}); "
        "take the attendance again from the new list",
    ),
    "meeting_correction_reason_required": (
        "Chi bộ đã họp sau cuộc họp này (ngày {next_day}): sửa biên bản, điểm danh hoặc kết quả phải ghi lý do",
        "The branch has met since (on {next_day}): a change to the minutes, attendance or outcomes needs a reason",
    ),
    "meeting_edit_not_branch": (
        "Biên bản họp của chi bộ {branch} do bí thư, phó bí thư chi bộ sửa; cấp ủy cấp trên chỉ đính chính có lý do "
        "sau khi chi bộ đã họp kỳ sau",
        "The minutes of the branch {branch} are edited by its secretary or deputy; the committees above only "
        "correct them, with a reason, once the branch has met again",
    ),
    "attendance_fix_breaks_vote": (
        "Sau khi sửa điểm danh chỉ còn {present} đảng viên có mặt, ít hơn {total} phiếu của biểu quyết ngày {day} "
        "về {name}: sửa biểu quyết đó trước",
        "After the change only {present} members are present, fewer than the {total} votes of the vote of {day} "
        "on {name}: correct that vote first",
    ),
    # Recording steps (admission.services)
    "note_required": (
        "Cần ghi lý do cho bước này ({step})",
        "A reason is required for this step ({step})",
    ),
    "date_in_future": (
        "Ngày {day} ở tương lai: chỉ ghi nhận sự việc đã diễn ra",
        "{day} is in the future: only events that have happened can be recorded",
    ),
    "candidacy_open": (
        "{name} đang trong quá trình phát triển đảng viên",
        "{name} already has an open candidacy",
    ),
    "already_member": (
        "{name} đã là đảng viên",
        "{name} is already a party member",
    ),
    "mentor_comment_empty": (
        "Nhận xét chưa có nội dung",
        "The comment has no text",
    ),
    "mentor_comment_not_probationer": (
        "Người này chưa được kết nạp nên chưa có nhận xét khi hết thời gian dự bị",
        "This person has not been admitted yet, so there is no end-of-probation comment",
    ),
    "mentor_comment_sign_date": (
        "Nhập ngày ký để ký nhận xét",
        "Enter the signing date to sign the comment",
    ),
    "mentor_comment_before_ceremony": (
        "Ngày ký không được trước ngày kết nạp {day}",
        "The signing date cannot be before the admission ceremony on {day}",
    ),
    "mentor_comment_kind": (
        "Loại nhận xét không hợp lệ",
        "Unknown kind of comment",
    ),
    "mentor_already_assigned": (
        "{name} đã được phân công với vai trò này",
        "{name} is already assigned in this role",
    ),
    "branch_turn": (
        "Bước này do chi bộ {branch} ghi nhận; cấp ủy cấp trên không ghi thay chi bộ",
        "This step is for the branch {branch} to record; the committees above it do not record it for the branch",
    ),
    "meeting_before_dossier": (
        "Ngày họp {day} trước ngày hồ sơ của {name} đến cấp ủy ({arrived}): kiểm tra lại ngày họp",
        "The meeting date {day} is before {name}'s dossier reached the committee ({arrived}): check the date",
    ),
    "meeting_not_held_yet": (
        "Cuộc họp ngày {day} chưa diễn ra: chỉ ghi kết quả xét sau khi họp",
        "The meeting of {day} has not been held yet: record its outcomes after it",
    ),
    "level_not_due": (
        "Hồ sơ đang ở {committee}: chỉ cán bộ của cấp ủy này được ghi nhận bước này",
        "The dossier is with {committee}: only that committee's staff may record this step",
    ),
    # The removal chain, HD06 4.6
    "removal_branch_vote_missing": (
        "Chưa có nghị quyết của chi bộ đề nghị xóa tên (≥ 2/3 đảng viên chính thức tán thành): "
        "chi bộ biểu quyết trước khi cấp ủy có thẩm quyền quyết định",
        "No branch resolution proposing removal (≥ 2/3 of the official members): the branch "
        "votes before the competent committee decides",
    ),
    "removal_grassroots_vote_missing": (
        "Chưa có nghị quyết của đảng ủy cơ sở đề nghị xóa tên sau nghị quyết của chi bộ (≥ 2/3 cấp ủy viên tán thành)",
        "No grassroots committee resolution proposing removal after the branch's (≥ 2/3 of its members)",
    ),
    # The recognition chain, HD38 II.1.1c(6)-(7)
    "recognition_appraisal_missing": (
        "Chưa có báo cáo thẩm định của đảng ủy bộ phận về nghị quyết công nhận của chi bộ",
        "No appraisal by the sub-committee of the branch's recognition resolution",
    ),
    "recognition_grassroots_vote_missing": (
        "Chưa có nghị quyết của đảng ủy cơ sở đề nghị công nhận đảng viên chính thức (≥ 2/3 cấp ủy viên tán thành)",
        "No grassroots committee resolution proposing recognition (≥ 2/3 of its members)",
    ),
    "recognition_chain_recorded": (
        "Bước này đã được ghi nhận cho nghị quyết hiện hành của chi bộ",
        "This step is already recorded for the branch's resolution in force",
    ),
    "step_not_in_tree": (
        "Bước này không áp dụng: trong hệ thống tổ chức của chi bộ không có cấp ủy này",
        "This step does not apply: the branch's organisation tree has no such committee",
    ),
    "vote_threshold_reached": (
        "Biểu quyết đã đạt {threshold} ({yes} trên {denominator}): không thể ghi nhận quyết định không kết nạp",
        "The vote reached {threshold} ({yes} of {denominator}): a decision not to admit cannot be recorded",
    ),
    "return_reason_required": (
        "Cần ghi lý do trả lại hồ sơ",
        "Give the reason for returning the dossier",
    ),
    "return_document_reason_required": (
        "Cần ghi lý do trả lại cho từng giấy tờ: {documents}",
        "Give a reason for each returned document: {documents}",
    ),
    "not_returned": (
        "Hồ sơ không bị cấp trên trả lại: chi bộ cần biểu quyết đề nghị",
        "The dossier was not returned by a committee: the branch must vote on it",
    ),
    "returned_documents_pending": (
        "Chưa bổ sung các giấy tờ bị trả lại: {documents}",
        "The returned documents are not redone yet: {documents}",
    ),
    "introducer_missing": (
        "Chưa có đảng viên giới thiệu (giấy giới thiệu)",
        "No introducing member is recorded (introduction letter)",
    ),
    # Transfers (chuyển sinh hoạt), HD06 3.9
    "transfer_reason_required": (
        "Cần ghi lý do chuyển sinh hoạt",
        "Give the reason for the transfer",
    ),
    "transfer_date_in_future": (
        "Ngày chuyển sinh hoạt {day} ở tương lai: chỉ ghi nhận việc chuyển đã diễn ra",
        "The transfer date {day} is in the future: only a transfer that has happened can be recorded",
    ),
    "transfer_date_before_stage": (
        "Ngày chuyển sinh hoạt {day} trước ngày bắt đầu bước hiện tại ({stage_day})",
        "The transfer date {day} is before the current step began ({stage_day})",
    ),
    "transfer_target_not_branch": (
        "{name} không phải là chi bộ: chỉ chuyển sinh hoạt đến một chi bộ",
        "{name} is not a branch: a person is transferred to a branch only",
    ),
    "transfer_same_branch": (
        "Người này đang sinh hoạt ở {name}: chọn chi bộ nơi chuyển đến",
        "The person is already in {name}: choose the branch they move to",
    ),
    "transfer_target_outside_province": (
        "Chỉ chuyển sinh hoạt đến một chi bộ trong cùng đảng bộ tỉnh",
        "Transfers go to a branch of the same provincial party organisation only",
    ),
    "transfer_stage_not_allowed": (
        "Không chuyển sinh hoạt ở bước {stage}: người này chưa vào danh sách cảm tình Đảng hoặc đã kết thúc quá trình",
        "No transfer at stage {stage}: the person is not on the sympathiser list, or the candidacy is over",
    ),
    "transfer_not_forwarded_dossier": (
        "Không có hồ sơ đã gửi lên cấp trên được chuyển theo người chuyển sinh hoạt",
        "No dossier that had gone up moved with a transfer",
    ),
    "transfer_already_forwarded": (
        "Hồ sơ đã được ghi nhận chuyển đến nơi mới ngày {day}",
        "The dossier was already recorded as forwarded on {day}",
    ),
    "transfer_act_before_move": (
        "Ngày {day} trước ngày chuyển sinh hoạt ({moved})",
        "The date {day} is before the transfer ({moved})",
    ),
    "reconsideration_not_applicable": (
        "Chỉ đề nghị xem xét lại hồ sơ hoặc quyết định chuyển đến khi đang chờ cấp ủy nơi đến (sau chuyển sinh hoạt)",
        "A request to reconsider applies only to a dossier or decision that moved with a transfer and awaits the destination",
    ),
    "reconsideration_already_requested": (
        "Đã có đề nghị xem xét lại ngày {day} cho lần chuyển sinh hoạt này",
        "A request to reconsider was already made on {day} for this transfer",
    ),
    "reconsideration_reason_required": (
        "Cần ghi nội dung đề nghị xem xét lại",
        "Give the content of the request to reconsider",
    ),
    "ceremony_missing": (
        "Chưa có ngày lễ kết nạp",
        "The ceremony date is missing",
    ),
    # Acts that are not steps: each is recorded by the body that owns it (docs/decisions.md, "Authority")
    "consent_not_provincial": (
        "Chỉ cán bộ cấp ủy của {province} (hoặc quản trị hệ thống) được ghi nhận văn bản đồng ý "
        "của Ban Thường vụ Tỉnh ủy",
        "Only the committee staff of {province} (or an administrator) may record the written consent "
        "of the provincial standing committee",
    ),
    "consent_needs_document": (
        "Văn bản đồng ý của Ban Thường vụ Tỉnh ủy được ghi nhận kèm ngày và số văn bản, không đánh dấu trực tiếp",
        "The provincial standing committee's consent is recorded with its date and document number, "
        "not ticked directly",
    ),
    "consent_document_number_required": (
        "Cần ghi số văn bản đồng ý của Ban Thường vụ Tỉnh ủy",
        "Give the number of the provincial standing committee's consent",
    ),
    "consent_in_force": (
        "Đã có văn bản đồng ý số {number} ngày {day}: thu hồi văn bản đó trước khi ghi văn bản khác",
        "Consent no. {number} of {day} is in force: withdraw it before recording another",
    ),
    "consent_not_in_force": (
        "Không có văn bản đồng ý đang có hiệu lực: {kind}",
        "No consent in force: {kind}",
    ),
    "consent_withdrawal_reason_required": (
        "Cần ghi lý do thu hồi văn bản đồng ý",
        "Give the reason for withdrawing the consent",
    ),
    "extension_not_deciding_committee": (
        "Chỉ cán bộ của {committee} (cấp quyết định kết nạp) được gia hạn thời hạn quyết định",
        "Only the staff of {committee} (the deciding committee) may extend the decision deadline",
    ),
    "extension_reason_required": (
        "Cần ghi lý do gia hạn (hoặc bỏ gia hạn) thời hạn quyết định",
        "Give the reason for extending (or ending the extension of) the decision deadline",
    ),
    "political_issue_clear_not_committee": (
        "Chỉ cán bộ của {committee} hoặc cấp ủy cấp trên được kết luận vấn đề tiêu chuẩn chính trị; "
        "chi bộ chỉ nêu vấn đề",
        "Only the staff of {committee} or a committee above it may conclude the political-standard issue; "
        "the branch only raises it",
    ),
    "political_issue_conclusion_required": (
        "Cần ghi kết luận (số, ngày văn bản) khi xác định vấn đề tiêu chuẩn chính trị đã được giải quyết",
        "Give the conclusion (document number, date) when marking the political-standard issue resolved",
    ),
    "plan_set_by_body_above": (
        "Chỉ tiêu của {organisation} do cấp ủy cấp trên giao; chỉ tiêu của tỉnh do quản trị hệ thống nhập",
        "The plan of {organisation} is set by the committee above it; the province's by an administrator",
    ),
    # The review page's automatic check: the step in progress is past its legal deadline.
    "deadline_overdue": (
        "{deadline_vi}: ngày {due_on}, đã quá {days} ngày làm việc",
        "{deadline_en}: {due_on}, overdue by {days} working days",
    ),
}


# The exclusions of QĐ294 9.3.4 in ``denominator_explained`` (its ``exclusions`` param: (status, n) pairs).
EXCLUSION_LABELS: dict[str, tuple[str, str]] = {
    "temporary_transfer": ("{n} chuyển sinh hoạt tạm thời", "{n} on temporary transfer"),
    "exempt_absent": ("{n} miễn sinh hoạt vắng mặt", "{n} exempted and absent"),
    "suspended": ("{n} bị đình chỉ sinh hoạt, truy tố, tạm giam", "{n} suspended, prosecuted or detained"),
    "excused": ("{n} vắng mặt có lý do được chấp nhận", "{n} absent with an accepted reason"),
}


# Labels of the dates compared by ``date_order`` (its ``first``/``second`` params).
DATE_LABELS: dict[str, tuple[str, str]] = {
    "certificate_issue": ("ngày cấp giấy chứng nhận", "the certificate issue date"),
    "dossier_start": ("ngày bắt đầu lập hồ sơ", "the dossier start date"),
    "branch_meeting": ("ngày chi bộ xét kết nạp", "the branch meeting"),
    "dossier_permit": ("ngày được phép lập hồ sơ", "the date the dossier was permitted"),
    "decision_received": ("ngày chi bộ nhận quyết định", "the date the branch received the decision"),
    "ceremony": ("ngày lễ kết nạp", "the ceremony"),
    "stage_entered": ("ngày bắt đầu bước hiện tại", "the start of the current step"),
    "event": ("ngày ghi nhận", "the recorded date"),
    "decision": ("ngày quyết định", "the decision date"),
    "recognition_branch": ("ngày nghị quyết chi bộ đề nghị công nhận", "the branch recognition resolution"),
    "removal_proposal": ("ngày nghị quyết đề nghị xóa tên", "the resolution proposing removal"),
    "recognition_proposal": (
        "ngày nghị quyết, thẩm định đề nghị công nhận gần nhất",
        "the latest resolution or appraisal proposing recognition",
    ),
    "verification_sent": ("ngày gửi công văn thẩm tra", "the date the verification letter was sent"),
    "verification_received": ("ngày nơi nhận nhận được công văn", "the date the letter was received"),
    "verification_reply": ("ngày trả lời thẩm tra", "the reply date"),
}


# One open request in ``verification_open`` (its ``requests`` param: Params of subject, addressee,
# sent_on and due).
OPEN_REQUEST = (
    "{subject} – {addressee} (gửi ngày {sent_on}, hạn trả lời {due})",
    "{subject} – {addressee} (sent on {sent_on}, reply due {due})",
)
# Added to ``introducers_missing`` when two members must introduce: the union's resolution may replace one.
INTRODUCTION_HINTS = (
    "; nếu Đoàn TNCS Hồ Chí Minh hoặc Công đoàn cơ sở giới thiệu bằng nghị quyết, chọn hình thức giới thiệu đó "
    "khi ghi nhận bước «Hoàn thành giới thiệu» (khi đó chỉ cần một đảng viên)",
    "; if the Youth Union or the grassroots trade union introduces by resolution, choose that form when "
    "recording 'Complete the introduction' (then one member is enough)",
)
# The ``state`` param of ``verification_not_open``.
VERIFICATION_STATES: dict[str, tuple[str, str]] = {
    "answered": ("đã có trả lời", "already answered"),
    "cancelled": ("đã hủy", "cancelled"),
}


def _open_request(entry: Mapping[str, object], index: int) -> str:
    return OPEN_REQUEST[index].format(**{key: _show(value) for key, value in entry.items()})


def _show(value: object) -> str:
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, tuple | list):
        return ", ".join(_show(item) for item in value)
    return str(value)


# Reasons whose `documents` param lists document codes: shown with their names, in checklist order.
DOCUMENT_LISTS = frozenset({"documents_missing", "return_document_reason_required", "returned_documents_pending"})


def format_reason(item: Reason, lang: Literal["vi", "en"] = "vi") -> str:
    """The message of ``item`` in ``lang``, dates as dd/mm/yyyy and sequences comma-separated."""
    vi, en = REASON_CODES[item.code]
    index = 0 if lang == "vi" else 1
    template = (vi, en)[index]
    shown = {key: _show(value) for key, value in item.params.items()}
    if item.code == "verification_open":
        shown["requests"] = "; ".join(_open_request(entry, index) for entry in item.params["requests"])  # type: ignore[attr-defined]
    if item.code == "verification_not_open":
        shown["state"] = VERIFICATION_STATES.get(shown["state"], (shown["state"], shown["state"]))[index]
    if item.code == "denominator_explained":
        shown["exclusions"] = ", ".join(
            EXCLUSION_LABELS[status][index].format(n=n)
            for status, n in item.params["exclusions"]  # type: ignore[attr-defined]
        )
    if item.code in ("introducers_missing", "introducers_too_many"):
        shown["names"] = f" ({shown['names']})" if item.params.get("names") else ""
        mode = str(item.params.get("mode", ""))
        shown["hint"] = INTRODUCTION_HINTS[index] if mode == "TWO_MEMBERS" else ""
    if item.code in DOCUMENT_LISTS:
        shown["documents"] = documents_text(map(str, item.params["documents"]), lang)  # type: ignore[call-overload]
    if item.code == "document_change_reason_required":
        shown["document"] = documents_text([shown["document"]], lang)
    if item.code == "date_order":
        for key in ("first", "second"):
            shown[key] = DATE_LABELS.get(shown[key], (shown[key], shown[key]))[index]
    return template.format(**shown)
