"""The outbox sync API: what the phone's outbox (static/js/outbox.js) kept while offline, sent as JSON.

It is guarded like the HTML forms: signed-in user, CSRF token (in the X-CSRFToken header), the same team
and ownership checks in the services. Validation errors come back as JSON in the user's language with 422,
so the phone can tell "will never be accepted" (show it to the rep) from "try again later".

A visit log arrives as the visit form's own name/value pairs (`"form": [[name, value], …]`), read by
VisitForm exactly as the online post is. Outboxes written before that change hold the visit as a JSON
object (`"visit": {…}`, built on the phone by the former `visitFromForm`); that shape is still taken so a
phone that was offline across an update loses nothing. It can go once such entries are older than
`services.sync.MAX_AGE`, after which the server refuses them anyway.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import MultiDict

from ..db import commit_with_retries, get_session
from ..errors import ValidationError
from ..services import clock, sync, visits
from ..services.day.position import Position
from ..services.sync import StopEvent, SyncResult
from ..visits.forms import VisitForm
from . import bp


@bp.route("/sync/status")
@login_required
def sync_status():
    """Who is signed in and a fresh CSRF token, asked before the outbox is sent."""
    return jsonify(user_id=current_user.id, csrf_token=generate_csrf())


def _malformed(field: str | None = None) -> ValidationError:
    return ValidationError(_("The data sent is not in the expected form."), field=field)


def _payload() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise _malformed()
    return data


def _visit_input(data: dict[str, Any]) -> visits.VisitInput:
    """The visit from the form's pairs (one mapping rule, VisitForm's), or from an old outbox's object."""
    pairs = data.get("form")
    if pairs is None and isinstance(data.get("visit"), dict):
        return visits.VisitInput.from_mapping(data["visit"])  # written by the former phone code
    if not isinstance(pairs, list) or not all(
        isinstance(pair, list) and len(pair) == 2 and all(isinstance(v, str) for v in pair)
        for pair in pairs
    ):
        raise _malformed("form" if pairs is not None else "visit")
    form = VisitForm(formdata=MultiDict(pairs), meta={"csrf": False})
    return visits.VisitInput.from_mapping(form.to_mapping())


def _answer(result: SyncResult):
    """The stored entry (committed by commit_with_retries: a busy database is tried again first)."""
    visit = result.visit
    return jsonify(ok=True, replayed=result.replayed, visit_id=visit.id, status=visit.status)


def _refused(error: ValidationError):
    """Nothing of a refused entry is kept; the message is for the rep, in their language."""
    get_session().rollback()
    return jsonify(error=error.message, field=error.details.get("field"), status=422), 422


def stop_event_entry(data: dict[str, Any], event: StopEvent) -> SyncResult:
    """Replay a check-in or check-out recorded on the phone: stop, time on the phone, position.

    The one rule for the outbox (/api/sync) and for integrations (/api/v1/sync). Committed here by
    commit_with_retries: a busy database is tried again (the first event is the one kept)."""
    stop_id = sync.parse_id(data.get("stop_id"), field="stop_id")
    position = Position.parse(data.get("lat"), data.get("lon"))
    at = sync.captured_at(data.get("at"), now=clock.now_utc())
    session = get_session()
    return commit_with_retries(
        session,
        lambda: sync.stop_event(
            session, actor=current_user, event=event, stop_id=stop_id, position=position, at=at
        ),
    )


def visit_entry(data: dict[str, Any]) -> SyncResult:
    """Store an offline visit log once per key (the outbox's and /api/v1/sync's one rule)."""
    key = data.get("key")
    if not isinstance(key, str) or len(key.strip()) > visits.KEY_MAX:
        raise ValidationError(_("The submission key is missing."), field="key")
    fields = {
        "customer_id": sync.parse_id(data.get("customer_id"), field="customer_id"),
        "stop_id": sync.parse_id(data.get("stop_id"), field="stop_id", required=False),
        "visit_id": sync.parse_id(data.get("visit_id"), field="visit_id", required=False),
        "key": key,
        "data": _visit_input(data),
        "at": sync.captured_at(data.get("at"), now=clock.now_utc()),
    }
    session = get_session()
    # The entry's key makes a second attempt safe (stored once), so a busy database is tried again.
    return commit_with_retries(
        session, lambda: sync.log_visit(session, actor=current_user, **fields)
    )


def _sync_stop_event(event: StopEvent):
    try:
        result = stop_event_entry(_payload(), event)
    except ValidationError as error:
        return _refused(error)
    return _answer(result)


@bp.route("/sync/check-in", methods=["POST"])
@login_required
def sync_check_in():
    """An offline check-in (the first one is kept when it comes again)."""
    return _sync_stop_event(StopEvent.CHECK_IN)


@bp.route("/sync/check-out", methods=["POST"])
@login_required
def sync_check_out():
    """An offline check-out (the first one is kept when it comes again)."""
    return _sync_stop_event(StopEvent.CHECK_OUT)


@bp.route("/sync/visits", methods=["POST"])
@login_required
def sync_visit():
    """An offline visit log (outcome, notes, orders, follow-ups), stored once per key."""
    try:
        result = visit_entry(_payload())
    except ValidationError as error:
        return _refused(error)
    return _answer(result)
