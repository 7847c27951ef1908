"""Fuzzing /api/v1 from its own OpenAPI document (schemathesis, through the WSGI app with a read-write
token): no 5xx, and every answer has a documented status, content type and a body matching its schema.
Valid and invalid inputs both (schemathesis' positive and negative modes), a bounded number of examples
per operation (FIELDAPP_FUZZ_EXAMPLES, default 10) so the whole run stays well under two minutes.

NUL bytes in strings are left out of the generated data: refusing them everywhere is wt-security's
finding 6 (a NUL is stored on SQLite and an error on PostgreSQL). Drop `allow_x00=False` once that
lands, and this test covers it too.
"""

from __future__ import annotations

import os
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

from fieldapp.api.v1 import PREFIX, api
from tests.fieldapp.route_world import build_world

EXAMPLES = int(os.environ.get("FIELDAPP_FUZZ_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Invalid inputs only where there are inputs to make invalid.
CASES = [
    (op.method, PREFIX + op.rule, mode)
    for op in api.operations
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or op.query or op.body or "<" in op.rule
]


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


@pytest.mark.parametrize(
    ("method", "rule", "mode"), CASES, ids=[f"{m} {r} {mode.value}" for m, r, mode in CASES]
)
def test_api_answers_within_its_schema_and_never_5xx(app, db, method, rule, mode):
    world = build_world(app, db)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.config.generation.update(allow_x00=False)
    operation = schema[_openapi_path(rule)][method]
    headers = {"Authorization": f"Bearer {world.ids['bearer']}"}
    # Invalid data goes into the query and the body; the path names the world's objects. (An id at or
    # beyond the id columns in a URL (2**31 on PostgreSQL) is wt-security's finding 6, one fix there.)
    names = re.findall(r"<(?:[^:<>]+:)?([^<>]+)>", rule)
    fixed = {name: world.ids[name] for name in names} if mode is GenerationMode.NEGATIVE else None

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def call(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    call()
