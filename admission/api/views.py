"""Thin API views: parse and validate, call a selector or a service, serialize.

Scoping is the UI's: lists start from the scoped selectors, a row outside the scope is 404
(`candidate_get`, `organisation_get`, `person_get`), a write needs `can_edit` on the row's
organisation (403), and the committee level is checked inside the services (400
`level_not_due`). Errors are rendered by `admission.api.errors.exception_handler`.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, mixins, serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from admission import reminders, selectors, services
from admission.api import selectors as api_selectors
from admission.api import serializers as s
from admission.api.errors import ErrorSerializer, StepNotAvailable, error_item
from admission.api.filters import (
    MAX_ID,
    CandidateFilter,
    DeadlineFilter,
    MemberFilter,
    NotificationFilter,
    OrganisationFilter,
    PersonFilter,
)
from admission.api.permissions import ReadOrEdit
from admission.documents import handoff
from admission.domain.reasons import reason
from admission.models import BranchMeeting, Candidate, DocumentScan, Notification, VerificationRequest
from admission.reporting.cache import statistics_figures_cached
from admission.reporting.query import StatisticsQuery
from admission.rulebook import calendar_for, rulebook_for
from admission.schedule import verification_reply_due
from admission.workflow import STEP_BY_KEY, STEPS
from config.replica import replica_reads
from members import api_tokens
from members import selectors as member_selectors
from members import services as member_services
from members.models import Organisation, PartyMember, Person, User
from members.selectors import scope_for

ERROR = ErrorSerializer
STEP_KEYS = [step.key for step in STEPS]


def parse_id(raw: object) -> int:
    """A row id from the URL; anything but a positive bigint is 404 (never a database error)."""
    text = str(raw)
    if not re.fullmatch(r"[1-9][0-9]{0,18}", text) or int(text) > MAX_ID:
        raise exceptions.NotFound()
    return int(text)


# Shared by every API view: the user's language for messages, and today's date read once. (A
# comment, not a docstring: drf-spectacular would show a docstring as every operation's description.)
class ApiMixin:
    request: Any
    lookup_value_regex = "[^/]+"  # any segment: a malformed id is a JSON 404 from the view
    # No OPTIONS (DRF's metadata is not part of the contract): 405 like any undocumented method.
    http_method_names = ["get", "post", "patch", "delete", "head"]

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        self.perform_authentication(request)  # type: ignore[attr-defined]
        user = request.user
        # A token client sends no language cookie: messages follow the account's language.
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES and getattr(user, "is_authenticated", False):
            language = getattr(user, "preferred_language", "")
            if language in {code for code, _name in settings.LANGUAGES}:
                translation.activate(language)
        request.today = timezone.localdate()
        super().initial(request, *args, **kwargs)  # type: ignore[misc]

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        response["Content-Language"] = translation.get_language()
        return response

    def get_serializer_context(self) -> dict[str, Any]:
        context: dict[str, Any] = super().get_serializer_context()  # type: ignore[misc]
        context["today"] = getattr(self.request, "today", None) or timezone.localdate()
        return context


def _user(request: Any) -> User:
    return request.user  # type: ignore[no-any-return]


# --- Organisations ---------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Organisations in your scope", description="Ordered by their place in the tree."),
    retrieve=extend_schema(summary="One organisation (404 outside your scope)"),
)
@method_decorator(replica_reads, name="list")  # config/replica.py
class OrganisationViewSet(ApiMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Organisation.objects.none()
    serializer_class = s.OrganisationSerializer
    filterset_class = OrganisationFilter
    permission_classes = [ReadOrEdit]

    def get_queryset(self) -> QuerySet[Organisation]:
        return member_selectors.organisation_list(user=_user(self.request)).order_by("path")

    def get_object(self) -> Organisation:
        return member_selectors.organisation_get(user=_user(self.request), pk=parse_id(self.kwargs["pk"]))


# --- People ----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="People in your scope", description="Vietnamese name order. CCCD always masked."),
    retrieve=extend_schema(summary="One person (404 outside your scope)"),
    create=extend_schema(
        summary="Add a person to a branch",
        request=s.PersonCreateSerializer,
        responses={201: s.PersonSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a person's data",
        description="Only the fields sent change. `cccd`: omit to keep, null to clear.",
        request=s.PersonWriteSerializer,
        responses={200: s.PersonSerializer},
    ),
)
@method_decorator(replica_reads, name="list")  # config/replica.py
class PersonViewSet(
    ApiMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Person.objects.none()
    serializer_class = s.PersonSerializer
    filterset_class = PersonFilter
    permission_classes = [ReadOrEdit]
    http_method_names = ["get", "post", "patch", "head"]

    def get_queryset(self) -> QuerySet[Person]:
        return member_selectors.person_list(user=_user(self.request)).select_related("membership")

    def get_object(self) -> Person:
        return member_selectors.person_get(user=_user(self.request), pk=parse_id(self.kwargs["pk"]))

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        user = _user(request)
        organisations = member_selectors.organisation_list(user=user)
        serializer = s.PersonCreateSerializer(data=request.data, context={"organisations": organisations})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        organisation = data.pop("organisation")
        person = member_services.person_create(acting_user=user, organisation=organisation, **data)
        person = member_selectors.person_get(user=user, pk=person.pk)
        return Response(s.PersonSerializer(person).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        user = _user(request)
        person = self.get_object()
        if not scope_for(user).can_edit(person.organisation):
            raise PermissionDenied
        serializer = s.PersonWriteSerializer(person, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        member_services.person_update(acting_user=user, person=person, **serializer.validated_data)
        person = member_selectors.person_get(user=user, pk=person.pk)
        return Response(s.PersonSerializer(person).data)


# --- Members ---------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Party members in your scope", description="Default: official and probationary."),
    retrieve=extend_schema(summary="One party member (404 outside your scope)"),
)
@method_decorator(replica_reads, name="list")  # config/replica.py
class MemberViewSet(ApiMixin, viewsets.ReadOnlyModelViewSet):
    queryset = PartyMember.objects.none()
    serializer_class = s.MemberSerializer
    filterset_class = MemberFilter
    permission_classes = [ReadOrEdit]

    def get_queryset(self) -> QuerySet[PartyMember]:
        scope = scope_for(_user(self.request))
        return (
            PartyMember.objects.filter(scope.organisation_q("organisation__"))
            .select_related("person", "organisation")
            .order_by("person__sort_key", "pk")
        )

    def get_object(self) -> PartyMember:
        member = self.get_queryset().filter(pk=parse_id(self.kwargs["pk"])).first()
        if member is None:
            raise exceptions.NotFound()
        return member


# --- Candidates ------------------------------------------------------------------------------

STEP_KEY_PARAMETER = OpenApiParameter(
    "step_key",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    enum=STEP_KEYS,
    description="The step to record (see the step table of the docs page); unknown keys are 404.",
)
CONFLICT = OpenApiResponse(ERROR, description="illegal_transition, step_not_available or concurrent_stage_change.")
VERIFICATION_ID = OpenApiParameter(
    "verification_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The verification request's id."
)
TRANSITION_ID = OpenApiParameter(
    "transition_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The recorded step's id (its history row)."
)
VOTE_ID = OpenApiParameter("vote_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The vote's id.")
REFUSED = OpenApiResponse(ERROR, description="Invalid input, or the rules refuse the step (reason codes).")


def _branch_meeting(candidate: Any, meeting_id: int | None) -> Any:
    """The branch meeting `meeting_id` of the candidate's branch; a field error for any other id."""
    if meeting_id is None:
        return None
    meeting = BranchMeeting.objects.filter(pk=meeting_id, organisation_id=candidate.organisation_id).first()
    if meeting is None:
        raise serializers.ValidationError(
            {"meeting": [serializers.ErrorDetail(_("Chi bộ không có cuộc họp này."), "does_not_exist")]}
        )
    return meeting


@extend_schema_view(
    list=extend_schema(
        summary="Candidates in your scope",
        description="Open candidacies by default (not S17/SX); ordered by name.",
    ),
    retrieve=extend_schema(
        summary="One candidate with dates, history, votes and documents",
        responses={200: s.CandidateDetailSerializer},
    ),
    create=extend_schema(
        summary="Start following a person (stage S0)",
        request=s.CandidateCreateSerializer,
        responses={201: s.CandidateDetailSerializer, 400: REFUSED},
    ),
    partial_update=extend_schema(
        summary="Set the exceptions, the political issue and the extension (flags)",
        description=(
            "Only the flags sent change, each by the body that owns it (`services.candidate_update_flags`): "
            "the branch's facts (area exception, readmission) and raising the political issue need edit "
            "rights; concluding the political issue the grassroots committee or above, with `note`; the "
            "extension the deciding committee, with `note`. The provincial consents are not flags: "
            "`POST …/consents/` (400 `consent_needs_document`). The step's deadline is recomputed."
        ),
        request=s.CandidateFlagsSerializer,
        responses={200: s.CandidateDetailSerializer, 400: REFUSED},
    ),
)
@method_decorator(replica_reads, name="list")  # config/replica.py
class CandidateViewSet(
    ApiMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Candidate.objects.none()
    serializer_class = s.CandidateSerializer
    filterset_class = CandidateFilter
    permission_classes = [ReadOrEdit]
    http_method_names = ["get", "post", "patch", "head"]

    def get_queryset(self) -> QuerySet[Candidate]:
        return selectors.candidate_list(user=_user(self.request), include_closed=True).order_by(
            "person__sort_key", "pk"
        )

    def _editable(self, raw_pk: object) -> Candidate:
        """The candidate in scope (404) that this user may change (403), as the UI's views."""
        candidate = selectors.candidate_get(user=_user(self.request), pk=parse_id(raw_pk))
        if not scope_for(_user(self.request)).can_edit(candidate.organisation):
            raise PermissionDenied
        return candidate

    def _detail(self, pk: int) -> dict[str, Any]:
        user = _user(self.request)
        candidate = api_selectors.candidate_detail_list(user=user).filter(pk=pk).first()
        if candidate is None:
            raise exceptions.NotFound()
        steps, committee = api_selectors.candidate_actions(user=user, candidate=candidate)
        context = {
            **self.get_serializer_context(),
            "available_steps": {candidate.pk: steps},
            "due_committees": {candidate.pk: committee},
        }
        return dict(s.CandidateDetailSerializer(candidate, context=context).data)

    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return Response(self._detail(parse_id(kwargs["pk"])))

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        user = _user(request)
        serializer = s.CandidateCreateSerializer(
            data=request.data, context={"people": member_selectors.person_list(user=user)}
        )
        serializer.is_valid(raise_exception=True)
        candidate = services.candidate_create(acting_user=user, person=serializer.validated_data["person"])
        return Response(self._detail(candidate.pk), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        candidate = self._editable(kwargs["pk"])
        serializer = s.CandidateFlagsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.candidate_update_flags(acting_user=_user(request), candidate=candidate, **serializer.validated_data)
        return Response(self._detail(candidate.pk))

    @extend_schema(
        summary="Record a step (moves the candidate on)",
        description=(
            "Calls the same services as the step forms of the UI: `candidate_vote` for the vote steps "
            "(branch_vote, grassroots_vote, recognition_vote, and removal_branch_vote, "
            "removal_grassroots_vote, which propose removal and keep the stage), `candidate_step` for the "
            "others. A vote below the threshold is recorded (`moved` false, 200). Only the committee whose "
            "turn it is, or that records the step (grassroots resolution proposing removal, removal "
            "decision, decision not to admit, annulment), records committee steps (400 `level_not_due`)."
        ),
        parameters=[STEP_KEY_PARAMETER],
        request=s.StepSerializer,
        responses={200: s.StepResultSerializer, 400: REFUSED, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path=r"steps/(?P<step_key>[^/]+)")
    def step(self, request: Any, pk: str, step_key: str) -> Response:
        step = STEP_BY_KEY.get(step_key)
        if step is None:
            raise exceptions.NotFound()
        candidate = self._editable(pk)
        stage = candidate.stage_enum
        if stage not in step.from_stages:
            raise StepNotAvailable(step=step.key, stage=stage.value, allowed_from=[x.value for x in step.from_stages])
        serializer = s.StepSerializer(data=request.data, context={"step": step})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if step.needs_note and not data["note"].strip():
            raise services.StepRefused((reason("note_required", step.rule, step=step.key),))
        user = _user(request)
        vote = None
        if step.kind == "vote":
            counts = data["vote"]
            vote = services.candidate_vote(
                acting_user=user,
                candidate=candidate,
                step_key=step.key,
                held_on=data["on_date"],
                note=data["note"],
                meeting=_branch_meeting(candidate, data.get("meeting")),
                **counts,
            )
        else:
            payload = {key: value for key, value in data.items() if key != "vote"}
            if "vote" in data:
                payload.update({f"vote_{key}": value for key, value in data["vote"].items()})
            services.candidate_step(
                acting_user=user,
                candidate=candidate,
                step_key=step.key,
                data=services.StepInput.from_fields(step, payload),
            )
            if "vote" in data:
                vote = candidate.votes.order_by("-pk").first()
        candidate.refresh_from_db(fields=["stage"])
        moved = candidate.stage_enum != stage
        transitions = candidate.transitions.select_related("acting_user").order_by("-at", "-pk")
        transition = transitions.first() if moved else None
        return Response(
            {
                "moved": moved,
                "candidate": self._detail(candidate.pk),
                "transition": s.TransitionSerializer(transition).data if transition else None,
                "vote": s.VoteSerializer(vote).data if vote else None,
            }
        )

    @extend_schema(
        summary="Return the dossier to the branch (committee)",
        description=(
            "The committee whose turn it is returns the dossier (S8A/S9/S10 → S8, S16 → S15) with a "
            "general reason and a reason per document (`services.dossier_return`)."
        ),
        request=s.ReturnSerializer,
        responses={200: s.ReturnResultSerializer, 400: REFUSED, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_dossier(self, request: Any, pk: str) -> Response:
        candidate = self._editable(pk)
        serializer = s.ReturnSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        returned = services.dossier_return(
            acting_user=_user(request),
            candidate=candidate,
            note=data["note"],
            documents={item["code"]: item["reason"] for item in data["documents"]},
        )
        return Response(
            {"candidate": self._detail(candidate.pk), "dossier_return": s.DossierReturnSerializer(returned).data}
        )

    @extend_schema(
        summary="Send a returned dossier up again (branch)",
        description="Once every returned document is recorded again (`services.dossier_resubmit`).",
        request=s.ResubmitSerializer,
        responses={200: s.StepResultSerializer, 400: REFUSED, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def resubmit(self, request: Any, pk: str) -> Response:
        candidate = self._editable(pk)
        serializer = s.ResubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        transition = services.dossier_resubmit(
            acting_user=_user(request), candidate=candidate, note=serializer.validated_data["note"]
        )
        return Response(
            {
                "moved": True,
                "candidate": self._detail(candidate.pk),
                "transition": s.TransitionSerializer(transition).data,
                "vote": None,
            }
        )

    @extend_schema(
        summary="Record a written consent of the provincial standing committee",
        description=(
            "Over 60, literacy exception or readmission (rules E3, E6, E10), with the document's date and "
            "number: only the province's committee staff or an administrator (400 `consent_not_provincial`). "
            "Sets the flag the eligibility rules read (`services.consent_record`)."
        ),
        request=s.ConsentRecordSerializer,
        responses={201: s.ConsentSerializer, 400: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def consents(self, request: Any, pk: str) -> Response:
        candidate = self._editable(pk)
        serializer = s.ConsentRecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        consent = services.consent_record(acting_user=_user(request), candidate=candidate, **serializer.validated_data)
        return Response(s.ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Withdraw the provincial consent in force, with the reason",
        description="The consent is kept with who withdrew it, when and why; the flag is cleared.",
        request=s.ConsentWithdrawSerializer,
        responses={200: s.ConsentSerializer, 400: REFUSED},
    )
    @action(detail=True, methods=["post"], url_path="consents/withdraw")
    def withdraw_consent(self, request: Any, pk: str) -> Response:
        candidate = self._editable(pk)
        serializer = s.ConsentWithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        consent = services.consent_withdraw(
            acting_user=_user(request), candidate=candidate, **serializer.validated_data
        )
        return Response(s.ConsentSerializer(consent).data)

    @extend_schema(
        summary="Transfer the candidate to another branch (sending branch)",
        description=(
            "Chuyển sinh hoạt (HD06 3.9; `services.candidate_transfer`): the secretary or deputy of the "
            "candidate's branch moves the candidate, the person and the probationary membership to another "
            "branch of the province (`to_branch`), on `on_date`, for the reason `note`. A dossier that had "
            "gone up (S8A, S9, S10) moves to S10 at the destination, decided within 30 working days; at S11 "
            "a decision older than 30 working days is annulled (SZ). The sending branch no longer sees the "
            "candidate afterwards. Refusals are 400 with reason codes (`transfer_*`, `branch_turn`); an "
            "organisation outside the province is 400 on `to_branch`, as an unknown id."
        ),
        request=s.TransferSerializer,
        responses={201: s.TransferOutSerializer, 400: REFUSED, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def transfer(self, request: Any, pk: str) -> Response:
        candidate = self._editable(pk)
        serializer = s.TransferSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        target = member_selectors.transfer_target(organisation=candidate.organisation, pk=data["to_branch"])
        if target is None:
            raise exceptions.ValidationError(
                {"to_branch": [exceptions.ErrorDetail(_("Không có tổ chức đảng này."), code="does_not_exist")]}
            )
        transfer = services.candidate_transfer(
            acting_user=_user(request),
            candidate=candidate,
            to_branch=target,
            on_date=data["on_date"],
            note=data["note"],
        )
        return Response(s.TransferOutSerializer(transfer).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Members who may help and introduce the candidate (picker), with reasons",
        description=(
            "The official and probationary members of the candidate's branch that you may see, each with the "
            "conditions of QĐ294 3.2.1 it does not meet (`reasons`, the same codes and words as the page): not an "
            "official member; with `together_since`, fewer than 12 months together, unless the assignment replaces "
            "one a transfer ended. The assigned helper is the introducer by default (rules §3 S5). Edit rights on "
            "the candidate are needed (403); a candidate outside your scope is 404."
        ),
        parameters=[s.HelperQuerySerializer],
        responses={200: s.HelperPickerSerializer, 400: REFUSED},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def helpers(self, request: Any, pk: str) -> Response:
        candidate = self._editable(pk)
        query = s.HelperQuerySerializer(data=dict(request.query_params.items()))  # "" is invalid, not absent
        query.is_valid(raise_exception=True)
        picker = selectors.helper_picker(
            user=_user(request),
            candidate=candidate,
            on=request.today,
            together_since=query.validated_data.get("together_since"),
        )
        return Response(s.HelperPickerSerializer(picker, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Record a dossier document as held (or returned for correction)",
        request=s.DocumentRecordSerializer,
        responses={201: s.DocumentSerializer},
    )
    @action(detail=True, methods=["post"])
    def documents(self, request: Any, pk: str) -> Response:
        candidate = self._editable(pk)
        serializer = s.DocumentRecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.document_record(acting_user=_user(request), candidate=candidate, **serializer.validated_data)
        return Response(s.DocumentSerializer(item).data, status=status.HTTP_201_CREATED)

    # --- Background verification (admission.services.verification) ----------------------------

    def _verification_response(self, candidate: Candidate, items: list[Any], *, many: bool) -> Any:
        calendar, rules = calendar_for(candidate.organisation), rulebook_for(candidate.organisation)
        due = {v.pk: verification_reply_due(v, calendar=calendar, rulebook=rules).day for v in items}
        context = {**self.get_serializer_context(), "reply_due": due}
        return s.VerificationSerializer(items if many else items[0], many=many, context=context).data

    def _verification(self, raw_pk: object, raw_id: object) -> tuple[Candidate, VerificationRequest]:
        candidate = self._editable(raw_pk)
        item = candidate.verifications.filter(pk=parse_id(raw_id)).first()
        if item is None:
            raise exceptions.NotFound()
        return candidate, item

    def _scan(self, candidate: Candidate, scan_id: int | None) -> DocumentScan | None:
        if scan_id is None:
            return None
        scan = candidate.scans.filter(pk=scan_id).first()
        if scan is None:
            message = _("Không có bản chụp này trong hồ sơ.")
            raise exceptions.ValidationError({"scan": [exceptions.ErrorDetail(message, code="does_not_exist")]})
        return scan

    @extend_schema(
        methods=["GET"],
        summary="The candidate's verification requests",
        description="Each with its state, reply due date (30/90 working days from receipt, HD06 3.4d) and reply.",
        responses={200: s.VerificationSerializer(many=True)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Record a verification request sent",
        description=(
            "Branch secretary or deputy, or the grassroots committee staff (`services.verification_record`). "
            "Refused (400 `verification_already_open`) while a request about the same subject awaits its reply."
        ),
        request=s.VerificationCreateSerializer,
        responses={201: s.VerificationSerializer, 400: REFUSED},
    )
    # A candidate's few requests: neither paginated nor filtered by the candidate filters.
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def verifications(self, request: Any, pk: str) -> Response:
        if request.method == "GET":
            candidate = selectors.candidate_get(user=_user(request), pk=parse_id(pk))
            return Response(self._verification_response(candidate, list(candidate.verifications.all()), many=True))
        candidate = self._editable(pk)
        serializer = s.VerificationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.verification_record(
            acting_user=_user(request), candidate=candidate, **serializer.validated_data
        )
        return Response(self._verification_response(candidate, [item], many=False), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Record the reply to a verification request",
        description=(
            "After the fact too: not before the request was received, not in the future; outcome and "
            "document number required (`services.verification_reply_record`)."
        ),
        parameters=[VERIFICATION_ID],
        request=s.VerificationReplySerializer,
        responses={200: s.VerificationSerializer, 400: REFUSED},
    )
    @action(detail=True, methods=["post"], url_path=r"verifications/(?P<verification_id>[^/]+)/reply",
            url_name="verification-reply")  # fmt: skip
    def verification_reply(self, request: Any, pk: str, verification_id: str) -> Response:
        candidate, item = self._verification(pk, verification_id)
        serializer = s.VerificationReplySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        scan = self._scan(candidate, data.pop("scan"))
        item = services.verification_reply_record(acting_user=_user(request), request=item, scan=scan, **data)
        return Response(self._verification_response(candidate, [item], many=False))

    @extend_schema(
        summary="Correct a recorded reply (with a reason)",
        description="The reply as it was stays in the history (`services.verification_reply_correct`).",
        parameters=[VERIFICATION_ID],
        request=s.VerificationCorrectSerializer,
        responses={200: s.VerificationSerializer, 400: REFUSED},
    )
    @action(detail=True, methods=["post"], url_path=r"verifications/(?P<verification_id>[^/]+)/correct",
            url_name="verification-correct")  # fmt: skip
    def verification_correct(self, request: Any, pk: str, verification_id: str) -> Response:
        candidate, item = self._verification(pk, verification_id)
        serializer = s.VerificationCorrectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        scan = self._scan(candidate, data.pop("scan"))
        why = data.pop("reason")
        item = services.verification_reply_correct(
            acting_user=_user(request), request=item, reason_text=why, scan=scan, **data
        )
        return Response(self._verification_response(candidate, [item], many=False))

    @extend_schema(
        summary="Cancel a verification request (with a reason)",
        description="It is kept, marked cancelled, and no longer holds up the verification step.",
        parameters=[VERIFICATION_ID],
        request=s.VerificationCancelSerializer,
        responses={200: s.VerificationSerializer, 400: REFUSED},
    )
    @action(detail=True, methods=["post"], url_path=r"verifications/(?P<verification_id>[^/]+)/cancel",
            url_name="verification-cancel")  # fmt: skip
    def verification_cancel(self, request: Any, pk: str, verification_id: str) -> Response:
        candidate, item = self._verification(pk, verification_id)
        serializer = s.VerificationCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.verification_cancel(
            acting_user=_user(request), request=item, reason_text=serializer.validated_data["reason"]
        )
        return Response(self._verification_response(candidate, [item], many=False))

    # --- Corrections (services.corrections): the same services as the pages -------------------

    @extend_schema(
        summary="Correct a recorded step's date or numbers (with a reason)",
        description=(
            "By the body that recorded it while it is the last step, by a committee above after that "
            "(400 `correction_not_yours`). The day keeps the history's order; the probation end, the "
            "membership row, deadlines and statistics follow. The original stays in the history."
        ),
        parameters=[TRANSITION_ID],
        request=s.StepCorrectionSerializer,
        responses={200: s.CorrectionSerializer, 400: REFUSED},
    )
    @action(detail=True, methods=["post"], url_path=r"history/(?P<transition_id>[^/]+)/correct",
            url_name="step-correct")  # fmt: skip
    def step_correct(self, request: Any, pk: str, transition_id: str) -> Response:
        candidate = self._editable(pk)
        transition = candidate.transitions.filter(pk=parse_id(transition_id)).first()
        if transition is None:
            raise exceptions.NotFound()
        serializer = s.StepCorrectionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        why, on_date = data.pop("reason"), data.pop("on_date", None)
        correction = services.step_correct(
            acting_user=_user(request), transition=transition, reason_text=why, on_date=on_date, values=data
        )
        return Response(s.CorrectionSerializer(correction).data)

    @extend_schema(
        summary="Undo the last step (with a reason)",
        description=(
            "The candidate returns to the stage it left, the fields the step wrote get their former "
            "values, the vote it rested on is withdrawn. Refused for a step that changed the membership "
            "(400 `undo_changes_membership`): correct it instead."
        ),
        request=s.CorrectionReasonSerializer,
        responses={200: s.CorrectionSerializer, 400: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def undo(self, request: Any, pk: str) -> Response:
        candidate = self._editable(pk)
        serializer = s.CorrectionReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        correction = services.step_undo(
            acting_user=_user(request), candidate=candidate, reason_text=serializer.validated_data["reason"]
        )
        return Response(s.CorrectionSerializer(correction).data)

    @extend_schema(
        summary="Withdraw a vote entered by mistake (with a reason)",
        description="Enter it again with the right counts. A vote that moved the candidate goes with its step.",
        parameters=[VOTE_ID],
        request=s.CorrectionReasonSerializer,
        responses={200: s.CorrectionSerializer, 400: REFUSED},
    )
    @action(detail=True, methods=["post"], url_path=r"votes/(?P<vote_id>[^/]+)/withdraw", url_name="vote-withdraw")
    def vote_withdraw(self, request: Any, pk: str, vote_id: str) -> Response:
        candidate = self._editable(pk)
        vote = candidate.votes.filter(pk=parse_id(vote_id)).first()
        if vote is None:
            raise exceptions.NotFound()
        serializer = s.CorrectionReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        correction = services.vote_withdraw(
            acting_user=_user(request), vote=vote, reason_text=serializer.validated_data["reason"]
        )
        return Response(s.CorrectionSerializer(correction).data)


# --- Deadlines, notifications, statistics -----------------------------------------------------


@extend_schema_view(
    get=extend_schema(
        summary="Deadlines of the candidates in your scope",
        description=(
            "Open candidates whose step has a legal deadline (`next_due_on`), nearest first, with the "
            "legal date and the rule behind it. `overdue=1`: passed; `before=YYYY-MM-DD`: due before that day."
        ),
    )
)
@method_decorator(replica_reads, name="get")  # config/replica.py
class DeadlineListView(ApiMixin, mixins.ListModelMixin, generics.GenericAPIView):
    queryset = Candidate.objects.none()
    serializer_class = s.DeadlineSerializer
    filterset_class = DeadlineFilter
    permission_classes = [ReadOrEdit]

    def get_queryset(self) -> QuerySet[Candidate]:
        return api_selectors.deadline_list(user=_user(self.request))

    def get(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {**self.get_serializer_context(), "deadlines": api_selectors.deadline_rules(page)}
        return self.get_paginated_response(s.DeadlineSerializer(page, many=True, context=context).data)


@extend_schema_view(list=extend_schema(summary="Your notifications", description="Unread first, then newest."))
@method_decorator(replica_reads, name="list")  # config/replica.py
class NotificationViewSet(ApiMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = Notification.objects.none()
    serializer_class = s.NotificationSerializer
    filterset_class = NotificationFilter
    permission_classes = [IsAuthenticated]  # one's own notifications: auditors mark theirs read too

    def get_queryset(self) -> QuerySet[Notification]:
        return selectors.notification_list(user=_user(self.request))

    @extend_schema(
        summary="Mark notifications read",
        request=s.MarkReadSerializer,
        responses={200: s.MarkReadResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path="read")
    def mark_read(self, request: Any) -> Response:
        serializer = s.MarkReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = serializer.validated_data.get("ids")
        marked = reminders.notifications_mark_read(user=_user(request), ids=ids, now=timezone.now())
        return Response({"marked": marked})


@method_decorator(replica_reads, name="get")  # config/replica.py
class StatisticsView(ApiMixin, APIView):
    permission_classes = [ReadOrEdit]

    @extend_schema(
        summary="Counts in your scope",
        description="Open candidates per stage and overdue; official and probationary members; organisations.",
        responses={200: s.StatisticsSerializer},
    )
    def get(self, request: Any) -> Response:
        counts = api_selectors.statistics_counts(user=_user(request), today=request.today)
        counts["open_candidates_by_stage"] = [
            {"stage": stage.value, "label": s.stage_label(stage.value), "count": n} for stage, n in counts.pop("stages")
        ]
        return Response(s.StatisticsSerializer(counts).data)


@method_decorator(replica_reads, name="get")  # config/replica.py
class StatisticsFiguresView(ApiMixin, APIView):
    """The statistics page's figures (admission.reporting.statistics.statistics_figures), with its parameters."""

    permission_classes = [ReadOrEdit]

    @extend_schema(
        summary="Statistics of an organisation, as on its statistics page",
        description=(
            "Every figure of the statistics page of the organisation's subtree for the period: admissions "
            "counted by ceremony or by decision date (`admitted_by`), compared with the plan and with the "
            "members at the `baseline` (start of the term, of the year, or end of the previous year), "
            "recognitions, removals, outcomes, children, breakdowns, funnel, time in stage, deadlines, "
            "structure and trend. The same numbers as the page for the same parameters (and the same cache). "
            "Defaults: this calendar year, by ceremony, baseline start of the year. Only organisations in "
            "your scope (else 404)."
        ),
        parameters=[
            OpenApiParameter("organisation", OpenApiTypes.INT, required=True),
            OpenApiParameter("start", OpenApiTypes.DATE, description="First day of the period."),
            OpenApiParameter("end", OpenApiTypes.DATE, description="Last day of the period (at most 10 years on)."),
            OpenApiParameter("admitted_by", str, enum=["ceremony", "decision"]),
            OpenApiParameter("baseline", str, enum=["term_start", "year_start", "previous_year_end"]),
            OpenApiParameter(
                "term_start", OpenApiTypes.DATE, description="First day of the term (default 1 Jan of its first year)."
            ),
        ],
        responses={200: s.StatisticsFiguresSerializer},
    )
    def get(self, request: Any) -> Response:
        params = s.StatisticsQuerySerializer(data=request.query_params, context={"today": request.today})
        params.is_valid(raise_exception=True)
        data = dict(params.validated_data)
        organisation = member_selectors.organisation_get(user=_user(request), pk=data.pop("organisation"))
        query = StatisticsQuery(**data)
        cached = statistics_figures_cached(
            user=_user(request), organisation=organisation, query=query, today=request.today
        )
        return Response({"computed_at": cached.computed_at, "figures": cached.figures})


@method_decorator(replica_reads, name="get")  # config/replica.py
class HandoffView(ApiMixin, APIView):
    """New official members for the national member database (the page's Excel, as JSON)."""

    permission_classes = [ReadOrEdit]

    @extend_schema(
        summary="New official members of a period (hand-off)",
        description=(
            "Members of the organisation's subtree recognised as official (stage S17) by a decision dated "
            "from `start` to `end` (inclusive), with the fields of the member record form (phiếu đảng viên), "
            "in the same columns as the page's Excel export. Only organisations in your scope (else 404)."
        ),
        parameters=[
            OpenApiParameter("organisation", OpenApiTypes.INT, required=True),
            OpenApiParameter("start", OpenApiTypes.DATE, required=True),
            OpenApiParameter("end", OpenApiTypes.DATE, required=True),
        ],
        responses={200: s.HandoffSerializer},
    )
    def get(self, request: Any) -> Response:
        query = s.HandoffQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        organisation = member_selectors.organisation_get(user=_user(request), pk=data["organisation"])
        period = handoff.Period(data["start"], data["end"])
        rows = handoff.handoff_rows(user=_user(request), organisation=organisation, period=period)
        return Response(
            s.HandoffSerializer(
                {
                    "organisation": organisation.pk,
                    "start": period.start,
                    "end": period.end,
                    "count": len(rows),
                    "columns": [{"key": key, "label": str(label)} for key, label in handoff.COLUMNS],
                    "results": rows,
                }
            ).data
        )


class TokenView(ApiMixin, APIView):
    """Your API token. Only a logged-in browser session (with its CSRF token) may create or revoke
    it, so a leaked token cannot mint itself a successor."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]
    # No body is needed; a plain HTML form may send its CSRF field and `read_only`.
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        summary="Create (or replace) your API token",
        description=(
            "Session authentication and CSRF (X-CSRFToken header) only, from a session that passed the second "
            "factor when it is required; any previous token stops working. Optional body field `read_only` "
            "(true: the token may only read). The token expires after API_TOKEN_LIFETIME_DAYS (default 90) and "
            "stops working when the user's password or roles change."
        ),
        request=None,
        responses={201: s.TokenSerializer},
    )
    def post(self, request: Any) -> Response:
        read_only = str(request.data.get("read_only", "")).lower() in {"1", "true", "on", "yes"}
        try:
            token = api_tokens.token_rotate(
                acting_user=_user(request),
                second_factor=getattr(request.user, "is_verified", lambda: False)(),
                read_only=read_only,
            )
        except api_tokens.SecondFactorRequired:
            raise exceptions.PermissionDenied(
                _("Cần xác thực hai lớp trước khi tạo token."), code="second_factor_required"
            ) from None
        response = Response(s.TokenSerializer(token).data, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        summary="Revoke your API token",
        description="Session authentication and CSRF only.",
        request=None,
        responses={204: None},
    )
    def delete(self, request: Any) -> Response:
        api_tokens.token_revoke(acting_user=_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Anything else under /api/v1/: a JSON 404, never the HTML error page."""
    return JsonResponse({"errors": [error_item("not_found", _("Không tìm thấy."))]}, status=404)
