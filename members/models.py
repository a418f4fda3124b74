"""Organisations (the party tree), people, party members, accounts and scoped roles."""

from __future__ import annotations

import contextlib
import re
from datetime import date

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from members import cccd, names
from members.lookups import StartsWithAny


class OrganisationKind(models.TextChoices):
    """Levels of the party tree (admission-rules §1, organisation terms)."""

    PROVINCE = "province", _("Đảng bộ tỉnh/thành phố")
    COMMUNE = "commune", _("Đảng bộ xã/phường/đặc khu")
    PROVINCIAL_AGENCIES = "agencies", _("Đảng bộ các cơ quan Đảng tỉnh")
    PROVINCIAL_GOVERNMENT = "government", _("Đảng bộ Ủy ban nhân dân tỉnh")
    GRASSROOTS_COMMITTEE = "grassroots_committee", _("Đảng bộ cơ sở")
    GRASSROOTS_BRANCH = "grassroots_branch", _("Chi bộ cơ sở")
    SUB_COMMITTEE = "sub_committee", _("Đảng bộ bộ phận")
    BRANCH = "branch", _("Chi bộ trực thuộc")
    VILLAGE_BRANCH = "village_branch", _("Chi bộ thôn/tổ dân phố")


# Organisations that hold people directly (the branch meeting votes on them).
BRANCH_KINDS = frozenset({OrganisationKind.GRASSROOTS_BRANCH, OrganisationKind.BRANCH, OrganisationKind.VILLAGE_BRANCH})
# Which kinds may sit under which (QĐ294 10, 20.2-20.3).
ALLOWED_PARENTS: dict[str, frozenset[str | None]] = {
    OrganisationKind.PROVINCE: frozenset({None}),
    OrganisationKind.COMMUNE: frozenset({OrganisationKind.PROVINCE}),
    OrganisationKind.PROVINCIAL_AGENCIES: frozenset({OrganisationKind.PROVINCE}),
    OrganisationKind.PROVINCIAL_GOVERNMENT: frozenset({OrganisationKind.PROVINCE}),
    OrganisationKind.GRASSROOTS_COMMITTEE: frozenset(
        {
            OrganisationKind.PROVINCE,
            OrganisationKind.COMMUNE,
            OrganisationKind.PROVINCIAL_AGENCIES,
            OrganisationKind.PROVINCIAL_GOVERNMENT,
            OrganisationKind.GRASSROOTS_COMMITTEE,  # under an empowered committee (QĐ294 10.6)
        }
    ),
    OrganisationKind.GRASSROOTS_BRANCH: frozenset(
        {
            OrganisationKind.PROVINCE,
            OrganisationKind.COMMUNE,
            OrganisationKind.PROVINCIAL_AGENCIES,
            OrganisationKind.PROVINCIAL_GOVERNMENT,
            OrganisationKind.GRASSROOTS_COMMITTEE,
        }
    ),
    OrganisationKind.SUB_COMMITTEE: frozenset({OrganisationKind.GRASSROOTS_COMMITTEE}),
    OrganisationKind.BRANCH: frozenset({OrganisationKind.GRASSROOTS_COMMITTEE, OrganisationKind.SUB_COMMITTEE}),
    OrganisationKind.VILLAGE_BRANCH: frozenset({OrganisationKind.COMMUNE}),
}


class Organisation(models.Model):
    """A node of the party tree, with a materialised path for subtree queries.

    `path` is `/<id>/<id>/.../` from the root; a subtree is `path LIKE '<path>%'`,
    served by a `varchar_pattern_ops` index on PostgreSQL.
    """

    kind = models.CharField(_("cấp tổ chức"), max_length=32, choices=OrganisationKind.choices)
    name = models.CharField(_("tên"), max_length=200)
    code = models.CharField(_("mã"), max_length=32, unique=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("trực thuộc"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, editable=False, default="")
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    delegated_to_admit = models.BooleanField(_("được ủy quyền kết nạp"), default=False)
    upper_level_powers = models.BooleanField(_("được giao quyền cấp trên cơ sở"), default=False)
    province_code = models.PositiveIntegerField(_("mã tỉnh (đơn vị hành chính)"), null=True, blank=True)
    ward_code = models.PositiveIntegerField(_("mã xã/phường"), null=True, blank=True)
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)
    meeting_day = models.PositiveSmallIntegerField(_("ngày sinh hoạt chi bộ hằng tháng"), default=5)

    class Meta:
        verbose_name = _("tổ chức đảng")
        verbose_name_plural = _("tổ chức đảng")
        ordering = ["path"]
        indexes = [
            models.Index(fields=["path"], name="org_path_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["parent", "name"], name="org_parent_name"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=OrganisationKind.values), name="org_kind_valid"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="org_validity_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_branch(self) -> bool:
        return self.kind in BRANCH_KINDS

    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to this organisation, read from the path (no query)."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def administrative_unit(self) -> str:
        """Names of the ward and province (vietnam-provinces, post-2025 units)."""
        from vietnam_provinces import Province, Ward

        parts = []
        if self.ward_code:
            with contextlib.suppress(ValueError):
                parts.append(Ward.from_code(self.ward_code).name)  # type: ignore[arg-type]
        if self.province_code:
            with contextlib.suppress(ValueError):
                parts.append(Province.from_code(self.province_code).name)  # type: ignore[arg-type]
        return ", ".join(parts)

    def is_valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


# Below any of a list of organisations in one lookup (members/lookups.py).
Organisation._meta.get_field("path").register_lookup(StartsWithAny)


class Gender(models.TextChoices):
    MALE = cccd.MALE, _("Nam")
    FEMALE = cccd.FEMALE, _("Nữ")


class EducationLevel(models.TextChoices):
    """General education and degrees (QĐ294 1.2.1, HD06 1.2)."""

    NONE = "none", _("Chưa biết chữ")
    LITERATE = "literate", _("Biết đọc, biết viết chữ quốc ngữ")
    PRIMARY = "primary", _("Tiểu học")
    LOWER_SECONDARY = "lower_secondary", _("Trung học cơ sở")
    UPPER_SECONDARY = "upper_secondary", _("Trung học phổ thông")
    VOCATIONAL = "vocational", _("Trung cấp")
    COLLEGE = "college", _("Cao đẳng")
    UNIVERSITY = "university", _("Đại học")
    POSTGRADUATE = "postgraduate", _("Sau đại học")


CCCD_MESSAGES = {
    "not_digits": _("Số CCCD chỉ được gồm chữ số."),
    "wrong_length": _("Số CCCD phải có đúng 12 chữ số."),
    "unknown_province": _("Ba chữ số đầu của số CCCD không phải mã tỉnh nơi đăng ký khai sinh."),
    "gender_mismatch": _("Chữ số thứ tư của số CCCD không khớp với giới tính đã chọn."),
    "birth_year_mismatch": _("Chữ số thứ tư đến thứ sáu của số CCCD không khớp với năm sinh."),
}


BIRTH_DATE_MIN = date(1900, 1, 1)
BIRTH_DATE_MAX = date(2100, 12, 31)


_PHONE_CHARACTERS = re.compile(r"\+?[0-9][0-9 .\-]*")


def phone_number_ok(phone: str) -> bool:
    """A phone number as people write it: 8 to 15 digits (a mobile 0912 345 678, a landline with its
    area code, +84 …), separated by spaces, dots or hyphens, an optional + in front."""
    digits = sum(ch.isdigit() for ch in phone)
    return bool(_PHONE_CHARACTERS.fullmatch(phone.strip())) and 8 <= digits <= 15


class Person(models.Model):
    """Anyone the tracker knows: outstanding non-members, candidates, members.

    `organisation` is the branch that manages the person and decides who may see them.
    `search_key` and `sort_key` are derived from the name on every save.
    """

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("chi bộ"), on_delete=models.PROTECT, related_name="people"
    )
    full_name = models.CharField(_("họ và tên"), max_length=120)
    family_name = models.CharField(_("họ"), max_length=40, editable=False)
    middle_name = models.CharField(_("tên đệm"), max_length=60, blank=True, editable=False)
    given_name = models.CharField(_("tên"), max_length=40, editable=False)
    search_key = models.CharField(max_length=120, editable=False, db_index=True)
    sort_key = models.CharField(max_length=400, editable=False)
    date_of_birth = models.DateField(_("ngày sinh"))
    gender = models.CharField(_("giới tính"), max_length=1, choices=Gender.choices)
    ethnicity = models.CharField(_("dân tộc"), max_length=40, default="Kinh")
    religion = models.CharField(_("tôn giáo"), max_length=60, blank=True, default="")
    cccd = models.CharField(_("số CCCD"), max_length=12, null=True, blank=True, unique=True)
    phone = models.CharField(_("điện thoại"), max_length=20, blank=True, default="")
    email = models.EmailField(_("thư điện tử"), blank=True, default="")
    hometown = models.CharField(_("quê quán"), max_length=200, blank=True, default="")
    residence = models.CharField(_("nơi cư trú"), max_length=200, blank=True, default="")
    education_level = models.CharField(
        _("trình độ giáo dục phổ thông"),
        max_length=20,
        choices=EducationLevel.choices,
        default=EducationLevel.UPPER_SECONDARY,
    )
    occupation = models.CharField(_("nghề nghiệp"), max_length=120, blank=True, default="")
    youth_union_member = models.BooleanField(_("đoàn viên Đoàn TNCS Hồ Chí Minh"), default=False)
    trade_union_member = models.BooleanField(_("đoàn viên công đoàn"), default=False)
    # For the breakdowns of the public reports (§9 of the rules): pupils and students, and
    # workers in private enterprises, are counted separately.
    is_student = models.BooleanField(_("học sinh, sinh viên"), default=False)
    private_enterprise_worker = models.BooleanField(_("người lao động trong doanh nghiệp tư nhân"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["search_key", "sort_key"])

    class Meta:
        verbose_name = _("người")
        verbose_name_plural = _("người")
        indexes = [
            models.Index(fields=["organisation", "sort_key"], name="person_org_sort"),
            models.Index(fields=["sort_key"], name="person_sort"),
            # The statistics' breakdowns look each admitted member's person up by id for these
            # columns only (admission/reporting/breakdowns.py): read from the index, not the row.
            models.Index(
                fields=["id"],
                include=[
                    "gender",
                    "ethnicity",
                    "religion",
                    "education_level",
                    "youth_union_member",
                    "is_student",
                    "private_enterprise_worker",
                    "date_of_birth",
                ],
                name="person_breakdown",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(gender__in=Gender.values), name="person_gender_valid"),
            models.CheckConstraint(
                condition=Q(cccd__isnull=True) | Q(cccd__regex=r"^[0-9]{12}$"), name="person_cccd_12_digits"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: object, **kwargs: object) -> None:
        self.full_name = names.normalize_name(self.full_name)
        self.family_name, self.middle_name, self.given_name = names.split_name(self.full_name)
        self.search_key = names.search_key(self.full_name)
        self.sort_key = names.sort_key(self.family_name, self.middle_name, self.given_name)
        for field in ("ethnicity", "religion", "hometown", "residence", "occupation"):
            setattr(self, field, names.normalize_text(getattr(self, field)))
        self.cccd = self.cccd or None
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        """Field errors in the user's language; runs for forms and for services (full_clean)."""
        errors: dict[str, list[object]] = {}
        self.full_name = names.normalize_name(self.full_name or "")
        if names.invisible_characters(self.full_name):
            errors.setdefault("full_name", []).append(
                _("Họ và tên chứa ký tự ẩn hoặc ký tự đổi chiều văn bản (%(codes)s); hãy gõ lại tên.")
                % {"codes": ", ".join(dict.fromkeys(names.invisible_characters(self.full_name)))}
            )
        elif self.full_name and len(self.full_name.split(" ")) < 2:  # empty: the field's own "required"
            errors.setdefault("full_name", []).append(_("Họ và tên phải có ít nhất họ và tên (hai từ)."))
        elif self._name_too_long():
            errors.setdefault("full_name", []).append(
                _("Họ và tên quá dài: họ tối đa 40 ký tự, tên đệm 60 ký tự, tên 40 ký tự, cả họ tên 120 ký tự.")
            )
        today = timezone.localdate()
        if self.date_of_birth and self.date_of_birth > today:
            errors.setdefault("date_of_birth", []).append(_("Ngày sinh không được ở tương lai."))
        elif self.date_of_birth and not BIRTH_DATE_MIN <= self.date_of_birth <= BIRTH_DATE_MAX:
            # The same bounds as the API's dates (admission.api.serializers MIN_DAY, MAX_DAY).
            errors.setdefault("date_of_birth", []).append(_("Ngày sinh phải trong khoảng năm 1900 đến năm 2100."))
        if self.phone and not phone_number_ok(self.phone):
            errors.setdefault("phone", []).append(
                _(
                    "Số điện thoại gồm 8 đến 15 chữ số, có thể có dấu cách, dấu chấm, gạch ngang và dấu + ở đầu; ví dụ 0912 345 678."
                )
            )
        if self.cccd:
            self.cccd = "".join(self.cccd.split())
            for code in cccd.cccd_errors(self.cccd, gender=self.gender or None, date_of_birth=self.date_of_birth):
                errors.setdefault("cccd", []).append(CCCD_MESSAGES[code])
        if errors:
            raise ValidationError(errors)

    def _name_too_long(self) -> bool:
        """Normalising can lengthen a name (NFC, "ß" -> "SS"), so the parts are measured after it."""

        def limit(field: str) -> int:
            return int(self._meta.get_field(field).max_length or 0)  # type: ignore[union-attr]

        parts = zip(("family_name", "middle_name", "given_name"), names.split_name(self.full_name), strict=True)
        return (
            len(self.full_name) > limit("full_name")
            or len(names.search_key(self.full_name)) > limit("search_key")
            or any(len(part) > limit(field) for field, part in parts)
        )

    @property
    def masked_cccd(self) -> str:
        return cccd.mask_cccd(self.cccd or "")


class MemberStatus(models.TextChoices):
    PROBATIONARY = "probationary", _("Dự bị")
    OFFICIAL = "official", _("Chính thức")
    REMOVED = "removed", _("Đã xóa tên")
    LEFT = "left", _("Đã chuyển đi/ra khỏi Đảng")


class PartyMember(models.Model):
    """A person's membership: the dates of §7 of the rules and the party card."""

    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="membership")
    # Its own index would repeat the first column of the composite indexes below.
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("chi bộ"), on_delete=models.PROTECT, related_name="members", db_index=False
    )
    status = models.CharField(_("trạng thái"), max_length=16, choices=MemberStatus.choices)
    admission_decision_date = models.DateField(_("ngày quyết định kết nạp"), null=True, blank=True)
    ceremony_date = models.DateField(_("ngày vào Đảng (lễ kết nạp)"), null=True, blank=True)
    official_date = models.DateField(_("ngày chính thức"), null=True, blank=True)
    left_date = models.DateField(_("ngày ra khỏi danh sách"), null=True, blank=True)
    card_number = models.CharField(_("số thẻ đảng viên"), max_length=20, blank=True, default="")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("đảng viên")
        verbose_name_plural = _("đảng viên")
        indexes = [
            models.Index(fields=["organisation", "status"], name="member_org_status"),
            # Statistics (admission.reporting.statistics): admissions of a period, by ceremony or decision date,
            # in the whole tree (the day alone) or per organisation of a subtree (the breakdowns: one index
            # probe per organisation that reads only its admissions of the period; Hà Nội on the national
            # preset: 153 → 110 ms).
            models.Index(fields=["ceremony_date"], name="member_ceremony_date"),
            models.Index(fields=["admission_decision_date"], name="member_decision_date"),
            models.Index(fields=["organisation", "ceremony_date"], name="member_org_ceremony"),
            models.Index(fields=["organisation", "admission_decision_date"], name="member_org_decision"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=MemberStatus.values), name="member_status_valid"),
            models.CheckConstraint(
                condition=Q(ceremony_date__isnull=True)
                | Q(admission_decision_date__isnull=True)
                | Q(ceremony_date__gte=models.F("admission_decision_date")),
                name="member_ceremony_after_decision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_status_display()})"

    def party_age_years(self, on: date) -> int | None:
        """Whole years of Party age on `on`, counted from the admission decision (QĐ294 4.5.1).

        Gaps (expulsion, removal, lost contact) are not recorded yet, so none is subtracted.
        """
        start = self.admission_decision_date
        if start is None or on < start:
            return None
        return on.year - start.year - ((on.month, on.day) < (start.month, start.day))


class User(AbstractUser):
    """A login. What it may see comes only from its RoleAssignments."""

    person = models.OneToOneField(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="account", verbose_name=_("là người")
    )
    email_digest = models.BooleanField(_("nhận thư tổng hợp hằng ngày"), default=True)
    digest_hour = models.PositiveSmallIntegerField(
        _("giờ gửi thư tổng hợp"), default=7, validators=[MinValueValidator(0), MaxValueValidator(23)]
    )
    # Private, revocable calendar feed (ICS); empty = no feed.
    calendar_token = models.CharField(max_length=43, blank=True, default="", db_index=True)
    preferred_language = models.CharField(
        _("ngôn ngữ"), max_length=5, default="vi", choices=[("vi", "Tiếng Việt"), ("en", "English")]
    )

    class Meta:
        verbose_name = _("tài khoản")
        verbose_name_plural = _("tài khoản")


class Role(models.TextChoices):
    BRANCH_SECRETARY = "branch_secretary", _("Bí thư chi bộ")
    BRANCH_DEPUTY = "branch_deputy", _("Phó bí thư chi bộ")
    COMMITTEE_STAFF = "committee_staff", _("Cán bộ cơ quan tổ chức/văn phòng cấp ủy")
    COMMITTEE_LEADER = "committee_leader", _("Lãnh đạo cấp ủy")
    MENTOR = "mentor", _("Đảng viên giúp đỡ")
    AUDITOR = "auditor", _("Kiểm tra, giám sát (chỉ xem)")
    ADMINISTRATOR = "administrator", _("Quản trị hệ thống")
    # The person whose candidacy it is, on their own branch: reads only their own case through the
    # self-service pages (admission.candidate_views); grants no organisation scope (scope_for).
    CANDIDATE = "candidate", _("Người vào Đảng (tự theo dõi hồ sơ của mình)")


# Roles that read no organisation's data: mentors see their mentees, candidates their own case.
NON_SCOPE_ROLES = frozenset({Role.MENTOR, Role.CANDIDATE})
# Roles that may change data in their scope (auditors and mentors only read).
EDITING_ROLES = frozenset(
    {Role.BRANCH_SECRETARY, Role.BRANCH_DEPUTY, Role.COMMITTEE_STAFF, Role.COMMITTEE_LEADER, Role.ADMINISTRATOR}
)
COMMITTEE_ROLES = frozenset({Role.COMMITTEE_STAFF, Role.COMMITTEE_LEADER})
# Roles that record the branch's own acts (its resolutions, its ceremony, its dossier steps).
BRANCH_ROLES = frozenset({Role.BRANCH_SECRETARY, Role.BRANCH_DEPUTY})


class RoleAssignment(models.Model):
    """A role held by a user on an organisation; it grants that organisation's subtree."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("vai trò"), max_length=32, choices=Role.choices)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("vai trò")
        verbose_name_plural = _("vai trò")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation", "role"], name="role_unique"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.organisation}"


class ApiToken(models.Model):
    """A program's credential for the REST API (`Authorization: Token <key>`), one per user.

    Only the SHA-256 digest of the key is stored: the key is shown once, when it is created, and a
    copy of the database does not let anyone call the API. The key is 160 random bits, so an
    unsalted digest cannot be reversed by search (members.api_tokens)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="api_token")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    # What the token was granted on: a keyed digest of the user's password hash and active roles at
    # creation. A password change or reset, or any change of roles, makes it differ: the token is
    # revoked without anyone having to remember to delete it (members.api_tokens.token_grant).
    grant = models.CharField(max_length=64, default="", editable=False)
    # Created from a session that had passed the second factor.
    second_factor = models.BooleanField(default=False, editable=False)
    read_only = models.BooleanField(_("chỉ đọc"), default=False)
    # Updated at most once a minute (a write per request would be a write lock per request on SQLite).
    last_used_at = models.DateTimeField(_("dùng lần cuối"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("token API")
        verbose_name_plural = _("token API")

    def __str__(self) -> str:
        return f"{self.user} ({self.created:%d/%m/%Y %H:%M})"


class AuditLog(models.Model):
    """Append-only record of every view, export or reveal of personal data."""

    class Action(models.TextChoices):
        REVEAL_IDENTIFIER = "reveal_identifier", _("Xem số định danh")
        VIEW_PERSON = "view_person", _("Xem hồ sơ cá nhân")
        EXPORT = "export", _("Xuất dữ liệu")
        DOWNLOAD_DOCUMENT = "download_document", _("Tải/xem tài liệu trong hồ sơ")
        UPLOAD_DOCUMENT = "upload_document", _("Tải lên tài liệu")
        GENERATE_DOCUMENT = "generate_document", _("Tạo văn bản từ mẫu")
        IMPORT = "import", _("Nhập dữ liệu từ Excel")
        LOGIN_FAILED = "login_failed", _("Đăng nhập thất bại")
        RECOVERY_CODE_USED = "recovery_code_used", _("Dùng mã khôi phục xác thực hai lớp")
        RECOVERY_CODES_ISSUED = "recovery_codes_issued", _("Tạo mã khôi phục xác thực hai lớp")
        IDENTIFIER_CONFLICT = "identifier_conflict", _("Nhập số định danh của người ngoài phạm vi")
        SELF_SERVICE = "self_service", _("Người vào Đảng tự theo dõi hồ sơ của mình")

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=32, choices=Action.choices)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL)
    detail = models.CharField(max_length=255, blank=True, default="")
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("nhật ký truy cập")
        verbose_name_plural = _("nhật ký truy cập")
        indexes = [models.Index(fields=["person", "at"], name="audit_person_at")]


class MemberCount(models.Model):
    """Statistics summary of the member register (rules §9), kept by `members.summaries`.

    One row per organisation, scope (`own`: the organisation's own members; otherwise its whole
    subtree, itself included), level (year, month, day) and bucket (the first day of the year or
    month, or the day). Each column holds what happened in the bucket: the official and
    probationary columns are changes (+1 when a member enters the state, -1 when they leave it),
    the other columns are events (admitted by ceremony / by decision, recognised by official date /
    by recognition decision). The members on a day are the sum of the changes up to it: whole
    years before its year, whole months before its month, then its month's days up to it; a
    period's events are two such sums subtracted. Written in the writer's transaction by
    `members.freshness.organisations_changed`; `manage.py rebuild_statistics` recomputes them.
    """

    class Level(models.IntegerChoices):
        YEAR = 0, _("Năm")
        MONTH = 1, _("Tháng")
        DAY = 2, _("Ngày")

    # No database constraint: the rows are derived (rebuilt at will), and a deferred foreign-key
    # check per row made a rebuild's commit as long as the rebuild itself.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    own = models.BooleanField()
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    bucket = models.DateField()
    official = models.IntegerField(default=0)
    probationary = models.IntegerField(default=0)
    admitted_ceremony = models.IntegerField(default=0)
    admitted_decision = models.IntegerField(default=0)
    recognised_official = models.IntegerField(default=0)
    recognised_decision = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("số liệu tổng hợp đảng viên")
        verbose_name_plural = _("số liệu tổng hợp đảng viên")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "own", "level", "bucket"], name="member_count_key"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.level} {self.bucket:%d/%m/%Y}"
