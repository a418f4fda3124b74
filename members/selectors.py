"""Read queries. Every query that returns organisations, people or members goes
through the user's Scope built here: a secretary sees only their branch,
committee staff their committee's subtree, administrators everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from members import names
from members.authority import Authority, OrgNode, admission_authority
from members.models import (
    BRANCH_KINDS,
    BRANCH_ROLES,
    COMMITTEE_ROLES,
    EDITING_ROLES,
    NON_SCOPE_ROLES,
    AuditLog,
    MemberStatus,
    Organisation,
    PartyMember,
    Person,
    Role,
    RoleAssignment,
    User,
)

_SCOPE_CACHE_ATTR = "_tracker_scope"
_SCOPE_ROWS_ATTR = "_tracker_scope_rows"


@dataclass(frozen=True)
class Scope:
    """The subtrees a user may read and those they may change, as path prefixes."""

    everything: bool = False
    read_paths: tuple[str, ...] = ()
    edit_paths: tuple[str, ...] = ()
    roles: tuple[tuple[str, int, str], ...] = field(default=())  # (role, organisation id, organisation name)
    # Some role reads personal data beyond one branch: a role on a committee (its whole subtree)
    # or roles on several branches (mentors, who see only their mentees, aside).
    beyond_one_branch: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.everything and not self.read_paths

    def organisation_q(self, prefix: str = "") -> Q:
        """A filter on organisation paths; `prefix` is the lookup path to the organisation."""
        if self.everything:
            return Q()
        if not self.read_paths:
            return Q(pk__in=[])
        condition = Q()
        for path in self.read_paths:
            condition |= Q(**{f"{prefix}path__startswith": path})
        return condition

    def can_read(self, organisation: Organisation) -> bool:
        return self.everything or any(organisation.path.startswith(p) for p in self.read_paths)

    def can_edit(self, organisation: Organisation) -> bool:
        return self.everything or any(organisation.path.startswith(p) for p in self.edit_paths)

    @property
    def candidate_only(self) -> bool:
        """Every active role is the candidate's own (members.middleware.CandidateConfinementMiddleware):
        such a login reaches only its self-service pages."""
        return not self.everything and bool(self.roles) and all(role == Role.CANDIDATE for role, _o, _n in self.roles)

    @property
    def audits(self) -> bool:
        """Auditors and administrators read the audit log (of their subtree)."""
        return self.everything or any(role == Role.AUDITOR for role, _org, _name in self.roles)

    def acts_for_branch(self, organisation: Organisation) -> bool:
        """Secretary or deputy of exactly this branch (or an administrator): the branch's own acts
        are not recorded by the committees above it, whose staff may read and edit its data."""
        return self.everything or any(
            role in BRANCH_ROLES and org_id == organisation.pk for role, org_id, _name in self.roles
        )

    def can_edit_above(self, organisation: Organisation) -> bool:
        """Edit rights on a strict ancestor of `organisation`: the body above it (administrators: all)."""
        return self.everything or any(
            organisation.path.startswith(p) and organisation.path != p for p in self.edit_paths
        )

    def acts_for_committee_in(self, organisation_ids: Iterable[int]) -> bool:
        """Staff or leader of one of these committees (or an administrator)."""
        wanted = set(organisation_ids)
        return self.everything or any(
            role in COMMITTEE_ROLES and org_id in wanted for role, org_id, _name in self.roles
        )

    def acts_for_committee(self, organisation_id: int) -> bool:
        """Staff or leader of exactly this committee (or an administrator): only the level that is
        due acts on a dossier, not the committees above or below it (QĐ294 4.3; HD06 3.6-3.7)."""
        return self.everything or any(
            role in COMMITTEE_ROLES and org_id == organisation_id for role, org_id, _name in self.roles
        )


def _outermost(paths: list[str]) -> tuple[str, ...]:
    """Drop paths already covered by a shorter prefix, so each row matches one OR branch."""
    kept: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return tuple(sorted(kept))


ScopeRow = tuple[str, int, str, str, str]
"""One active role as the scope needs it: (role, organisation id, path, name, kind)."""

SCOPE_ROW_FIELDS = ("role", "organisation_id", "organisation__path", "organisation__name", "organisation__kind")
"""The RoleAssignment fields of a ScopeRow, in order (members.backends reads them with the user)."""


def scope_rows_attach(user: User | Any, rows: Iterable[ScopeRow]) -> None:
    """Give `user` the active roles read with it (members.backends reads the login and its roles in one
    query): `scope_for(user)` then builds the scope from them instead of querying again. The rows
    live on that user object only, i.e. for one request: the next request reads them afresh."""
    setattr(user, _SCOPE_ROWS_ATTR, list(rows))


def scope_for(user: User | Any) -> Scope:
    """The user's scope, from one query (none when the roles came with the login, members.backends),
    cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return Scope()
    cached = getattr(user, _SCOPE_CACHE_ATTR, None)
    if cached is not None:
        return cached
    rows: list[ScopeRow] | None = getattr(user, _SCOPE_ROWS_ATTR, None)
    if rows is None:
        rows = list(RoleAssignment.objects.filter(user=user, active=True).values_list(*SCOPE_ROW_FIELDS))
    scope = _scope_from_rows(user, rows)
    setattr(user, _SCOPE_CACHE_ATTR, scope)
    return scope


def _scope_from_rows(user: User | Any, rows: list[ScopeRow]) -> Scope:
    rows = sorted(rows, key=lambda row: (row[2], row[0]))  # by organisation path, then role
    everything = user.is_superuser or any(role == Role.ADMINISTRATOR for role, *_rest in rows)
    # Mentors see only their mentees and candidates only their own case, which the admission app
    # grants separately.
    readers = [row for row in rows if row[0] not in NON_SCOPE_ROLES]
    read = [path for _role, _id, path, _name, _kind in readers]
    edit = [path for role, _id, path, _name, _kind in rows if role in EDITING_ROLES]
    beyond = (
        everything
        or len({org_id for _role, org_id, *_rest in readers}) > 1
        or any(kind not in BRANCH_KINDS for *_rest, kind in readers)
    )
    return Scope(
        everything=everything,
        beyond_one_branch=beyond,
        read_paths=_outermost(read),
        edit_paths=_outermost(edit),
        roles=tuple((role, org_id, name) for role, org_id, _path, name, _kind in rows),
    )


# --- Organisations --------------------------------------------------------------


def organisation_list(*, user: User, parent: Organisation | None = None) -> QuerySet[Organisation]:
    qs = Organisation.objects.filter(scope_for(user).organisation_q())
    if parent is not None:
        qs = qs.filter(parent=parent)
    return qs


def organisation_get(*, user: User, pk: int) -> Organisation:
    """The organisation if the user may read it; 404 otherwise (no hint that it exists)."""
    organisation = organisation_list(user=user).filter(pk=pk).first()
    if organisation is None:
        raise Http404
    return organisation


def organisation_roots(*, user: User) -> QuerySet[Organisation]:
    """The top organisations of the user's scope (the tree page starts there)."""
    scope = scope_for(user)
    if scope.everything:
        return Organisation.objects.filter(parent__isnull=True)
    return Organisation.objects.filter(path__in=scope.read_paths)


def organisation_children(*, user: User, parent: Organisation | None) -> QuerySet[Organisation]:
    """Children of `parent` (or the user's roots), with their number of child organisations."""
    qs = organisation_roots(user=user) if parent is None else organisation_list(user=user, parent=parent)
    return qs.annotate(child_count=Count("children", distinct=True)).order_by("kind", "name")


def attach_member_counts(organisations: Iterable[Organisation]) -> list[Organisation]:
    """Set `official_count` and `probationary_count` of each subtree, in one query.

    The members of the organisations' subtrees are grouped by organisation (each subtree is an
    index range of paths) and rolled up in Python. A correlated subquery per row with a
    `LIKE outer.path || '%'` pattern could not use the path index and took seconds on a province.
    """
    shown = list(organisations)
    for organisation in shown:
        organisation.official_count = organisation.probationary_count = 0  # type: ignore[attr-defined]
    if not shown:
        return shown
    by_path = {organisation.path: organisation for organisation in shown}
    subtrees = Q()
    for path in by_path:
        subtrees |= Q(organisation__path__startswith=path)
    rows = (
        PartyMember.objects.filter(subtrees, status__in=[MemberStatus.OFFICIAL, MemberStatus.PROBATIONARY])
        .values_list("organisation__path", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for path, status, n in rows:
        prefix = "/"
        for part in path.strip("/").split("/"):
            prefix += f"{part}/"
            target = by_path.get(prefix)
            if target is not None:
                field = "official_count" if status == MemberStatus.OFFICIAL else "probationary_count"
                setattr(target, field, getattr(target, field) + n)
    return shown


def organisation_children_with_counts(*, user: User, parent: Organisation | None) -> list[Organisation]:
    """Children of `parent` (or the user's roots) with member counts of each subtree (two queries)."""
    return attach_member_counts(organisation_children(user=user, parent=parent))


def organisation_ancestors(*, user: User, organisation: Organisation) -> list[Organisation]:
    """Ancestors the user may read, root first (for breadcrumbs)."""
    ids = organisation.ancestor_ids()[:-1]
    return list(organisation_list(user=user).filter(pk__in=ids).order_by("depth"))


_AUTHORITY_CACHE_ATTR = "_tracker_authority"


def organisation_authority(*, organisation: Organisation, chain: Iterable[Organisation] | None = None) -> Authority:
    """Who decides admission for this branch.

    One query for the chain of organisations, none when the caller already holds their rows
    (`chain`: the rows of `organisation.ancestor_ids()`). The answer is kept on the instance, as
    the scope is on the user: a page asks it several times (flags, due committee) for one request.
    """
    cached = getattr(organisation, _AUTHORITY_CACHE_ATTR, None)
    if cached is not None and cached[0] == organisation.path:
        return cached[1]  # type: ignore[no-any-return]
    ids = organisation.ancestor_ids()
    rows = chain if chain is not None else Organisation.objects.filter(pk__in=ids)
    by_id = {o.pk: o for o in rows}
    nodes = [OrgNode(o.pk, o.kind, o.name, o.delegated_to_admit, o.upper_level_powers) for o in (by_id[i] for i in ids)]
    authority = admission_authority(nodes)
    setattr(organisation, _AUTHORITY_CACHE_ATTR, (organisation.path, authority))
    return authority


def _province_path(organisation: Organisation) -> str:
    ids = organisation.ancestor_ids()
    return f"/{ids[0]}/" if ids else organisation.path


def transfer_destinations(*, user: User, organisation: Organisation, on: Any = None) -> QuerySet[Organisation]:
    """The branches a person of `organisation` may be transferred to by `user` (chuyển sinh hoạt).

    Any branch of the same province except `organisation` itself (and those no longer valid on
    `on`), for the secretary or deputy of `organisation` or an administrator; nothing for anyone
    else. The destination is usually outside the user's scope: the picker lists organisations only,
    never their people (docs/decisions.md, "Transfers").
    """
    if not scope_for(user).acts_for_branch(organisation):
        return Organisation.objects.none()
    qs = (
        Organisation.objects.filter(path__startswith=_province_path(organisation), kind__in=list(BRANCH_KINDS))
        .exclude(pk=organisation.pk)
        .select_related("parent")
        .only("id", "name", "kind", "path", "parent__name")
    )
    if on is not None:
        qs = qs.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
    return qs.order_by("parent__name", "name", "pk")


def transfer_target(*, organisation: Organisation, pk: int) -> Organisation | None:
    """The organisation `pk` if it is in the same province as `organisation` (any kind: the transfer
    service says why one that is not a branch is refused); None otherwise, as for an unknown id, so
    that nothing tells an organisation of another province exists."""
    return Organisation.objects.filter(pk=pk, path__startswith=_province_path(organisation)).first()


def scope_statistics(*, user: User) -> dict[str, int]:
    """Counts for the dashboard, in one aggregate query per table."""
    scope = scope_for(user)
    members = PartyMember.objects.filter(scope.organisation_q("organisation__")).aggregate(
        official=Count("pk", filter=Q(status=MemberStatus.OFFICIAL)),
        probationary=Count("pk", filter=Q(status=MemberStatus.PROBATIONARY)),
    )
    organisations = Organisation.objects.filter(scope.organisation_q()).aggregate(
        total=Count("pk"), branches=Count("pk", filter=Q(kind__in=["branch", "grassroots_branch", "village_branch"]))
    )
    return {
        "official": members["official"],
        "probationary": members["probationary"],
        "organisations": organisations["total"],
        "branches": organisations["branches"],
    }


# --- People and members -----------------------------------------------------------


def name_matches(key: str, prefix: str = "") -> Q:
    """People whose name has words starting with `key` (a names.search_key: no accents, lower case),
    in order: `nguyen van duc`, `van duc` and `duc` find `Nguyễn Văn Đức`; `yen` finds `Hoàng Thị Yến`
    but not every `Nguyễn` (a match inside a word is noise when two in five people are Nguyễn).
    Both forms are served by the trigram index on search_key (members 0008)."""
    return Q(**{f"{prefix}search_key__startswith": key}) | Q(**{f"{prefix}search_key__contains": f" {key}"})


def _search(qs: QuerySet[Any], search: str, prefix: str = "") -> QuerySet[Any]:
    """Diacritic- and case-insensitive, by the start of words (name_matches)."""
    key = names.search_key(search)
    if not key:
        return qs
    return qs.filter(name_matches(key, prefix))


def person_list(*, user: User, search: str = "", organisation: Organisation | None = None) -> QuerySet[Person]:
    qs = Person.objects.filter(scope_for(user).organisation_q("organisation__")).select_related("organisation")
    if organisation is not None:
        qs = qs.filter(organisation__path__startswith=organisation.path)
    return _search(qs, search).order_by("sort_key", "pk")


def person_duplicates(*, user: User, full_name: str, date_of_birth: Any, cccd: str | None = None) -> QuerySet[Person]:
    """People the user may see who may be the one about to be entered: the same CCCD, or the same
    name (diacritic- and case-insensitive, `names.search_key`) and date of birth. People outside
    the scope are never listed (their CCCD is answered neutrally by services.cccd_conflict)."""
    same = Q(search_key=names.search_key(names.normalize_name(full_name)), date_of_birth=date_of_birth)
    if cccd:
        same |= Q(cccd=cccd)
    return (
        Person.objects.filter(same, scope_for(user).organisation_q("organisation__"))
        .select_related("organisation", "membership")
        .order_by("sort_key", "pk")
    )


def person_get(*, user: User, pk: int) -> Person:
    person = person_list(user=user).select_related("membership").filter(pk=pk).first()
    if person is None:
        raise Http404
    return person


def own_person(*, user: User | Any) -> Person | None:
    """The login's own person when it holds the candidate role on that person's branch, else None.

    The self-service pages read nothing else: no organisation, no other person (Scope grants a
    candidate no subtree). One query at most (the scope is cached on the user)."""
    if not getattr(user, "is_authenticated", False) or user.person_id is None:
        return None
    scope = scope_for(user)
    branches = {org_id for role, org_id, _name in scope.roles if role == Role.CANDIDATE}
    if not branches:
        return None
    return Person.objects.filter(pk=user.person_id, organisation_id__in=branches).first()


def member_list(
    *, user: User, search: str = "", organisation: Organisation | None = None, status: str = ""
) -> QuerySet[PartyMember]:
    """Party members in the user's scope, Vietnamese name order."""
    qs = PartyMember.objects.filter(scope_for(user).organisation_q("organisation__")).select_related(
        "person", "organisation"
    )
    if organisation is not None:
        qs = qs.filter(organisation__path__startswith=organisation.path)
    if status:
        qs = qs.filter(status=status)
    else:
        qs = qs.filter(status__in=[MemberStatus.OFFICIAL, MemberStatus.PROBATIONARY])
    return _search(qs, search, "person__").order_by("person__sort_key", "pk")


def branch_official_members(*, user: User | None, organisation: Organisation, on: Any) -> QuerySet[PartyMember]:
    """The official members of the branch `organisation` on the day `on`, Vietnamese name order:
    those summoned to a branch meeting and counted for its votes (QĐ294 9.3.2).

    Official on `on`: official now and recognised by then (without an official date: admitted by
    then), or removed / left after `on` having been recognised by then (docs/decisions.md,
    "Branch meetings and attendance"). Probationary members attend but do
    not vote and are not counted. `user` None: a system read (the service re-checking a roster),
    otherwise only within the user's scope (empty outside it).
    """
    qs = PartyMember.objects.filter(organisation=organisation)
    if user is not None:
        qs = qs.filter(scope_for(user).organisation_q("organisation__"))
    # As the statistics count members on a date: without an official date, from the ceremony.
    no_date = Q(official_date__isnull=True) & (Q(ceremony_date__isnull=True) | Q(ceremony_date__lte=on))
    official_then = Q(status=MemberStatus.OFFICIAL) & (Q(official_date__lte=on) | no_date)
    left_since = (
        Q(status__in=[MemberStatus.REMOVED, MemberStatus.LEFT]) & Q(official_date__lte=on) & Q(left_date__gt=on)
    )
    return qs.filter(official_then | left_since).select_related("person").order_by("person__sort_key", "pk")


# --- Audit log -----------------------------------------------------------------------------


def audit_log_list(
    *,
    user: User,
    action: str = "",
    since: Any = None,
    until: Any = None,
    search: str = "",
) -> QuerySet[AuditLog]:
    """Audit entries an auditor may read: those about people in their scope (administrators:
    all, including failed logins, which concern no person). PermissionDenied for other roles."""
    from django.core.exceptions import PermissionDenied

    scope = scope_for(user)
    if not scope.audits:
        raise PermissionDenied
    qs = AuditLog.objects.select_related("user", "person__organisation")
    if not scope.everything:
        qs = qs.filter(scope.organisation_q("person__organisation__"), person__isnull=False)
    if action:
        qs = qs.filter(action=action)
    if since:
        qs = qs.filter(at__date__gte=since)
    if until:
        qs = qs.filter(at__date__lte=until)
    if search.strip():
        key = names.search_key(search)
        qs = qs.filter(name_matches(key, "person__") | Q(user__username__icontains=search.strip()))
    return qs.order_by("-at", "-pk")
