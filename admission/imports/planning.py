"""Checking every row against the database, read only, and saying what importing it would do."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models.functions import Upper
from django.utils.translation import gettext as _

from admission.domain import stages
from admission.domain.deadlines import probation_end
from admission.domain.rules import RuleBook
from admission.domain.stages import PIPELINE, STAGE_INFO, Stage
from admission.imports.cells import parse_row, resolve_cccd
from admission.imports.columns import (
    CANDIDATE_DATE_ORDER,
    CANDIDATE_FIELDS_FROM,
    CANDIDATE_REQUIRED,
    COLUMN_BY_KEY,
    DATE_KEYS,
    KIND_CANDIDATE,
    KIND_LABELS,
    KIND_MASSES,
    KIND_MEMBER,
    MEMBER_ONLY_KEYS,
    PERSON_BOOL_KEYS,
    PERSON_TEXT_KEYS,
    fields_recorded_by,
    fold,
)
from admission.imports.rows import Plan, RowPlan
from admission.imports.workbook import Sheet
from admission.models import CLOSED_STAGES, Candidate
from admission.rulebook import rulebook_for
from members import names
from members.authority import DecidingBody, NoDecidingBody
from members.models import BRANCH_KINDS, MemberStatus, Organisation, PartyMember, Person, User
from members.selectors import organisation_authority, scope_for
from members.services import cccd_conflict


def _stage_order(stage: Stage) -> int:
    return PIPELINE.index(stage)


@dataclass
class Lookups:
    """What the rows refer to, each read in one query for the whole file."""

    organisation: Organisation
    acting_user: User | None
    today: dt.date
    branches: dict[str, Organisation]
    branch_names: dict[str, Organisation | None]  # folded name -> branch (None: two share the name)
    people: dict[str, Person]
    open_candidacies: dict[int, Candidate]
    closed_candidacies: set[int]
    routes: dict[int, tuple[Stage, bool] | None] = field(default_factory=dict)
    rulebooks: dict[int, RuleBook] = field(default_factory=dict)

    def rulebook(self, branch: Organisation) -> RuleBook:
        if branch.pk not in self.rulebooks:
            self.rulebooks[branch.pk] = rulebook_for(branch)
        return self.rulebooks[branch.pk]

    def route(self, branch: Organisation) -> tuple[Stage, bool] | None:
        """Where a branch resolution goes (S8A, S9 or S10) and whether the grassroots committee
        decides itself (S9 -> S11), as services._route reads the organisation tree."""
        if branch.pk not in self.routes:
            try:
                authority = organisation_authority(organisation=branch)
            except NoDecidingBody:
                self.routes[branch.pk] = None
            else:
                decides_itself = authority.body == DecidingBody.GRASSROOTS_COMMITTEE
                after = stages.next_after_branch_resolution(
                    has_sub_committee=authority.appraisal_by is not None,
                    has_grassroots_committee=authority.grassroots_resolution_by is not None or decides_itself,
                    grassroots_decides_itself=decides_itself,
                )
                self.routes[branch.pk] = (after, decides_itself)
        return self.routes[branch.pk]


def _lookups(
    rows: list[RowPlan], *, organisation: Organisation, acting_user: User | None, today: dt.date, lock: bool
) -> Lookups:
    codes = {r.values["branch"] for r in rows if r.values.get("branch")}
    numbers = {r.values["cccd"] for r in rows if r.values.get("cccd")}
    people_qs = Person.objects.filter(cccd__in=numbers).select_related("organisation", "membership")
    if lock:
        # Inside the import's transaction: nobody changes these people until it commits.
        people_qs = people_qs.select_for_update(of=("self",))
    people = {p.cccd: p for p in people_qs if p.cccd}
    candidacies = Candidate.objects.filter(person__in=list(people.values())).select_related("member")
    open_candidacies: dict[int, Candidate] = {}
    closed: set[int] = set()
    for candidacy in candidacies:
        if candidacy.stage in CLOSED_STAGES:
            closed.add(candidacy.person_id)
        else:
            open_candidacies[candidacy.person_id] = candidacy
    # A "Chi bộ" column may name the branch instead of giving its code: only the branches under
    # the organisation being imported into are looked up by name (nothing outside it is revealed).
    by_code: dict[str, Organisation] = {
        o.code.upper(): o for o in Organisation.objects.annotate(code_upper=Upper("code")).filter(code_upper__in=codes)
    }
    branch_names: dict[str, Organisation | None] = {}
    if any(code.upper() not in by_code for code in codes):
        for branch in Organisation.objects.filter(path__startswith=organisation.path, kind__in=BRANCH_KINDS):
            key = fold(branch.name)
            branch_names[key] = None if key in branch_names else branch
    return Lookups(
        organisation=organisation,
        acting_user=acting_user,
        today=today,
        branches=by_code,  # codes are matched case-insensitively ("a" finds "A")
        branch_names=branch_names,
        people=people,
        open_candidacies=open_candidacies,
        closed_candidacies=closed,
    )


def _check_branch(plan: RowPlan, look: Lookups) -> None:
    code = plan.values.get("branch") or ""
    if not code:
        if look.organisation.is_branch:
            plan.branch = look.organisation
            plan.values["branch"] = look.organisation.code
            return
        plan.error("branch", _("Thiếu mã chi bộ."))
        return
    branch = look.branches.get(code.upper())
    if branch is None and fold(code) in look.branch_names:
        branch = look.branch_names[fold(code)]
        if branch is None:
            plan.error("branch", _("Có nhiều chi bộ tên «%(name)s»: ghi mã chi bộ.") % {"name": code})
            return
    if branch is None:
        plan.error("branch", _("Không có chi bộ mã «%(code)s»: xem mã trên trang tổ chức.") % {"code": code})
        return
    code = branch.code
    if (
        look.acting_user is not None and not scope_for(look.acting_user).can_edit(branch)
    ) or not branch.path.startswith(look.organisation.path):
        plan.error(
            "branch",
            _("Chi bộ mã «%(code)s» nằm ngoài phạm vi bạn được nhập (%(scope)s).")
            % {"code": code, "scope": look.organisation.name},
        )
        return
    if branch.kind not in BRANCH_KINDS:
        plan.error(
            "branch",
            _("«%(code)s» là %(kind)s, không phải chi bộ: người được quản lý ở chi bộ.")
            % {"code": code, "kind": branch.get_kind_display().lower()},
        )
        return
    plan.branch = branch
    plan.values["branch"] = branch.code


def _check_dates(plan: RowPlan, today: dt.date) -> None:
    for key in DATE_KEYS:
        day = plan.values.get(key)
        if key != "date_of_birth" and day is not None and day > today:
            plan.error(key, _("Ngày %(day)s ở tương lai.") % {"day": f"{day:%d/%m/%Y}"})
    born = plan.values.get("date_of_birth")
    if born is None:
        return
    for key in DATE_KEYS:
        day = plan.values.get(key)
        if key != "date_of_birth" and day is not None and day <= born:
            plan.error(
                key,
                _("«%(column)s» (%(day)s) không thể trước ngày sinh (%(born)s).")
                % {"column": COLUMN_BY_KEY[key].header, "day": f"{day:%d/%m/%Y}", "born": f"{born:%d/%m/%Y}"},
            )


def _check_order(plan: RowPlan, keys: Sequence[str], *, strict: Iterable[tuple[str, str]] = ()) -> None:
    """Each given date must not be before the previous given one (strictly after for `strict` pairs)."""
    strict_pairs = set(strict)
    previous: str | None = None
    for key in keys:
        day = plan.values.get(key)
        if day is None:
            continue
        if previous is not None:
            before = plan.values[previous]
            if day < before or (day == before and (previous, key) in strict_pairs):
                plan.error(
                    key,
                    _("«%(later)s» (%(day)s) không thể trước «%(earlier)s» (%(before)s).")
                    % {
                        "later": COLUMN_BY_KEY[key].header,
                        "day": f"{day:%d/%m/%Y}",
                        "earlier": COLUMN_BY_KEY[previous].header,
                        "before": f"{before:%d/%m/%Y}",
                    },
                )
        previous = key


def _not_for(plan: RowPlan, keys: Iterable[str], why: str) -> None:
    for key in keys:
        if plan.values.get(key) not in (None, ""):
            plan.error(key, why)


def _check_person(plan: RowPlan, look: Lookups) -> None:
    """Find the person by CCCD, check they may be changed here, and prepare the changes
    (validated by Person.full_clean: name of two words, CCCD structure, date of birth)."""
    values = plan.values
    number = values.get("cccd") or ""
    existing = look.people.get(number) if number else None
    if existing is not None:
        scope = scope_for(look.acting_user) if look.acting_user is not None else None
        if scope is not None and not scope.can_edit(existing.organisation):
            if scope.can_read(existing.organisation):
                plan.error(
                    "cccd",
                    _("Người có số CCCD này thuộc %(branch)s, bạn chỉ được xem; không thể cập nhật bằng tệp này.")
                    % {"branch": existing.organisation.name},
                )
            else:
                # Outside the scope: the same neutral answer as the person form, never "exists"
                # nor where (the attempt is audited against that person).
                plan.error("cccd", cccd_conflict(acting_user=look.acting_user, person=Person(cccd=number)) or "")
            return
        if plan.branch is not None and existing.organisation_id != plan.branch.pk:
            plan.error(
                "branch",
                _("Người có số CCCD này đang thuộc %(branch)s; chuyển sinh hoạt đảng không làm bằng nhập Excel.")
                % {"branch": existing.organisation.name},
            )
            return
        person = existing
    else:
        if not values.get("education_level"):
            plan.error("education_level", _("Thiếu trình độ (bắt buộc với người mới)."))
        # Without a usable branch the row is already refused; the person is still checked so
        # that every error of the row is reported at once.
        person = Person(organisation=plan.branch) if plan.branch is not None else Person()
        plan.person_new = True
    wanted: dict[str, Any] = {
        "full_name": names.normalize_name(values.get("full_name") or ""),
        "date_of_birth": values.get("date_of_birth"),
        "gender": values.get("gender"),
        "cccd": number,
    }
    if not values.get("full_name"):
        plan.error("full_name", _("Thiếu họ và tên."))
    if wanted["date_of_birth"] is None and not plan.has_error("date_of_birth"):
        plan.error("date_of_birth", _("Thiếu ngày sinh."))
    if wanted["gender"] is None and not plan.has_error("gender"):
        plan.error("gender", _("Thiếu giới tính."))
    for key in PERSON_TEXT_KEYS:
        if values.get(key):
            wanted[key] = names.normalize_text(values[key])
    if values.get("education_level"):
        wanted["education_level"] = values["education_level"]
    for key in PERSON_BOOL_KEYS:
        if values.get(key) is not None:
            wanted[key] = values[key]
        elif plan.person_new:
            wanted[key] = False
    changed = [k for k, v in wanted.items() if getattr(person, k) != v]
    for key in changed:
        setattr(person, key, wanted[key])
    # Fields already refused (a date that does not exist, a missing gender) are left out so the
    # same fault is not reported twice; Person.clean still runs (two-word name, CCCD structure).
    # The organisation is the branch just checked, and the CCCD's uniqueness is checked against
    # the file and the lookup above: no query per row for either.
    exclude = ["organisation", *(k for k in wanted if wanted[k] is None or plan.has_error(k))]
    try:
        person.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            for message in messages:
                plan.error(key if key in COLUMN_BY_KEY else "", message)
    plan.person = person
    plan.person_changed = [] if plan.person_new else changed


def _check_masses(plan: RowPlan, look: Lookups) -> None:
    person = plan.person
    _not_for(
        plan,
        ["stage", *CANDIDATE_FIELDS_FROM, *MEMBER_ONLY_KEYS],
        _("Chỉ ghi cho ứng viên hoặc đảng viên, không cho quần chúng."),
    )
    if person is None or plan.person_new:
        return
    if person.pk in look.open_candidacies:
        plan.error(
            "kind",
            _("Người này đang trong quy trình kết nạp (bước %(stage)s): ghi loại «Ứng viên» và đúng bước.")
            % {"stage": look.open_candidacies[person.pk].stage},
        )
    membership = getattr(person, "membership", None)
    if membership is not None and membership.status in (MemberStatus.OFFICIAL, MemberStatus.PROBATIONARY):
        plan.error("kind", _("Người này là đảng viên: ghi loại «Đảng viên»."))


def _check_member(plan: RowPlan, look: Lookups) -> None:
    values = plan.values
    _not_for(
        plan,
        ["stage", *(k for k in CANDIDATE_FIELDS_FROM if k not in (*MEMBER_ONLY_KEYS, "decision_number"))],
        _("Chỉ ghi cho ứng viên; với đảng viên để trống."),
    )
    if values.get("decision_number"):
        plan.notes.append(_("Số quyết định kết nạp của đảng viên chưa được lưu trong ứng dụng; bỏ qua."))
    for key in ("ceremony_date", "official_date"):
        if values.get(key) is None and not plan.has_error(key):
            plan.error(
                key,
                _("Thiếu «%(column)s» (bắt buộc với đảng viên). Đảng viên dự bị: nhập là ứng viên ở bước S12–S16.")
                % {"column": COLUMN_BY_KEY[key].header},
            )
    _check_order(plan, ("decision_date", "ceremony_date", "official_date"), strict=[("ceremony_date", "official_date")])
    person = plan.person
    if person is None or plan.branch is None:
        return
    if not plan.person_new and person.pk in look.open_candidacies:
        plan.error(
            "kind",
            _("Người này đang trong quy trình kết nạp (bước %(stage)s): ghi loại «Ứng viên» và đúng bước.")
            % {"stage": look.open_candidacies[person.pk].stage},
        )
        return
    member = getattr(person, "membership", None) if not plan.person_new else None
    if member is not None and member.status in (MemberStatus.REMOVED, MemberStatus.LEFT):
        plan.error(
            "kind",
            _("Người này đã %(status)s; không nhập lại bằng tệp.") % {"status": member.get_status_display().lower()},
        )
        return
    wanted = {
        "status": MemberStatus.OFFICIAL.value,
        "admission_decision_date": values.get("decision_date"),
        "ceremony_date": values.get("ceremony_date"),
        "official_date": values.get("official_date"),
        "card_number": values.get("card_number") or "",
    }
    if member is None:
        plan.member = PartyMember(person=person, organisation=person.organisation, **wanted)
        return
    # Blank cells keep what is recorded.
    changed = [k for k, v in wanted.items() if v not in (None, "") and getattr(member, k) != v]
    for key in changed:
        setattr(member, key, wanted[key])
    plan.member = member
    plan.member_changed = changed


def _route_path(after_branch: Stage, decides_itself: bool, *, with_class: bool) -> list[Stage]:
    """The stages from S0 to S16 along this branch's route (S2 only when the class is pending)."""
    path = [Stage.S0, Stage.S1, *([Stage.S2] if with_class else []), Stage.S3, Stage.S4, Stage.S5, Stage.S6]
    path += [Stage.S7, Stage.S8]
    if after_branch == Stage.S8A:
        path += [Stage.S8A, Stage.S9]
    elif after_branch == Stage.S9:
        path += [Stage.S9]
    if not decides_itself:
        path += [Stage.S10]
    return path + [Stage.S11, Stage.S12, Stage.S13, Stage.S14, Stage.S15, Stage.S16]


def _check_candidate(plan: RowPlan, look: Lookups) -> None:
    values = plan.values
    target: Stage | None = values.get("stage")
    if target is None:
        if not plan.has_error("stage"):
            plan.error("stage", _("Thiếu bước (S0 … S16) của ứng viên."))
        return
    order = _stage_order(target)
    for key, first in CANDIDATE_FIELDS_FROM.items():
        given = values.get(key) not in (None, "")
        if key == "official_date":
            continue
        if given and order < _stage_order(first):
            plan.error(
                key,
                _("Ứng viên ở bước %(stage)s chưa có «%(column)s» (chỉ ghi từ bước %(first)s); kiểm tra lại bước.")
                % {"stage": target, "column": COLUMN_BY_KEY[key].header, "first": first},
            )
        elif (
            not given
            and key in CANDIDATE_REQUIRED
            and order >= _stage_order(first)
            and not plan.has_error(key)
            and not (order >= _stage_order(Stage.S12) and _stage_order(first) < _stage_order(Stage.S12))
        ):
            plan.error(
                key,
                _("Ứng viên ở bước %(stage)s phải có «%(column)s».")
                % {"stage": target, "column": COLUMN_BY_KEY[key].header},
            )
    if order >= _stage_order(Stage.S12):
        unknown = [
            COLUMN_BY_KEY[k].header
            for k, first in CANDIDATE_FIELDS_FROM.items()
            if k in CANDIDATE_REQUIRED and _stage_order(first) < _stage_order(Stage.S12) and values.get(k) is None
        ]
        if unknown and not any(plan.has_error(k) for k in CANDIDATE_FIELDS_FROM):
            # An admitted (probationary) member: branch lists rarely keep the dates before the
            # admission; the steps are recorded on the earliest later date given, the fields stay empty.
            plan.notes.append(
                _("Không có %(columns)s: các bước đó được ghi theo ngày muộn hơn sớm nhất có trong tệp.")
                % {"columns": ", ".join(f"«{h}»" for h in unknown)}
            )
    if values.get("certificate_issue_date") and values.get("dossier_start_date"):
        _check_order(plan, ("certificate_issue_date", "dossier_start_date"))
    ceremony = values.get("ceremony_date")
    if ceremony is not None and plan.branch is not None:
        end = probation_end(ceremony_date=ceremony, rules=look.rulebook(plan.branch).for_date(ceremony)).day
        official = values.get("official_date")
        if order < _stage_order(Stage.S14):
            if official is not None:
                plan.error(
                    "official_date",
                    _(
                        "Ứng viên ở bước %(stage)s chưa có ngày chính thức; ứng dụng tự tính (%(end)s, hết 12 tháng dự bị)."
                    )
                    % {"stage": target, "end": f"{end:%d/%m/%Y}"},
                )
        elif end > look.today:
            plan.error(
                "stage",
                _("Chưa hết thời kỳ dự bị (đến %(end)s) nên ứng viên chưa thể ở bước %(stage)s.")
                % {"end": f"{end:%d/%m/%Y}", "stage": target},
            )
        elif official is not None and official != end:
            plan.error(
                "official_date",
                _("Ngày chính thức phải là %(end)s (hết 12 tháng dự bị kể từ lễ kết nạp).")
                % {"end": f"{end:%d/%m/%Y}"},
            )
        else:
            values["official_date"] = end
    elif values.get("official_date") is not None and order < _stage_order(Stage.S14):
        plan.error("official_date", _("Ứng viên ở bước %(stage)s chưa có ngày chính thức.") % {"stage": target})
    _check_order(
        plan,
        CANDIDATE_DATE_ORDER,
        strict=[("ceremony_date", "official_date")],
    )
    if plan.branch is None:
        return
    route = look.route(plan.branch)
    if route is None:
        plan.error("branch", _("Không xác định được cấp có thẩm quyền kết nạp cho chi bộ này (cây tổ chức)."))
        return
    person = plan.person
    existing = look.open_candidacies.get(person.pk) if person is not None and not plan.person_new else None
    current = existing.stage_enum if existing is not None else Stage.S0
    path = _route_path(*route, with_class=Stage.S2 in (target, current))
    if target not in path:
        plan.error(
            "stage",
            _("Bước %(stage)s không có trên đường xét hồ sơ của chi bộ này (sau S8 là %(next)s).")
            % {"stage": target, "next": route[0]},
        )
        return
    if person is None:
        return
    if existing is None:
        _check_new_candidacy(plan, look, person)
        plan.path = path[: path.index(target) + 1]
        plan.candidate_new = True
        return
    _check_existing_candidacy(plan, existing, path, target)


def _check_new_candidacy(plan: RowPlan, look: Lookups, person: Person) -> None:
    if plan.person_new:
        return
    membership = getattr(person, "membership", None)
    if membership is not None and membership.status in (MemberStatus.OFFICIAL, MemberStatus.PROBATIONARY):
        plan.error("kind", _("Người này đã là đảng viên: ghi loại «Đảng viên»."))
    elif person.pk in look.closed_candidacies:
        plan.error(
            "kind",
            _("Người này đã kết thúc một quy trình kết nạp; kết nạp lại phải ghi trên ứng dụng, không bằng tệp."),
        )


def _check_existing_candidacy(plan: RowPlan, existing: Candidate, path: list[Stage], target: Stage) -> None:
    """Re-importing a candidacy: the recorded steps must agree with the file; the file may only
    take the candidate further along the route (never back, never another date for a step)."""
    current = existing.stage_enum
    if current not in path or path.index(current) > path.index(target):
        plan.error(
            "stage",
            _(
                "Ứng viên đang ở bước %(current)s trong ứng dụng; tệp ghi bước %(stage)s. "
                "Nhập Excel không lùi bước: sửa trên trang hồ sơ ứng viên."
            )
            % {"current": current, "stage": target},
        )
        return
    passed = path[: path.index(current) + 1]
    recorded_keys = {k for a, b in zip(passed, passed[1:], strict=False) for k in fields_recorded_by(a, b)}
    for key in sorted(recorded_keys - {"decision_received_date"}):
        given = plan.values.get(key)
        if given in (None, ""):
            continue
        stored = getattr(existing, key)
        if stored != given:
            shown = f"{stored:%d/%m/%Y}" if isinstance(stored, dt.date) else (stored or "—")
            plan.error(
                key,
                _("Khác với giá trị đã ghi trong ứng dụng (%(stored)s); sửa trên trang hồ sơ ứng viên nếu cần.")
                % {"stored": shown},
            )
    plan.candidate = existing
    plan.path = path[path.index(current) : path.index(target) + 1]
    card = plan.values.get("card_number")
    if card and current >= Stage.S12 and existing.member is not None and existing.member.card_number != card:
        plan.member_changed = ["card_number"]


def _classify(plan: RowPlan) -> None:
    if plan.errors:
        plan.outcome = "error"
    elif plan.person_new:
        plan.outcome = "create"
    elif (
        plan.person_changed
        or plan.member_changed
        or (plan.member is not None and plan.member.pk is None)
        or plan.candidate_new
        or len(plan.path) > 1
    ):
        plan.outcome = "update"
    else:
        plan.outcome = "unchanged"


_CANDIDATE_DATES = ("sympathiser_date", "certificate_issue_date", "dossier_start_date", "branch_resolution_date",
                    "decision_date", "ceremony_date", "recognition_branch_date")  # fmt: skip


def _shown_date(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


def _infer_kind(plan: RowPlan) -> None:
    """No "Loại" column: an official date makes an official member, any date of the admission
    process a candidate, no date a non-member."""
    values = plan.values
    given = [k for k in _CANDIDATE_DATES if values.get(k) is not None or k in plan.year_only]
    if values.get("official_date") is not None or "official_date" in plan.year_only:
        kind, source = KIND_MEMBER, "official_date"
    elif given:
        kind, source = KIND_CANDIDATE, given[-1]
    else:
        kind, source = KIND_MASSES, ""
    values["kind"] = kind
    plan.inferred = (
        _("Loại «%(kind)s» suy ra từ «%(column)s».")
        % {"kind": KIND_LABELS[kind], "column": COLUMN_BY_KEY[source].header}
        if source
        else _("Loại «%(kind)s»: không có ngày nào của quy trình kết nạp.") % {"kind": KIND_LABELS[kind]}
    )


def _infer_stage(plan: RowPlan, look: Lookups) -> Stage | None:
    """No "Bước" column: the stage the latest given date leads to (the step that records it), shown
    in the dry run for confirmation. A ceremony date gives probation (S13), or the recognition
    dossier (S14) once the 12 months have passed (QĐ294 4.2.2)."""
    values = plan.values
    found: tuple[Stage, str] | None = None
    if values.get("recognition_branch_date") is not None:
        found = (Stage.S16, "recognition_branch_date")
    elif (ceremony := values.get("ceremony_date")) is not None:
        if plan.branch is None:
            return None
        end = probation_end(ceremony_date=ceremony, rules=look.rulebook(plan.branch).for_date(ceremony)).day
        found = (Stage.S14 if end <= look.today else Stage.S13, "ceremony_date")
    elif values.get("decision_date") is not None:
        found = (Stage.S11, "decision_date")
    elif values.get("branch_resolution_date") is not None:
        route = look.route(plan.branch) if plan.branch is not None else None
        if route is None:
            return None
        found = (route[0], "branch_resolution_date")
    else:
        for key, stage in (("dossier_start_date", Stage.S4), ("certificate_issue_date", Stage.S3),
                           ("sympathiser_date", Stage.S1)):  # fmt: skip
            if values.get(key) is not None:
                found = (stage, key)
                break
    stage, source = found or (Stage.S0, "")
    values["stage"] = stage
    label = f"{stage} · {STAGE_INFO[stage].label_vi}"
    why = (
        _("Bước %(stage)s suy ra từ «%(column)s» (%(day)s).")
        % {"stage": label, "column": COLUMN_BY_KEY[source].header, "day": _shown_date(values[source])}
        if source
        else _("Bước %(stage)s: không có ngày nào của quy trình kết nạp.") % {"stage": label}
    )
    plan.inferred = f"{plan.inferred} {why}".strip()
    return stage


def _check_year_only(plan: RowPlan) -> None:
    """«năm 1985»: only an official member's date of birth may be a year alone (no rule reads it:
    the age counted by month, QĐ294 1.1.1, is a candidate's); it is kept as 01/01 of that year.
    Every other date starts or ends a time limit counted in days or months."""
    for key, (year, text) in plan.year_only.items():
        if key == "date_of_birth" and plan.values.get("kind") == KIND_MEMBER:
            plan.values[key] = dt.date(year, 1, 1)
            plan.notes.append(
                _("Chỉ có năm sinh %(year)s: ghi ngày sinh là 01/01/%(year)s (đảng viên chính thức).") % {"year": year}
            )
        elif key == "date_of_birth":
            plan.error(
                key,
                _(
                    "«%(value)s» chỉ có năm: người chưa là đảng viên chính thức cần đủ ngày, tháng sinh "
                    "vì tuổi vào Đảng tính theo tháng (QĐ294 1.1.1)."
                )
                % {"value": text},
            )
        else:
            plan.error(
                key,
                _("«%(value)s» chỉ có năm: cần đủ ngày, tháng, năm (dd/mm/yyyy) vì các thời hạn tính theo ngày.")
                % {"value": text},
            )


def _duplicates(rows: list[RowPlan]) -> None:
    by_number: dict[str, list[RowPlan]] = {}
    for plan in rows:
        if plan.values.get("cccd"):
            by_number.setdefault(plan.values["cccd"], []).append(plan)
    several_sheets = len({p.sheet for p in rows}) > 1
    for same in by_number.values():
        if len(same) > 1:
            listed = ", ".join(f"{p.row} ({p.sheet})" if several_sheets else str(p.row) for p in same)
            for plan in same:
                plan.error("cccd", _("Số CCCD trùng ở các dòng %(rows)s của tệp.") % {"rows": listed})


def plan_sheets(
    sheets: list[Sheet], *, organisation: Organisation, acting_user: User | None, today: dt.date, lock: bool = False
) -> Plan:
    """Check every row of every sheet (read only) and say what importing it would do."""
    rows: list[RowPlan] = []
    infer: dict[int, tuple[bool, bool]] = {}  # id(plan) -> (infer the kind, infer the stage)
    for sheet in sheets:
        for number, values in sheet.rows:
            plan = parse_row(number, values, sheet.columns, today=today, sheet=sheet.title)
            if not plan.values.get("branch") and sheet.branch:
                plan.values["branch"] = sheet.branch
            resolve_cccd(plan, gender_from_cccd="gender" not in sheet.columns)
            infer[id(plan)] = ("kind" not in sheet.columns, "stage" not in sheet.columns)
            rows.append(plan)
    _duplicates(rows)
    look = _lookups(rows, organisation=organisation, acting_user=acting_user, today=today, lock=lock)
    for plan in rows:
        infer_kind, infer_stage = infer[id(plan)]
        _check_branch(plan, look)
        if infer_kind:
            _infer_kind(plan)
        _check_year_only(plan)
        _check_dates(plan, today)
        kind = plan.values.get("kind")
        if kind is None and not plan.has_error("kind"):
            plan.error("kind", _("Thiếu loại: «Quần chúng», «Ứng viên» hoặc «Đảng viên»."))
        _check_person(plan, look)
        if kind == KIND_MASSES:
            _check_masses(plan, look)
        elif kind == KIND_MEMBER:
            _check_member(plan, look)
        elif kind == KIND_CANDIDATE:
            if infer_stage and plan.values.get("stage") is None and _infer_stage(plan, look) is None:
                plan.error("stage", _("Không suy ra được bước khi chưa xác định chi bộ."))
            else:
                _check_candidate(plan, look)
        _classify(plan)
    return Plan(rows)
