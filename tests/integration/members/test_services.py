"""Services: validation before any write, name normalisation, permissions, audit, the party tree."""

import unicodedata
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from members import names, services
from members.cccd import cccd_prefix
from members.models import CCCD_MESSAGES, AuditLog, Gender, Organisation, OrganisationKind, Person
from tests.conftest import Tree

DOB = date(1995, 6, 15)
VALID_CCCD = cccd_prefix(province_code="019", gender=Gender.MALE, date_of_birth=DOB) + "123456"  # 019095123456


def _fields(**overrides: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "full_name": "Nguyễn Văn Đức",
        "date_of_birth": DOB,
        "gender": Gender.MALE,
        "cccd": VALID_CCCD,
    }
    fields.update(overrides)
    return fields


def _row_counts() -> tuple[int, int]:
    return Person.objects.count(), Person.history.count()  # type: ignore[attr-defined]


def test_it_creates_a_valid_person_with_one_history_row(alice, tree: Tree) -> None:
    before = _row_counts()

    person = services.person_create(acting_user=alice, organisation=tree.branch_a, **_fields())

    assert _row_counts() == (before[0] + 1, before[1] + 1)
    stored = Person.objects.get(pk=person.pk)
    assert (stored.organisation, stored.cccd, stored.date_of_birth) == (tree.branch_a, VALID_CCCD, DOB)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        pytest.param({"cccd": "0190951234AB"}, "cccd", CCCD_MESSAGES["not_digits"], id="cccd-letters"),
        pytest.param({"cccd": "01909512345"}, "cccd", CCCD_MESSAGES["wrong_length"], id="cccd-11-digits"),
        pytest.param({"cccd": "003095123456"}, "cccd", CCCD_MESSAGES["unknown_province"], id="cccd-province-003"),
        pytest.param(
            {"cccd": "019195123456", "gender": Gender.MALE}, "cccd", CCCD_MESSAGES["gender_mismatch"], id="cccd-gender"
        ),
        pytest.param(
            {"cccd": "019085123456", "date_of_birth": DOB}, "cccd", CCCD_MESSAGES["birth_year_mismatch"], id="cccd-year"
        ),
        pytest.param({"full_name": "Đức"}, "full_name", None, id="one-word-name"),
        # 41 letters in the given name: the column holds 40 (a 500 before this check).
        pytest.param({"full_name": "Nguyễn Văn " + "A" * 41}, "full_name", None, id="given-name-too-long"),
        pytest.param({"full_name": "Nguyễn " + "Văn " * 30 + "Đức"}, "full_name", None, id="full-name-too-long"),
    ],
)
def test_it_refuses_invalid_data_on_the_right_field_and_writes_nothing(
    alice, tree: Tree, overrides, field, message
) -> None:
    before = _row_counts()

    with pytest.raises(ValidationError) as caught:
        services.person_create(acting_user=alice, organisation=tree.branch_a, **_fields(**overrides))

    assert set(caught.value.message_dict) == {field}
    if message is not None:
        assert caught.value.message_dict[field] == [str(message)]
    assert _row_counts() == before


def test_it_refuses_a_date_of_birth_in_the_future_and_writes_nothing(alice, tree: Tree) -> None:
    before = _row_counts()
    tomorrow = timezone.localdate() + timedelta(days=1)

    with pytest.raises(ValidationError) as caught:
        services.person_create(
            acting_user=alice, organisation=tree.branch_a, **_fields(date_of_birth=tomorrow, cccd=None)
        )

    assert set(caught.value.message_dict) == {"date_of_birth"}
    assert _row_counts() == before


def test_it_accepts_a_date_of_birth_of_today(alice, tree: Tree) -> None:
    # The boundary of the previous test: today is not in the future.
    person = services.person_create(
        acting_user=alice, organisation=tree.branch_a, **_fields(date_of_birth=timezone.localdate(), cccd=None)
    )
    assert person.pk is not None


def test_it_refuses_a_cccd_already_used_by_someone_else(alice, tree: Tree) -> None:
    services.person_create(acting_user=alice, organisation=tree.branch_a, **_fields())
    before = _row_counts()

    with pytest.raises(ValidationError) as caught:
        services.person_create(acting_user=alice, organisation=tree.branch_a, **_fields(full_name="Trần Văn Khác"))

    assert "cccd" in caught.value.message_dict
    assert _row_counts() == before


def test_it_stores_an_nfd_name_with_stray_spaces_as_nfc_single_spaced(alice, tree: Tree) -> None:
    typed = "  " + unicodedata.normalize("NFD", "Nguyễn   Văn  Đức") + " \t"
    assert not unicodedata.is_normalized("NFC", typed)

    person = services.person_create(acting_user=alice, organisation=tree.branch_a, **_fields(full_name=typed))

    stored = Person.objects.get(pk=person.pk)
    assert stored.full_name == "Nguyễn Văn Đức"
    assert unicodedata.is_normalized("NFC", stored.full_name)
    assert (stored.family_name, stored.middle_name, stored.given_name) == ("Nguyễn", "Văn", "Đức")
    assert stored.search_key == "nguyen van duc"


def test_it_keeps_search_and_sort_keys_in_sync_when_the_name_changes(alice, tree: Tree) -> None:
    person = services.person_create(acting_user=alice, organisation=tree.branch_a, **_fields())
    old = Person.objects.get(pk=person.pk)

    services.person_update(acting_user=alice, person=person, full_name="trần thị ánh")

    stored = Person.objects.get(pk=person.pk)
    assert stored.full_name == "Trần Thị Ánh"
    assert stored.search_key == "tran thi anh"
    assert stored.sort_key == names.sort_key("Trần", "Thị", "Ánh")
    assert (stored.search_key, stored.sort_key) != (old.search_key, old.sort_key)


def test_it_refuses_an_update_with_an_invalid_cccd_and_keeps_the_old_row(alice, tree: Tree) -> None:
    person = services.person_create(acting_user=alice, organisation=tree.branch_a, **_fields())

    with pytest.raises(ValidationError):
        services.person_update(acting_user=alice, person=person, cccd="12345")

    assert Person.objects.get(pk=person.pk).cccd == VALID_CCCD


def test_it_refuses_a_person_created_by_the_secretary_of_another_branch(bob, tree: Tree) -> None:
    before = _row_counts()

    with pytest.raises(PermissionDenied):
        services.person_create(acting_user=bob, organisation=tree.branch_a, **_fields())

    assert _row_counts() == before


def test_it_refuses_a_person_created_by_the_auditor(eve, tree: Tree) -> None:
    with pytest.raises(PermissionDenied):
        services.person_create(acting_user=eve, organisation=tree.branch_a, **_fields())
    assert not Person.objects.exists()


def test_it_lets_committee_staff_create_a_person_in_a_branch_below(carol, tree: Tree) -> None:
    person = services.person_create(acting_user=carol, organisation=tree.branch_b, **_fields())
    assert Person.objects.get(pk=person.pk).organisation == tree.branch_b


def test_it_writes_an_audit_row_when_an_identifier_is_revealed(alice, tree: Tree) -> None:
    person = services.person_create(acting_user=alice, organisation=tree.branch_a, **_fields())
    assert not AuditLog.objects.exists()

    value = services.person_reveal_identifier(acting_user=alice, person=person, ip_address="10.0.0.7")

    assert value == VALID_CCCD
    row = AuditLog.objects.get()
    assert (row.user, row.person, row.action, row.ip_address) == (
        alice,
        person,
        AuditLog.Action.REVEAL_IDENTIFIER,
        "10.0.0.7",
    )


def test_it_refuses_a_village_branch_under_a_grassroots_committee(carol, tree: Tree) -> None:
    before = Organisation.objects.count()

    with pytest.raises(ValidationError) as caught:
        services.organisation_create(
            acting_user=carol,
            kind=OrganisationKind.VILLAGE_BRANCH,
            name="Chi bộ thôn",
            code="X1",
            parent=tree.committee,
        )

    assert set(caught.value.message_dict) == {"parent"}
    assert Organisation.objects.count() == before


def test_it_accepts_a_village_branch_under_a_commune(tree: Tree) -> None:
    # The allowed counterpart of the previous test (no acting user: set-up by the system).
    village = services.organisation_create(
        acting_user=None, kind=OrganisationKind.VILLAGE_BRANCH, name="Chi bộ thôn 2", code="X2", parent=tree.commune
    )
    assert village.parent == tree.commune


def test_it_refuses_an_organisation_created_outside_the_users_scope(alice, tree: Tree) -> None:
    with pytest.raises(PermissionDenied):
        services.organisation_create(
            acting_user=alice, kind=OrganisationKind.BRANCH, name="Chi bộ mới", code="X3", parent=tree.committee
        )
    assert not Organisation.objects.filter(code="X3").exists()


def test_it_sets_the_materialised_path_of_a_child_below_its_parent(carol, tree: Tree) -> None:
    child = services.organisation_create(
        acting_user=carol, kind=OrganisationKind.BRANCH, name="Chi bộ mới", code="X4", parent=tree.committee
    )

    stored = Organisation.objects.get(pk=child.pk)
    assert stored.path.startswith(tree.committee.path)
    assert stored.path == f"{tree.committee.path}{child.pk}/"
    assert stored.depth == tree.committee.depth + 1
    assert stored.ancestor_ids() == [*tree.committee.ancestor_ids(), child.pk]


def test_the_migration_keeps_old_plain_tokens_working_as_digests(alice) -> None:  # type: ignore[no-untyped-def]
    """members 0010: a key of rest_framework.authtoken (stored plain) still authenticates, and the
    plain copy is gone."""
    import importlib

    from django.apps import apps
    from django.db import connection

    from members.api_tokens import DigestTokenAuthentication

    migration = importlib.import_module("members.migrations.0010_api_token_digest")
    key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id integer, created timestamptz)"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, now())", [key, alice.pk])
    grants = importlib.import_module("members.migrations.0011_api_token_grant_expiry")
    with connection.schema_editor() as editor:
        migration.digest_old_tokens(apps, editor)
        grants.grant_existing_tokens(apps, editor)  # members 0011: what the token stands on
    assert "authtoken_token" not in connection.introspection.table_names()
    user, _token = DigestTokenAuthentication().authenticate_credentials(key)
    assert user == alice


def test_old_tokens_keep_working_until_the_password_changes(alice) -> None:  # type: ignore[no-untyped-def]
    """members 0011 gives tokens made before grants the grant of what their users hold now."""
    import importlib

    from django.apps import apps
    from django.db import connection
    from rest_framework.exceptions import AuthenticationFailed

    from members.api_tokens import DigestTokenAuthentication, token_digest
    from members.models import ApiToken

    key = "fedcba9876543210fedcba9876543210fedcba98"
    ApiToken.objects.create(user=alice, digest=token_digest(key))  # as 0010 left it: no grant
    with pytest.raises(AuthenticationFailed):
        DigestTokenAuthentication().authenticate_credentials(key)
    grants = importlib.import_module("members.migrations.0011_api_token_grant_expiry")
    with connection.schema_editor() as editor:
        grants.grant_existing_tokens(apps, editor)
    assert DigestTokenAuthentication().authenticate_credentials(key)[0] == alice
    alice.set_password("Mật-khẩu-mới-2026")
    alice.save()
    with pytest.raises(AuthenticationFailed):
        DigestTokenAuthentication().authenticate_credentials(key)
