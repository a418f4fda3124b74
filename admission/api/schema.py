"""The OpenAPI document: error responses on every operation, the token's security schemes, and a
digest for the docs page.

drf-spectacular describes the success responses; `add_error_responses` (a postprocessing hook,
SPECTACULAR_SETTINGS) adds the errors every operation can give, all in the one `Error` shape,
so that the schema is complete enough for schemathesis to check every status code and for
generated clients to parse every error.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.generators import SchemaGenerator

from admission.api.filters import ID_SCHEMA, MAX_ID

ERROR_REF = {"$ref": "#/components/schemas/Error"}
TOKEN_SCHEMES = ("bearerAuth", "tokenAuth")
ERROR_DESCRIPTIONS = {
    "400": "Invalid input (params.field names the field) or a rule refused the action (reason codes).",
    "401": "No token, or an invalid or revoked token (send `Authorization: Bearer <key>` or `Token <key>`).",
    "403": "A read-only role (auditor, mentor), or not allowed to change this organisation's data.",
    "404": "Not found or outside your scope (also: a page past the last one).",
    "406": "The Accept header does not allow JSON (`not_acceptable`).",
    "415": "The body is not JSON (`unsupported_media_type`): send `Content-Type: application/json`.",
    "429": "Too many requests (`throttled`): wait the seconds of the Retry-After header (also params.retry_after).",
    "500": "An error of the server (`server_error`); it is logged. Retry later or report it.",
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before the next request.",
        "schema": {"type": "integer", "minimum": 0},
    }
}
METHODS = ("get", "post", "put", "patch", "delete")


class AutoSchema(openapi.AutoSchema):
    """REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]: row ids in paths are positive integers.

    The URLs accept any segment so that a malformed id is a JSON 404 from the view rather than
    Django's HTML page; the schema still tells clients what an id is.
    """

    def _resolve_path_parameters(self, variables: list[str]) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if parameter["name"] == "id":
                parameter["schema"] = dict(ID_SCHEMA)
                parameter["description"] = "Row id (404 when unknown or outside your scope)."
        return parameters


class DigestTokenScheme(OpenApiAuthenticationExtension):
    """members.api_tokens.DigestTokenAuthentication: one key, sent as `Bearer` or as `Token`.

    Declared as two alternative schemes: `bearerAuth` (HTTP bearer, what generated clients send
    by default) and `tokenAuth` (the `Token <key>` header of DRF, kept for existing clients).
    Registered on import: this module is the DEFAULT_SCHEMA_CLASS's, loaded before any operation
    is described.
    """

    target_class = "members.api_tokens.DigestTokenAuthentication"
    name = list(TOKEN_SCHEMES)
    priority = 1  # before drf-spectacular's own extension for TokenAuthentication subclasses

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[Any]]]:
        return [{scheme: []} for scheme in TOKEN_SCHEMES]  # either one (OR), not both

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "description": "`Authorization: Bearer <key>`; create the key on /api/v1/docs/.",
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "The same key with DRF's prefix: `Authorization: Token <key>`.",
            },
        ]


def _error(code: str, description: str | None = None) -> dict[str, Any]:
    reply: dict[str, Any] = {
        "description": description or ERROR_DESCRIPTIONS[code],
        "content": {"application/json": {"schema": ERROR_REF}},
    }
    if code == "429":
        reply["headers"] = RETRY_AFTER
    return reply


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]: the error responses of every operation.

    Everywhere: 403 (read-only roles, or a session without login on the token endpoint), 406,
    429 (rate limits) and 500; 401 where a token is accepted; 404 for paths with an id, for
    paginated lists and where the query names an organisation; 400 where the request carries a body or query parameters; 415 where it
    carries a body. Responses declared on the view are kept.
    """
    for path, item in result.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            security = {name for requirement in operation.get("security", []) for name in requirement}
            parameters = operation.get("parameters", [])
            wanted = ["403", "406", "429", "500"]
            if security & set(TOKEN_SCHEMES):
                wanted.append("401")
            # An object named in the path, a page of a list, or an organisation named in the query.
            if "{" in path or any(p.get("name") in ("page", "organisation") for p in parameters):
                wanted.append("404")
            if "requestBody" in operation or any(p.get("in") == "query" for p in parameters):
                wanted.append("400")
            if "requestBody" in operation:
                wanted.append("415")
            for code in wanted:
                responses.setdefault(code, _error(code))
            operation["responses"] = dict(sorted(responses.items()))
    return result


def move_labels_to_descriptions(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]: no Vietnamese `title` in the document.

    drf-spectacular gives a property the model field's verbose name as its `title` ("Bước",
    "Chi bộ"); client generators build class and file names from titles, and ASCII-only tools
    garble them. The label moves into the description, where people read it.
    """

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            title = node.get("title")
            if isinstance(title, str) and not title.isascii():
                del node["title"]
                description = node.get("description")
                node["description"] = f"{description} ({title})" if description else title
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(result.get("components", {}).get("schemas", {}))
    visit(result.get("paths", {}))
    return result


# --- A digest of the schema for the server-side docs page ------------------------------------


@functools.cache
def api_schema() -> dict[str, Any]:
    """The OpenAPI document as served at /api/v1/openapi.json (generated once per process)."""
    return SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-any-return]


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def describe_type(schema: dict[str, Any] | None, limit: int = 12) -> str:
    """A short human description of a JSON schema: `integer (1–200)`, `array of Vote`, `date | null`."""
    if not schema:
        return "any"
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    for key in ("allOf", "oneOf", "anyOf"):
        if key in schema:
            text = " | ".join(describe_type(part) for part in schema[key])
            return f"{text} | null" if schema.get("nullable") else text
    kind = schema.get("type", "object")
    if kind == "array":
        text = f"array of {describe_type(schema.get('items'))}"
    elif "enum" in schema:
        values = [str(v) for v in schema["enum"] if v not in (None, "")]
        text = " | ".join(values) if len(values) <= limit else " | ".join(values[:limit]) + " | …"
    else:
        text = schema.get("format", kind)
        bounds = []
        minimum, maximum = schema.get("minimum"), schema.get("maximum")
        if maximum == MAX_ID:
            maximum = None  # "any id": the bigint bound is noise to a reader
        if minimum is not None and maximum is not None:
            bounds.append(f"{minimum}–{maximum}")
        elif minimum is not None:
            bounds.append(f"≥ {minimum}")
        elif maximum is not None:
            bounds.append(f"≤ {maximum}")
        if "maxLength" in schema:
            bounds.append(f"≤ {schema['maxLength']} chars")
        if bounds:
            text = f"{text} ({', '.join(bounds)})"
    return f"{text} | null" if schema.get("nullable") else text


@dataclass
class Parameter:
    name: str
    location: str
    required: bool
    type: str
    description: str


@dataclass
class Reply:
    code: str
    schema: str
    description: str


@dataclass
class Operation:
    method: str
    path: str
    tag: str
    summary: str
    description: str
    operation_id: str
    parameters: list[Parameter]
    request: str
    responses: list[Reply]
    auth: list[str]

    @property
    def anchor(self) -> str:
        return f"op-{self.operation_id}"


@dataclass
class Property:
    name: str
    type: str
    required: bool
    read_only: bool
    write_only: bool
    description: str


@dataclass
class Component:
    name: str
    type: str
    properties: list[Property] = field(default_factory=list)


def _body_schema(content: dict[str, Any]) -> str:
    media: dict[str, Any] = content.get("application/json") or next(iter(content.values()), {})
    return describe_type(media.get("schema"))


def operations(schema: dict[str, Any]) -> list[Operation]:
    """Every path and method of the schema, in the schema's order."""
    found = []
    for path, item in schema.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            parameters = [
                Parameter(
                    name=p["name"],
                    location=p["in"],
                    required=bool(p.get("required")),
                    type=describe_type(p.get("schema")),
                    description=p.get("description", ""),
                )
                for p in [*shared, *op.get("parameters", [])]
            ]
            body = op.get("requestBody")
            replies = [
                Reply(code=code, schema=_body_schema(reply.get("content", {})) if reply.get("content") else "—",
                      description=reply.get("description", ""))
                for code, reply in op.get("responses", {}).items()
            ]  # fmt: skip
            found.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    tag=(op.get("tags") or ["api"])[0],
                    summary=op.get("summary", ""),
                    description=op.get("description", ""),
                    operation_id=op.get("operationId", f"{method}-{path}"),
                    parameters=parameters,
                    request=_body_schema(body.get("content", {})) if body else "",
                    responses=replies,
                    auth=[name for requirement in op.get("security", []) for name in requirement] or ["—"],
                )
            )
    return found


def components(schema: dict[str, Any]) -> list[Component]:
    found = []
    for name, body in sorted(schema.get("components", {}).get("schemas", {}).items()):
        required = set(body.get("required", []))
        properties = [
            Property(
                name=prop,
                type=describe_type(spec),
                required=prop in required,
                read_only=bool(spec.get("readOnly")),
                write_only=bool(spec.get("writeOnly")),
                description=spec.get("description") or spec.get("title", ""),  # title: the model's label
            )
            for prop, spec in body.get("properties", {}).items()
        ]
        found.append(Component(name=name, type=describe_type(body, limit=100), properties=properties))
    return found
