"""The API's documentation page, rendered on the server from the OpenAPI document.

No JavaScript and nothing from a CDN (closed network, strict CSP): the page lists every path and
method with its parameters, request and response schemas and errors, the step table, the reason
codes, pagination and filtering, and lets the user create or revoke their own API token.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language

from admission.api import schema as api_schema
from admission.api.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from admission.api.serializers import MAX_DAY, MIN_DAY
from admission.domain.reasons import REASON_CODES
from admission.workflow import STEPS, Step
from members import api_tokens
from members.http import AuthenticatedRequest
from members.models import ApiToken

# Codes of errors that are not rule reasons (HTTP-level and validation codes).
API_CODES = [
    ("not_authenticated", 401, "No credentials (token endpoint without a logged-in session: 403)."),
    ("authentication_failed", 401, "Unknown or revoked token, or inactive account."),
    ("permission_denied", 403, "Read-only role, or an organisation you may not change."),
    ("not_found", 404, "Unknown id, outside your scope, or a page past the last one."),
    ("method_not_allowed", 405, "The path does not accept this method."),
    ("not_acceptable", 406, "The Accept header does not allow JSON."),
    ("unsupported_media_type", 415, "Send JSON (Content-Type: application/json)."),
    ("parse_error", 400, "The body is not valid JSON."),
    ("required / invalid / null / blank / max_length / min_value / max_value / invalid_choice", 400,
     "Field validation; params.field names the field (vote.yes for nested fields)."),
    ("invalid_type", 400, "A value of the wrong JSON type (\"12\" for a number, 1 for a boolean …)."),
    ("out_of_range", 400, "A date outside 1900-01-01…2100-12-31."),
    ("not_allowed", 400, "A field that does not apply to this step."),
    ("does_not_exist", 400, "An id in the body that is unknown or outside your scope (the same answer)."),
    ("null_characters_not_allowed", 400, "Text containing a NUL character."),
    ("step_not_available", 409, "The step does not start from the candidate's current stage."),
    ("illegal_transition", 409, "The transition table does not allow the move."),
    ("concurrent_stage_change", 409, "Someone else moved the candidate first: reload and retry."),
    ("throttled", 429, "Too many requests: wait params.retry_after seconds (the Retry-After header)."),
    ("server_error", 500, "An error of the server, logged: retry later or report it."),
]  # fmt: skip


def _step_fields(step: Step) -> str:
    fields = ["on_date", "note"]
    if step.kind != "vote":
        fields.append("basis")
    fields.extend(step.extra_fields)
    if step.kind == "vote":
        fields.append("vote (required)")
    elif step.committee_vote:
        fields.append("vote (optional)")
    return ", ".join(fields)


def _steps() -> list[dict[str, Any]]:
    return [
        {
            "key": step.key,
            "label": step.label,
            "from": ", ".join(sorted(stage.value for stage in step.from_stages)),
            "kind": step.kind,
            "fields": _step_fields(step),
            "note_required": step.needs_note,
            "rule": step.rule,
        }
        for step in STEPS
    ]


@login_required
def api_docs(request: AuthenticatedRequest) -> HttpResponse:
    """GET: the documentation. POST `action=create|revoke`: the user's own token (CSRF-protected)."""
    new_token = ""
    if request.method == "POST":
        if request.POST.get("action") == "create":
            try:
                new_token = api_tokens.token_rotate(
                    acting_user=request.user,
                    second_factor=request.user.is_verified(),  # type: ignore[attr-defined]
                    read_only=request.POST.get("read_only") == "1",
                ).key
            except api_tokens.SecondFactorRequired:
                # A token is a credential of its own: made only after the second factor.
                return redirect(f"{reverse('two_factor')}?{urlencode({'next': reverse('api_docs')})}")
        elif request.POST.get("action") == "revoke":
            api_tokens.token_revoke(acting_user=request.user)
    token = ApiToken.objects.filter(user=request.user).first()
    schema = api_schema.api_schema()
    operations = api_schema.operations(schema)
    english = (get_language() or "vi").startswith("en")
    context = {
        "info": schema.get("info", {}),
        "groups": [(tag, list(ops)) for tag, ops in groupby(sorted(operations, key=lambda o: o.tag), lambda o: o.tag)],
        "operations": operations,
        "components": api_schema.components(schema),
        "steps": _steps(),
        "reason_codes": sorted((code, texts[1] if english else texts[0]) for code, texts in REASON_CODES.items()),
        "api_codes": API_CODES,
        "token": token,
        "token_expires": api_tokens.token_expires(token) if token else None,
        "token_problem": api_tokens.token_problem(token, now=timezone.now()) if token else None,
        "token_lifetime_days": settings.API_TOKEN_LIFETIME_DAYS,
        "new_token": new_token,
        "page_size": DEFAULT_PAGE_SIZE,
        "max_page_size": MAX_PAGE_SIZE,
        "min_day": MIN_DAY,
        "max_day": MAX_DAY,
    }
    response = render(request, "api/docs.html", context)
    if new_token:
        response["Cache-Control"] = "no-store"  # the key is shown once and must not be cached
    return response
