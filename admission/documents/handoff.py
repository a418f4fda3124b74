"""Hand-off of new official members: the members a committee's subtree recognised in a period, with
the fields of the member record form (phiếu đảng viên) the committee re-types into the national
member database (HD38 II.1.1c(8); docs/decisions.md "Hand-off of new official members").

`handoff_rows` is the read (scoped by `candidate_list`, so by `members.selectors.scope_for`); the
page's Excel export and the API return the same rows, in the same column order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from admission.domain.stages import Stage
from admission.models import Candidate
from admission.selectors import candidate_list
from members.models import Organisation, User

# (key, column label): the member record form's fields, in its order, then where the member belongs.
COLUMNS: tuple[tuple[str, Any], ...] = (
    ("full_name", _("Họ và tên")),
    ("gender", _("Giới tính")),
    ("date_of_birth", _("Ngày sinh")),
    ("cccd", _("Số CCCD")),
    ("ethnicity", _("Dân tộc")),
    ("religion", _("Tôn giáo")),
    ("hometown", _("Quê quán")),
    ("residence", _("Nơi cư trú")),
    ("occupation", _("Nghề nghiệp")),
    ("education_level", _("Trình độ giáo dục phổ thông")),
    ("admission_decision_date", _("Ngày quyết định kết nạp")),
    ("admission_decision_number", _("Số quyết định kết nạp")),
    ("ceremony_date", _("Ngày vào Đảng")),
    ("official_date", _("Ngày chính thức")),
    ("recognition_decision_date", _("Ngày quyết định công nhận chính thức")),
    ("card_number", _("Số thẻ đảng viên")),
    ("branch", _("Chi bộ")),
    ("grassroots", _("Cấp ủy cấp trên trực tiếp của chi bộ")),
)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date


def recognised_in(*, user: User, organisation: Organisation, period: Period) -> list[Candidate]:
    """Probationers of `organisation`'s subtree recognised as official members (S17) by a decision
    dated within `period`, the user's scope applied."""
    return list(
        candidate_list(user=user, organisation=organisation, include_closed=True)
        .filter(stage=Stage.S17, recognition_decision_date__range=(period.start, period.end))
        .select_related("person", "organisation__parent", "member")
        .order_by("organisation__path", "person__sort_key", "pk")
    )


def handoff_rows(*, user: User, organisation: Organisation, period: Period) -> list[dict[str, Any]]:
    """One row per recognised member, keyed as COLUMNS (dates as dates, choices as their labels)."""
    rows = []
    for candidate in recognised_in(user=user, organisation=organisation, period=period):
        person = candidate.person
        branch = candidate.organisation
        member = candidate.member
        rows.append(
            {
                "full_name": person.full_name,
                "gender": person.get_gender_display(),
                "date_of_birth": person.date_of_birth,
                "cccd": person.cccd or "",
                "ethnicity": person.ethnicity,
                "religion": person.religion or str(_("Không")),
                "hometown": person.hometown,
                "residence": person.residence,
                "occupation": person.occupation,
                "education_level": person.get_education_level_display(),
                "admission_decision_date": candidate.decision_date,
                "admission_decision_number": candidate.decision_number,
                "ceremony_date": candidate.ceremony_date,
                "official_date": candidate.official_date,
                "recognition_decision_date": candidate.recognition_decision_date,
                "card_number": member.card_number if member else "",
                "branch": branch.name,
                "grassroots": branch.parent.name if branch.parent_id and branch.parent else "",
            }
        )
    return rows
