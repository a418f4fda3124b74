"""The one error format of the API.

Every error response, whatever raised it, is ``{"errors": [{"code", "rule", "message", "params"}]}``:

- a refused step (`services.StepRefused`) lists its reasons with the same codes, rule points and
  messages as the UI (`admission.domain.reasons`), 400;
- an illegal or concurrent stage change is 409; a read-only role writing 403; outside the
  user's scope 404; no or a bad token 401;
- field validation errors carry DRF's code (``required``, ``invalid``, ``max_value`` …) and
  ``params.field`` names the field (dotted for nested fields, e.g. ``vote.yes``);
- past a rate limit 429 ``throttled`` with ``params.retry_after`` (seconds, also the Retry-After
  header); an unexpected error 500 ``server_error`` (`server_error`, Django's handler500).

Messages are in the user's language: our own strings are Vietnamese with an English catalogue;
DRF's English strings that the API can show have a Vietnamese translation in locale/vi.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.functional import Promise
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from admission.domain.reasons import REASON_CODES, Reason, format_reason
from admission.domain.stages import IllegalTransition
from admission.services import ConcurrentStageChange, StepRefused


def language() -> Literal["vi", "en"]:
    return "en" if (get_language() or "vi").startswith("en") else "vi"


def json_value(value: object) -> Any:
    """A reason parameter as JSON: dates in ISO 8601, sequences as lists."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list | set | frozenset):
        return [json_value(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): json_value(item) for key, item in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Promise):
        return str(value)
    return str(value)


def error_item(code: str, message: object, *, rule: str = "", params: Mapping[str, object] | None = None) -> dict:
    return {"code": code, "rule": rule, "message": str(message), "params": json_value(dict(params or {}))}


def reason_item(item: Reason) -> dict:
    """A rule's reason exactly as the UI shows it (same code, rule point and words)."""
    message = format_reason(item, language()) if item.code in REASON_CODES else item.code
    return error_item(item.code, message, rule=item.rule, params=item.params)


class StepNotAvailable(exceptions.APIException):
    """The step does not start from the candidate's stage (the UI does not offer it)."""

    status_code = 409
    default_code = "step_not_available"

    def __init__(self, *, step: str, stage: str, allowed_from: list[str]) -> None:
        super().__init__(
            _("Bước %(step)s không áp dụng cho hồ sơ đang ở bước %(stage)s.") % {"step": step, "stage": stage}
        )
        self.params = {"step": step, "stage": stage, "allowed_from": sorted(allowed_from)}


def _flatten(details: Any, field: str = "") -> list[dict]:
    """DRF's nested `get_full_details()` as a flat list of items naming their field."""
    if isinstance(details, dict) and set(details) == {"message", "code"} and not isinstance(details["message"], dict):
        params = {"field": field} if field and field != "non_field_errors" else {}
        return [error_item(str(details["code"]), details["message"], params=params)]
    if isinstance(details, dict):
        found = []
        for key, value in details.items():
            found.extend(_flatten(value, f"{field}.{key}" if field else str(key)))
        return found
    if isinstance(details, list):
        return [item for value in details for item in _flatten(value, field)]
    return [error_item("invalid", details, params={"field": field} if field else {})]


def _from_django_validation(error: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(error, "error_dict"):
        detail: Any = {
            ("non_field_errors" if field == "__all__" else field): [
                serializers.ErrorDetail(str(message), code=item.code or "invalid")
                for item in items
                for message in item.messages
            ]
            for field, items in error.error_dict.items()
        }
    else:
        detail = [serializers.ErrorDetail(str(message), code="invalid") for message in error.messages]
    return exceptions.ValidationError(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every error in the one format above."""
    if isinstance(exc, StepRefused):
        return Response({"errors": [reason_item(r) for r in exc.reasons]}, status=400)
    if isinstance(exc, IllegalTransition):
        message = _("Không thể chuyển hồ sơ từ bước %(from)s sang bước %(to)s.") % {
            "from": exc.from_stage.value,
            "to": exc.to_stage.value,
        }
        params = {"from_stage": exc.from_stage.value, "to_stage": exc.to_stage.value}
        return Response({"errors": [error_item("illegal_transition", message, params=params)]}, status=409)
    if isinstance(exc, exceptions.Throttled):
        # DRF's "Request was throttled. Expected available in N seconds." cannot be translated
        # (it formats the number before looking the message up).
        wait = int(exc.wait) if exc.wait is not None else 1
        text = ngettext(
            "Quá nhiều yêu cầu. Vui lòng thử lại sau %(wait)s giây.",
            "Quá nhiều yêu cầu. Vui lòng thử lại sau %(wait)s giây.",
            wait,
        )
        message = text % {"wait": wait}
        data = {"errors": [error_item("throttled", message, params={"retry_after": wait})]}
        return Response(data, status=429, headers={"Retry-After": str(wait)})
    if isinstance(exc, ConcurrentStageChange):
        message = _("Hồ sơ vừa được người khác cập nhật. Vui lòng tải lại và kiểm tra.")
        return Response({"errors": [error_item("concurrent_stage_change", message)]}, status=409)
    if isinstance(exc, DjangoValidationError):
        exc = _from_django_validation(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, StepNotAvailable):
        items = [error_item(exc.default_code, exc.detail, params=exc.params)]
    elif isinstance(exc, exceptions.APIException):
        items = _flatten(exc.get_full_details())
    else:  # pragma: no cover - DRF only builds responses for APIException
        items = [error_item("error", str(exc))]
    response.data = {"errors": items}
    return response


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """config.urls.handler500: a JSON error under /api/, Django's page elsewhere.

    Django has logged the exception (and mailed the admins) before it calls this handler.
    """
    if request.path.startswith("/api/"):
        message = _("Lỗi máy chủ. Vui lòng thử lại sau hoặc báo cho quản trị viên.")
        return JsonResponse({"errors": [error_item("server_error", message)]}, status=500)
    return defaults.server_error(request, *args, **kwargs)


# --- Schema components ------------------------------------------------------------------------


class ErrorItemSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable snake_case code (reason codes of admission.domain.reasons).")
    rule = serializers.CharField(allow_blank=True, help_text="The rule point behind a reason, e.g. 'QĐ294 4.3'.")
    message = serializers.CharField(help_text="The message in the user's language (vi or en).")
    params = serializers.DictField(help_text="Parameters of the code (dates in ISO 8601); 'field' for validation.")


class ErrorSerializer(serializers.Serializer):
    errors = ErrorItemSerializer(many=True)
