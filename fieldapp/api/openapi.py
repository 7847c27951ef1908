"""One decorator per /api/v1 operation: it registers the route, validates the query and body with the
operation's pydantic models, answers with its response model, and records all of it for the OpenAPI 3.1
document that apispec builds from those records (so the document cannot drift from the code).

Why apispec: it is the framework-neutral OpenAPI builder (components, security schemes, paths) and keeps
no hold on the app — our routes stay plain Flask views guarded like every other screen, validation errors
come back in the app's own JSON error shape and language, and the schemas are the pydantic models the
views already use (pydantic comes with SQLModel). flask-openapi3 would need its own Flask subclass, and
spectree would answer validation errors and serve documentation pages (from a CDN) its own way.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pydantic
from apispec import APISpec
from flask import Blueprint, jsonify, request
from flask_babel import gettext as _

from ..db import get_session
from ..extensions import csrf
from .schemas import MAX_ID, Error

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Answers every operation may give besides its own; 409 only where a version is checked.
COMMON_ERRORS = {
    401: "not signed in, or the token is unknown or revoked",
    403: "not allowed (a read token writing, or the UI's rules refuse it)",
    404: "no such record in your team",
    422: "the data sent breaks a rule (the message says which, in your language)",
    429: "too many requests for this token; wait a minute",
}
STALE = {409: "someone saved a newer version first: nothing was written"}


@dataclass(frozen=True)
class Operation:
    rule: str
    method: str
    endpoint: str
    summary: str
    query: type[pydantic.BaseModel] | None
    body: type[pydantic.BaseModel] | None
    response: Any
    status: int
    errors: dict[int, str]
    public: bool


def json_error(status: int, message: str, **details: Any):
    return jsonify(
        Error(error=str(message), status=status, **details).model_dump(exclude_none=True)
    ), status


def _invalid(error: pydantic.ValidationError):
    """Shape errors as 422, each under the field it is about (pydantic's own words per field)."""
    fields = {".".join(str(p) for p in e["loc"]) or "body": e["msg"] for e in error.errors()}
    first = next(iter(fields), None)
    return json_error(
        422, _("The data sent is not in the expected form."), field=first, errors=fields
    )


class Api:
    """The operations of one blueprint and the OpenAPI document built from them."""

    def __init__(
        self,
        blueprint: Blueprint,
        *,
        title: str,
        version: str,
        description: str,
        decorators: tuple[Callable[[Callable[..., Any]], Callable[..., Any]], ...] = (),
    ):
        self.blueprint = blueprint
        self.decorators = decorators
        self.title, self.version, self.description = title, version, description
        self.operations: list[Operation] = []

    def route(
        self,
        rule: str,
        method: str = "GET",
        *,
        response: Any,
        status: int = 200,
        query: type[pydantic.BaseModel] | None = None,
        body: type[pydantic.BaseModel] | None = None,
        stale: bool = False,
        public: bool = False,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register `view` at `rule`: it gets the path variables, `query=` and `body=` (validated) and
        returns a `response` model (or (model, status)); a write is committed when the view returns."""

        def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
            adapter = pydantic.TypeAdapter(response)

            @functools.wraps(view)
            def handle(**path: Any):
                kwargs: dict[str, Any] = dict(path)
                try:
                    if query is not None:
                        kwargs["query"] = query.model_validate(request.args.to_dict())
                    if body is not None:
                        data = request.get_json(silent=True)
                        if not isinstance(data, dict):
                            return json_error(
                                422, _("The data sent is not in the expected form."), field="body"
                            )
                        kwargs["body"] = body.model_validate(data)
                except pydantic.ValidationError as error:
                    return _invalid(error)
                result = view(**kwargs)
                code = status
                if isinstance(result, tuple):
                    result, code = result
                if not isinstance(result, pydantic.BaseModel):
                    result = adapter.validate_python(result, from_attributes=True)
                if method in UNSAFE_METHODS:
                    get_session().commit()
                return jsonify(adapter.dump_python(result, mode="json")), code

            # CSRF is checked by the API's own guard: cookie calls must carry it, bearer calls need not.
            csrf.exempt(f"{handle.__module__}.{handle.__name__}")
            wrapped = handle
            for decorator in self.decorators:
                wrapped = decorator(wrapped)
            self.blueprint.add_url_rule(rule, view_func=wrapped, methods=[method])
            self.operations.append(
                Operation(
                    rule=rule,
                    method=method,
                    endpoint=view.__name__,
                    summary=(view.__doc__ or view.__name__).strip().splitlines()[0],
                    query=query,
                    body=body,
                    response=response,
                    status=status,
                    errors={} if public else {**COMMON_ERRORS, **(STALE if stale else {})},
                    public=public,
                )
            )
            return handle

        return decorate

    def public_endpoints(self) -> set[str]:
        return {f"{self.blueprint.name}.{op.endpoint}" for op in self.operations if op.public}

    # --- the document ---------------------------------------------------------------------------

    def spec(self, prefix: str) -> dict[str, Any]:
        """The OpenAPI 3.1 document of every operation registered (paths under `prefix`)."""
        spec = APISpec(
            title=self.title,
            version=self.version,
            openapi_version="3.1.0",
            info={"description": self.description},
            security=[{"bearer": []}],
        )
        spec.components.security_scheme(
            "bearer", {"type": "http", "scheme": "bearer", "description": "a personal API token"}
        )
        refs = self._schemas(spec)
        paths: dict[str, dict[str, Any]] = {}
        for op in self.operations:
            path, parameters = _path_of(prefix + op.rule)
            if op.query is not None:
                parameters += _query_parameters(op.query)
            operation: dict[str, Any] = {
                "operationId": op.endpoint,
                "summary": op.summary,
                "parameters": parameters,
                "responses": {
                    str(op.status): _json("OK", refs[(op.response, "serialization")]),
                    **{
                        str(code): _json(text, refs[(Error, "serialization")])
                        for code, text in sorted(op.errors.items())
                    },
                },
            }
            if op.body is not None:
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
                }
            if op.public:
                operation["security"] = []
            paths.setdefault(path, {})[op.method.lower()] = operation
        for path, operations in paths.items():
            spec.path(path=path, operations=operations)
        return spec.to_dict()

    def _schemas(self, spec: APISpec) -> dict[tuple[Any, str], dict[str, Any]]:
        """Every model as a named component; returns the $ref of each (model, mode)."""
        wanted: set[tuple[Any, str]] = {(Error, "serialization")}
        for op in self.operations:
            wanted.add((op.response, "serialization"))
            if op.body is not None:
                wanted.add((op.body, "validation"))
        adapters = [
            (model, mode, pydantic.TypeAdapter(model))
            for model, mode in sorted(wanted, key=lambda key: (str(key[0]), key[1]))
        ]
        refs, definitions = pydantic.TypeAdapter.json_schemas(
            adapters, ref_template="#/components/schemas/{model}"
        )
        for name, schema in definitions.get("$defs", {}).items():
            spec.components.schema(name, schema)
        return refs


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_VARIABLE = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _path_of(rule: str) -> tuple[str, list[dict[str, Any]]]:
    """A Flask rule as an OpenAPI path and its path parameters (ints are 64-bit ids, days ISO dates)."""
    parameters = []
    for converter, name in _VARIABLE.findall(rule):
        schema: dict[str, Any] = (
            {"type": "integer", "minimum": 1, "maximum": MAX_ID}
            if converter == "int"
            else {"type": "string", "format": "date"}
            if name == "day"
            else {"type": "string"}
        )
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return _VARIABLE.sub(lambda m: "{" + m.group(2) + "}", rule), parameters


def _query_parameters(model: type[pydantic.BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))

    def plain(prop: dict[str, Any]) -> dict[str, Any]:
        # A query string has no null: an optional parameter is simply left out.
        variants = [v for v in prop.get("anyOf", [prop]) if v.get("type") != "null"]
        return {k: v for k, v in variants[0].items() if k not in ("title", "default")}

    return [
        {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": plain(prop),
            **({"description": prop["description"]} if "description" in prop else {}),
        }
        for name, prop in schema.get("properties", {}).items()
    ]
