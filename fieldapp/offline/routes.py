"""Installable app and offline work: manifest, service worker, offline page, and the outbox sync API.

The sync API takes the JSON entries the phone's outbox (static/js/outbox.js) kept while offline. It is
guarded like the HTML forms: signed-in user, CSRF token (in the X-CSRFToken header), the same team and
ownership checks in the services. Validation errors come back as JSON in the user's language with 422,
so the phone can tell "will never be accepted" (show it to the rep) from "try again later".
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from ..db import get_session
from ..errors import ValidationError
from ..services import clock, sync, visits
from ..services.day.position import Position
from ..services.sync import SyncResult

bp = Blueprint("offline", __name__)

# Files every page needs, cached when the service worker installs (paths under static/).
SHELL_ASSETS = (
    "css/app.css",
    "css/offline.css",
    "js/outbox_store.js",
    "js/outbox.js",
    "js/today.js",
    "js/visit_form.js",
    "icons/icon.svg",
    "icons/icon-192.png",
    "icons/icon-512.png",
)


def _worker_source(static_folder: str) -> str:
    if current_app.debug:  # edits to the assets show up without a restart
        return _build_worker_source(static_folder)
    return _cached_worker_source(static_folder)


def _build_worker_source(static_folder: str) -> str:
    """sw.js with its precache list and a version derived from the cached files' contents.

    Any change to a shell file changes the worker's bytes, which is what makes browsers install the new
    worker and refresh their caches.
    """
    static = Path(static_folder)
    digest = hashlib.sha256()
    for name in SHELL_ASSETS:
        path = static / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    source = (static / "js" / "sw.js").read_text(encoding="utf-8")
    digest.update(source.encode())
    return source.replace("__VERSION__", digest.hexdigest()[:16])


_cached_worker_source = cache(_build_worker_source)


@bp.route("/sw.js")
def service_worker():
    """The service worker, served from the root so its scope covers the whole app."""
    source = _worker_source(current_app.static_folder)
    config = {
        "precache": [url_for("static", filename=name) for name in SHELL_ASSETS]
        + [url_for("offline.page")],
        "offline": url_for("offline.page"),
        "store": url_for("static", filename="js/outbox_store.js"),
        "today": url_for("today.index"),
        "logout": url_for("auth.logout"),
        "login": url_for("auth.login"),
        "staticPrefix": current_app.static_url_path + "/",
    }
    body = f"self.FC_CONFIG = {json.dumps(config)};\n{source}"
    response = Response(body, mimetype="application/javascript")
    # Browsers must always check for a new worker; the worker itself caches the assets.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.route("/manifest.webmanifest")
def manifest():
    """The web app manifest (name in the browser's language: it is fetched without the session)."""
    icon = "icons/icon-{size}.png"
    data = {
        "name": _("Field Companion"),
        "short_name": _("Field Companion"),
        "description": _("Today's visits, customer history and visit notes, also offline."),
        "lang": request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "ja",
        "start_url": url_for("today.index"),
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f3f4f6",
        "theme_color": "#1d4ed8",
        "icons": [
            {
                "src": url_for("static", filename="icons/icon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
            },
            *(
                {
                    "src": url_for("static", filename=icon.format(size=size)),
                    "sizes": f"{size}x{size}",
                    "type": "image/png",
                    "purpose": "any",
                }
                for size in (192, 512)
            ),
        ],
    }
    response = Response(json.dumps(data, ensure_ascii=False), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/offline")
def page():
    """Shown by the service worker for a page that is not available offline (holds no data)."""
    return render_template("offline/offline.html")


# --- the outbox sync API ----------------------------------------------------------------------------


@bp.route("/api/sync/status")
@login_required
def sync_status():
    """Who is signed in and a fresh CSRF token, asked before the outbox is sent."""
    return jsonify(user_id=current_user.id, csrf_token=generate_csrf())


def _payload() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError(_("The data sent is not in the expected form."))
    return data


def _position(data: dict[str, Any]) -> Position | None:
    return Position.parse(data.get("lat"), data.get("lon"))


def _answer(result: SyncResult):
    get_session().commit()
    visit = result.visit
    return jsonify(
        ok=True,
        replayed=result.replayed,
        visit_id=visit.id,
        status=visit.status,
    )


def _refused(error: ValidationError):
    """Nothing of a refused entry is kept; the message is for the rep, in their language."""
    get_session().rollback()
    return jsonify(error=error.message, field=error.details.get("field"), status=422), 422


def _sync_stop_event(record):
    """Replay a check-in or check-out recorded on the phone: stop, time on the phone, position."""
    try:
        data = _payload()
        result = record(
            get_session(),
            actor=current_user,
            stop_id=sync.parse_id(data.get("stop_id"), field="stop_id"),
            at=sync.captured_at(data.get("at"), now=clock.now_utc()),
            position=_position(data),
        )
    except ValidationError as error:
        return _refused(error)
    return _answer(result)


@bp.route("/api/sync/check-in", methods=["POST"])
@login_required
def sync_check_in():
    """An offline check-in (the first one is kept when it comes again)."""
    return _sync_stop_event(sync.check_in)


@bp.route("/api/sync/check-out", methods=["POST"])
@login_required
def sync_check_out():
    """An offline check-out (the first one is kept when it comes again)."""
    return _sync_stop_event(sync.check_out)


@bp.route("/api/sync/visits", methods=["POST"])
@login_required
def sync_visit():
    """An offline visit log (outcome, notes, orders, follow-ups), stored once per key."""
    try:
        data = _payload()
        fields = data.get("visit")
        if not isinstance(fields, dict):
            raise ValidationError(_("The data sent is not in the expected form."), field="visit")
        key = data.get("key")
        if not isinstance(key, str) or len(key.strip()) > visits.KEY_MAX:
            raise ValidationError(_("The submission key is missing."), field="key")
        result = sync.log_visit(
            get_session(),
            actor=current_user,
            customer_id=sync.parse_id(data.get("customer_id"), field="customer_id"),
            stop_id=sync.parse_id(data.get("stop_id"), field="stop_id", required=False),
            visit_id=sync.parse_id(data.get("visit_id"), field="visit_id", required=False),
            key=key,
            data=visits.VisitInput.from_mapping(fields),
            at=sync.captured_at(data.get("at"), now=clock.now_utc()),
        )
    except ValidationError as error:
        return _refused(error)
    return _answer(result)
