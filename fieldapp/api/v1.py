"""/api/v1: the JSON API for integrations. Every view is a thin call of the same service the screen uses,
so the API has exactly the UI's permission rules (team isolation, the assigned rep or a manager edits,
only the author edits a note, a rep's own day). The guard (auth.py) decides who calls; `api.route`
validates and documents; this module only maps requests to services.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Annotated, Any, Literal

from flask import Blueprint, current_app
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field

from ..db import get_session
from ..errors import DomainError, NotFound, StaleEdit, ValidationError
from ..extensions import limiter
from ..services import busy, busy_periods, clock, contacts, customers, followups, listing, visits
from ..services.day import plans
from ..services.day.route import viewable_rep
from ..services.sync import StopEvent
from . import schemas as s
from .auth import rate_key, rate_limit
from .openapi import Api, json_error
from .sync import stop_event_entry, visit_entry

PREFIX = "/api/v1"
bp = Blueprint("v1", __name__, url_prefix="/v1")
api = Api(
    bp,
    title="Field Companion API",
    version="1",
    description=(
        "Customers, visits, follow-ups, orders, products, day plans and the offline sync, with the "
        "app's own permission rules. Send a personal token (made on Me) as `Authorization: Bearer`."
    ),
    # One budget per token across all of /api/v1 (429 JSON past it).
    decorators=(limiter.shared_limit(rate_limit, scope="api-v1", key_func=rate_key),),
)


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError):
    """Refusals from the services as JSON; a broken rule is 422 here (the forms show it as 400)."""
    get_session().rollback()
    status = 422 if isinstance(error, ValidationError) else error.status_code
    details: dict[str, Any] = {}
    if isinstance(error.details.get("field"), str):
        details["field"] = error.details["field"]
    if isinstance(error.details.get("errors"), dict):
        details["errors"] = {k: str(v) for k, v in error.details["errors"].items()}
    if isinstance(error, StaleEdit):
        current = error.details.get("current")
        version = error.details.get("current_version", getattr(current, "version", None))
        if isinstance(version, int):
            details["current_version"] = version
    return json_error(status, error.message, **details)


# --- paging ---------------------------------------------------------------------------------------


class Query(BaseModel):
    model_config = ConfigDict(extra="ignore")

    cursor: Annotated[str, Field(max_length=40)] | None = Field(
        default=None, description="next_cursor of the previous page"
    )
    limit: Annotated[int, Field(ge=1, le=listing.MAX_LIMIT)] = 50


class ByCustomer(Query):
    customer_id: s.Id | None = None


class CustomerQuery(Query):
    assigned_rep_id: s.Id | None = None


class FollowUpQuery(ByCustomer):
    state: Literal["open", "done", "cancelled"] | None = None
    owner_id: s.Id | None = None


class ProductQuery(Query):
    include_inactive: bool = False


class PlanQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    rep_id: s.Id | None = Field(default=None, description="managers: a rep of their team")


def _after(query: Query) -> int:
    """The id a cursor continues after (cursors are opaque to clients)."""
    if not query.cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(query.cursor.encode() + b"==").decode()
        kind, _sep, number = text.partition(":")
        if kind == "after" and number.isdigit() and int(number) <= s.MAX_ID:
            return int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ValidationError(_("This cursor is not one the API gave."), field="cursor")


def _page(found: listing.Slice, model: type[s.Out]) -> dict[str, Any]:
    cursor = None
    if found.last_id is not None:
        cursor = base64.urlsafe_b64encode(f"after:{found.last_id}".encode()).decode().rstrip("=")
    return {"items": [model.model_validate(row) for row in found.items], "next_cursor": cursor}


def _customer(customer_id: int):
    return customers.get_customer(get_session(), actor=current_user, customer_id=customer_id)


def _detail(customer) -> s.CustomerDetailOut:
    found_contacts, periods = listing.customer_parts(get_session(), customer_id=customer.id)
    return s.CustomerDetailOut.model_validate(
        {
            **s.CustomerOut.model_validate(customer).model_dump(),
            "contacts": [s.ContactOut.model_validate(c) for c in found_contacts],
            "busy_periods": [s.BusyPeriodOut.model_validate(p) for p in periods],
        }
    )


# --- the document ---------------------------------------------------------------------------------


@api.route("/openapi.json", response=dict[str, Any], public=True)
def openapi():
    """This API's OpenAPI 3.1 document, generated from the routes and their models."""
    return api.spec(prefix=PREFIX)


# --- customers ------------------------------------------------------------------------------------


@api.route("/customers", response=s.Page[s.CustomerOut], query=CustomerQuery)
def list_customers(query: CustomerQuery):
    """The team's customers by id."""
    found = listing.customers(
        get_session(),
        team_id=current_user.team_id,
        after=_after(query),
        limit=query.limit,
        assigned_rep_id=query.assigned_rep_id,
    )
    return _page(found, s.CustomerOut)


@api.route("/customers/<int:customer_id>", response=s.CustomerDetailOut)
def get_customer(customer_id: int):
    """One customer of the team with its contacts and busy periods."""
    return _detail(_customer(customer_id))


@api.route(
    "/customers/<int:customer_id>",
    "PATCH",
    response=s.CustomerDetailOut,
    body=s.CustomerPatch,
    stale=True,
)
def update_customer(customer_id: int, body: s.CustomerPatch):
    """Change a customer (its assigned rep or a manager); refused with 409 over a newer version."""
    customer = _customer(customer_id)
    fields = body.model_dump(exclude_unset=True, exclude={"version"})
    customer = customers.update_customer(
        get_session(),
        actor=current_user,
        customer=customer,
        version=body.version,
        data=fields,
        now=clock.now_utc(),
        config=current_app.config,
    )
    return _detail(customer)


@api.route(
    "/customers/<int:customer_id>/contacts",
    "POST",
    response=s.ContactOut,
    body=s.ContactIn,
    status=201,
)
def add_contact(customer_id: int, body: s.ContactIn):
    """Add a contact (the customer's assigned rep or a manager)."""
    contact = contacts.save_contact(
        get_session(), actor=current_user, customer=_customer(customer_id), data=body.model_dump()
    )
    return s.ContactOut.model_validate(contact)


class BusyIn(s.In):
    kind: Literal["weekly", "dates"]
    weekdays: Annotated[str, Field(max_length=7, description="digits, Monday=0")] | None = None
    start_date: date | None = None
    end_date: date | None = None
    start_min: Annotated[int, Field(ge=0, le=1440)] | None = None
    end_min: Annotated[int, Field(ge=0, le=1440)] | None = None
    label: Annotated[str, Field(max_length=120)] | None = None


@api.route(
    "/customers/<int:customer_id>/busy-periods",
    "POST",
    response=s.BusyPeriodOut,
    body=BusyIn,
    status=201,
)
def add_busy_period(customer_id: int, body: BusyIn):
    """Add a busy period (overlapping ones on the same days are merged into it)."""
    customer = _customer(customer_id)
    spec = busy.validate(**body.model_dump())
    period = busy_periods.save_busy(get_session(), actor=current_user, customer=customer, spec=spec)
    return s.BusyPeriodOut.model_validate(period)


# --- visits and notes -----------------------------------------------------------------------------


@api.route("/visits", response=s.Page[s.VisitOut], query=ByCustomer)
def list_visits(query: ByCustomer):
    """Visits at the team's customers by id (with their notes)."""
    found = listing.visits(
        get_session(),
        team_id=current_user.team_id,
        after=_after(query),
        limit=query.limit,
        customer_id=query.customer_id,
    )
    return _page(found, s.VisitOut)


@api.route("/visits/<int:visit_id>", response=s.VisitOut)
def get_visit(visit_id: int):
    """One visit at a customer of the team."""
    return s.VisitOut.model_validate(
        visits.get_visit(get_session(), actor=current_user, visit_id=visit_id)
    )


def _visit_input(body: s.VisitNote) -> visits.VisitInput:
    return visits.VisitInput.from_mapping(body.model_dump(exclude={"key", "version"}))


@api.route(
    "/customers/<int:customer_id>/visits",
    "POST",
    response=s.VisitOut,
    body=s.VisitIn,
    status=201,
)
def log_visit(customer_id: int, body: s.VisitIn):
    """Log a visit with orders and follow-ups; the same `key` again returns the stored visit."""
    visit = visits.log_visit(
        get_session(),
        actor=current_user,
        customer_id=customer_id,
        data=_visit_input(body),
        now=clock.now_utc(),
        idempotency_key=body.key,
    )
    return s.VisitOut.model_validate(visit)


@api.route("/visits/<int:visit_id>", "PATCH", response=s.VisitOut, body=s.VisitPatch, stale=True)
def edit_visit(visit_id: int, body: s.VisitPatch):
    """Correct your own visit note; refused with 409 over a newer version."""
    visit = visits.edit_visit(
        get_session(),
        actor=current_user,
        visit_id=visit_id,
        data=_visit_input(body),
        expected_version=body.version,
        now=clock.now_utc(),
    )
    return s.VisitOut.model_validate(visit)


# --- follow-ups, orders, products -----------------------------------------------------------------


@api.route("/followups", response=s.Page[s.FollowUpOut], query=FollowUpQuery)
def list_followups(query: FollowUpQuery):
    """Follow-ups at the team's customers by id."""
    found = listing.followups(
        get_session(),
        team_id=current_user.team_id,
        after=_after(query),
        limit=query.limit,
        customer_id=query.customer_id,
        state=query.state,
        owner_id=query.owner_id,
    )
    return _page(found, s.FollowUpOut)


@api.route(
    "/customers/<int:customer_id>/followups",
    "POST",
    response=s.FollowUpOut,
    body=s.FollowUpIn,
    status=201,
)
def add_followup(customer_id: int, body: s.FollowUpIn):
    """Open a follow-up at a customer of the team (owner: you, or a member of your team)."""
    data = followups.FollowUpInput.from_mapping(body.model_dump())
    followup = followups.create_followup(
        get_session(), actor=current_user, customer_id=customer_id, data=data, now=clock.now_utc()
    )
    return s.FollowUpOut.model_validate(followup)


@api.route(
    "/followups/<int:followup_id>/close", "POST", response=s.FollowUpOut, body=s.FollowUpClose
)
def close_followup(followup_id: int, body: s.FollowUpClose):
    """Close a follow-up with its result (its owner, the customer's rep or a manager)."""
    followup = followups.close_followup(
        get_session(),
        actor=current_user,
        followup_id=followup_id,
        result=body.result,
        now=clock.now_utc(),
    )
    return s.FollowUpOut.model_validate(followup)


@api.route("/orders", response=s.Page[s.OrderLineOut], query=ByCustomer)
def list_orders(query: ByCustomer):
    """Order lines of the team's customers by id."""
    found = listing.orders(
        get_session(),
        team_id=current_user.team_id,
        after=_after(query),
        limit=query.limit,
        customer_id=query.customer_id,
    )
    return _page(found, s.OrderLineOut)


@api.route("/products", response=s.Page[s.ProductOut], query=ProductQuery)
def list_products(query: ProductQuery):
    """The product catalogue (active products unless include_inactive)."""
    found = listing.products(
        get_session(),
        after=_after(query),
        limit=query.limit,
        active_only=not query.include_inactive,
    )
    return _page(found, s.ProductOut)


# --- day plans ------------------------------------------------------------------------------------


@api.route("/day-plans/<day>", response=s.DayPlanOut, query=PlanQuery)
def get_day_plan(day: str, query: PlanQuery):
    """Your plan of a day (managers: a rep of their team with rep_id) with its stops in order."""
    try:
        plan_day = date.fromisoformat(day)
    except ValueError as exc:
        raise NotFound(_("There is no such day to show.")) from exc
    session = get_session()
    rep = viewable_rep(session, actor=current_user, rep_id=query.rep_id)
    plan = plans.get_plan(session, rep_id=rep.id, day=plan_day)
    if plan is None:
        raise NotFound(_("There is no plan for this day."))
    stops = [s.StopOut.model_validate(stop) for stop in plans.plan_stops(session, plan)]
    return s.DayPlanOut.model_validate({**plan.model_dump(), "stops": stops})


# --- the offline sync (the outbox's one rule) -----------------------------------------------------


def _synced(result) -> s.SyncOut:
    visit = result.visit
    return s.SyncOut(ok=True, replayed=result.replayed, visit_id=visit.id, status=visit.status)


@api.route("/sync/check-in", "POST", response=s.SyncOut, body=s.StopEventIn)
def sync_check_in(body: s.StopEventIn):
    """A check-in recorded at `at` (the first one is kept when it comes again)."""
    return _synced(stop_event_entry(body.model_dump(mode="json"), StopEvent.CHECK_IN))


@api.route("/sync/check-out", "POST", response=s.SyncOut, body=s.StopEventIn)
def sync_check_out(body: s.StopEventIn):
    """A check-out recorded at `at` (the first one is kept when it comes again)."""
    return _synced(stop_event_entry(body.model_dump(mode="json"), StopEvent.CHECK_OUT))


@api.route("/sync/visits", "POST", response=s.SyncOut, body=s.SyncVisitIn)
def sync_visit(body: s.SyncVisitIn):
    """A visit log as the visit form's pairs, stored once per key."""
    return _synced(visit_entry(body.model_dump(mode="json")))
