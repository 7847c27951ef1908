"""Who is calling the API: a personal token (`Authorization: Bearer …`, /api/v1 only) or the signed-in
session (the app's own pages and outbox). Runs before every /api view.

- no credentials → 401 JSON (never the login page's redirect: a program cannot follow it);
- a bearer token → its owner is the current user for this request only (no cookie is set); a read token
  may not write (403); no CSRF token needed, since a browser never adds the header by itself;
- a session cookie → CSRF is required on every write, as on the forms.
"""

from __future__ import annotations

import hashlib

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user

from ..db import get_session
from ..extensions import csrf
from ..services import api_tokens, clock
from .openapi import UNSAFE_METHODS, json_error

V1 = "api.v1"


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer` header ("" for a malformed one), else None."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip()


def rate_key() -> str:
    """Limits count per token, else per signed-in user, else per address."""
    token = bearer_token()
    if token:
        return "api-token:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    if current_user.is_authenticated:
        return f"api-user:{current_user.id}"
    return "api-addr:" + (request.remote_addr or "")


def rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", "300 per minute")


def guard(public_endpoints: set[str]):
    """The before_request of the /api blueprint (its nested v1 blueprint included)."""
    if request.endpoint in public_endpoints or request.endpoint is None:
        return None
    token = bearer_token()
    unsafe = request.method in UNSAFE_METHODS
    if token is not None:
        if V1 not in request.blueprints:
            return json_error(401, _("API tokens work only under /api/v1."))
        session = get_session()
        found = api_tokens.authenticate(session, token=token, now=clock.now_utc())
        if found is None:
            return json_error(401, _("This API token is unknown, revoked or its user is disabled."))
        session.commit()  # the last use, kept even when the call itself is refused
        user, row = found
        g._login_user = user  # Flask-Login's current user, for this request only
        g.api_token = row
        if unsafe and row.scope != api_tokens.READ_WRITE:
            return json_error(403, _("This token may only read. Make a read and write token."))
        return None
    if not current_user.is_authenticated:
        return json_error(401, _("Please sign in or send an API token."))
    if unsafe and V1 in request.blueprints:
        csrf.protect()  # the v1 views are exempt from the global check only for bearer calls
    return None
