"""schemathesis against the ASGI app (issue 11 item 8): every operation of the OpenAPI document,
signed in as users of two different tenants, answers no 5xx, only documented statuses and media
types, and bodies that match their documented schemas.

The document is the app's own (built in process, no network). For each operation schemathesis
generates `MAX_EXAMPLES` requests that match the document (positive) and `MAX_EXAMPLES` that break
it (negative), derandomised with Hypothesis' example database off; each is sent by both callers
through the real app and database of this test (httpx's ASGI transport on the test's event loop,
so the same connections serve the fixtures and the app), and schemathesis' checks judge each answer.
Every other valid example puts real ids in the path (the callers' own organisations and users, and a
small world between the two tenants: listings, a problem, a draft contract), so it reaches real objects,
its own tenant's or the other's; the rest are unknown ids, which must answer documented 404 problems.
Run it alone: `pytest tests/api/test_schemathesis.py` (docs/api.md).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from api.main import create_app
from services.settings import Environment, Settings, generate_dev_key
from tests.factories.catalogue import create_published, instrument_body, offer_body
from tests.factories.contracts import contract_body, make_contract_cast, post_contract
from tests.factories.organisations import build
from tests.factories.problems import Actor, post_problem

# Per operation and generation mode (positive, negative); each example is sent by both callers.
# TTM_SCHEMATHESIS_EXAMPLES raises it for a deeper run by hand (docs/api.md).
MAX_EXAMPLES = int(os.environ.get("TTM_SCHEMATHESIS_EXAMPLES", "8"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
METHODS = ("get", "put", "post", "delete", "patch")


def _document() -> dict[str, Any]:
    """The OpenAPI document of an app built like the suite's (a throwaway signing key), for collection."""
    with tempfile.TemporaryDirectory() as keys:
        kid = generate_dev_key(Path(keys))
        settings = Settings(
            env=Environment.test,
            database_url="sqlite+aiosqlite:///unused.db",
            jwt_key_dir=Path(keys),
            jwt_active_kid=kid,
            log_level="WARNING",
        )
        return create_app(settings).openapi()


def _operation_count(document: dict[str, Any]) -> int:
    return sum(1 for item in document["paths"].values() for method in item if method in METHODS)


SCHEMA = schemathesis.openapi.from_dict(_document())
OPERATIONS = sorted((result.ok() for result in SCHEMA.get_all_operations()), key=lambda operation: operation.label)
# One test per tag (area): the operations of an area share one database, each with callers of its own
# (a sign-out or password change can't spoil the next operation), so the database is reset once per
# area, not once per operation (a reset costs seconds on PostgreSQL).
AREAS: dict[str, list[Any]] = {}
for _operation in OPERATIONS:
    AREAS.setdefault((_operation.definition.raw.get("tags") or ["untagged"])[0], []).append(_operation)


def generated(operation: Any, mode: GenerationMode) -> list[Any]:
    """`MAX_EXAMPLES` cases for `operation`, the same on every run."""
    cases: list[Any] = []

    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def collect(case: Any) -> None:
        cases.append(case)

    try:
        collect()
    except Unsatisfiable:
        # Nothing to break: the operation takes no input, or only input any value satisfies (an
        # optional header or string); the valid examples still run.
        if mode is GenerationMode.NEGATIVE:
            return cases
        raise
    return cases


def httpx_request(kwargs: dict[str, Any]) -> dict[str, Any]:
    """schemathesis' request (keywords of the `requests` library, its default transport) for httpx: the
    body encoded by `requests` itself, so the bytes are those schemathesis' own transport would send."""
    headers = dict(kwargs.get("headers") or {})
    if kwargs.get("cookies"):
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in kwargs["cookies"].items())
    prepared = requests.PreparedRequest()
    prepared.prepare_headers(None)
    prepared.prepare_body(kwargs.get("data"), kwargs.get("files"), kwargs.get("json"))
    if prepared.body is not None and not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = prepared.headers["Content-Type"]
    body = prepared.body
    return {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "headers": headers,
        "params": kwargs.get("params"),
        "content": body.encode() if isinstance(body, str) else body,
    }


@dataclass
class Caller:
    headers: dict[str, str]
    # Real ids by path parameter name: the caller's own organisation and user, and the world's records.
    ids: dict[str, str]


@dataclass
class World:
    """Two tenants, a centre (its staff member) and an SME (its admin), and records between them."""

    staff: Actor
    admin: Actor
    records: dict[str, str]

    async def callers(self, db, app) -> dict[str, Caller]:
        """Both tenants, each signed in afresh (a sign-out by an earlier operation ends only its own session)."""
        async with build(db, app) as b:
            return {
                who: Caller(
                    b.headers(actor.user),
                    self.records
                    | {
                        "organisation_id": str(actor.org.id),
                        "centre_id": str(actor.org.id),
                        "user_id": str(actor.user.id),
                    },
                )
                for who, actor in (("centre staff", self.staff), ("SME admin", self.admin))
            }


async def make_world(client, db, app) -> World:
    """The contracts cast's centre staff member and SME admin; the centre's published pilot-scale result,
    instrument and service offer, the SME's public problem, and a draft contract between them."""
    cast = await make_contract_cast(db, app, client)
    staff, admin = cast.provider_staff, cast.client_signer
    instrument = await create_published(client, staff.headers, "instruments", instrument_body())
    offer = await create_published(client, staff.headers, "service-offers", offer_body())
    problem = await post_problem(client, admin)
    contract = await post_contract(client, staff, contract_body(cast))
    records = {
        "result_id": cast.pilot_result["id"],
        "listing_id": cast.pilot_result["id"],
        "instrument_id": instrument["id"],
        "offer_id": offer["id"],
        "problem_id": problem["id"],
        "contract_id": contract["id"],
        "milestone_id": contract["milestones"][0]["id"],
    }
    return World(staff, admin, records)


def test_every_operation_of_the_document_is_exercised(shared_app):
    """A new route can't escape: the areas below cover the document the app serves, every operation once."""
    document = shared_app.openapi()
    exercised = [operation.label for operations in AREAS.values() for operation in operations]
    assert len(exercised) == len(set(exercised)) == _operation_count(document) > 0
    assert set(exercised) == {
        f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item if method in METHODS
    }


async def exercise(operation: Any, world: World, client, db, app) -> dict[str, str]:
    """Send `operation`'s generated requests as both callers; schemathesis' failures by title."""
    signed_in = await world.callers(db, app)
    failures: dict[str, str] = {}
    sent = 0
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        for number, case in enumerate(generated(operation, mode)):
            generated_ids = dict(case.path_parameters or {})
            for who, caller in signed_in.items():
                if mode is GenerationMode.POSITIVE and number % 2:
                    # Every other valid example names real records (the caller's own organisation and user, the
                    # world's listings, problem, contract) where the path takes them.
                    case.path_parameters = generated_ids | {k: caller.ids[k] for k in generated_ids if k in caller.ids}
                try:
                    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=caller.headers)
                    response = await client.request(**httpx_request(kwargs))
                    sent += 1
                    case.validate_response(response, checks=CHECKS, headers=caller.headers)
                except FailureGroup as group:
                    for failure in group.exceptions:
                        key = f"{operation.label}: {failure.title} [{response.status_code}] ({mode.value}, as {who})"
                        failures.setdefault(key, str(group))
                finally:
                    case.path_parameters = generated_ids
    assert sent >= len(signed_in), f"{operation.label}: no request was sent"
    return failures


@pytest.mark.parametrize("area", sorted(AREAS))
async def test_area_conforms(area, client, db, app, stripe):
    # Card payments configured (Stripe's network edge is the suite's fake), so the payment and webhook
    # operations run as in production instead of answering `card-payments-not-configured`.
    world = await make_world(client, db, app)
    failures: dict[str, str] = {}
    for operation in AREAS[area]:
        failures |= await exercise(operation, world, client, db, app)
    assert not failures, "\n\n".join(f"== {key}\n{text}" for key, text in failures.items())
