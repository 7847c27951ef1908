"""Installable app and offline work: manifest, service worker and offline page.

What the phone's outbox kept offline is sent to the sync API (fieldapp/api/sync.py).
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import gettext as _

from .contract import worker_urls

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


def _worker_source(static_folder: str, config: str) -> str:
    if current_app.debug:  # edits to the assets show up without a restart
        return _build_worker_source(static_folder, config)
    return _cached_worker_source(static_folder, config)


def _build_worker_source(static_folder: str, config: str) -> str:
    """sw.js after its configuration, with a version derived from both and the cached files' contents.

    Any change to a shell file, to the worker or to its configuration (a route that moved) changes the
    worker's bytes, which is what makes browsers install the new worker and refresh their caches.
    """
    static = Path(static_folder)
    digest = hashlib.sha256()
    for name in SHELL_ASSETS:
        path = static / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    source = (static / "js" / "sw.js").read_text(encoding="utf-8")
    digest.update(source.encode())
    digest.update(config.encode())
    version = digest.hexdigest()[:16]
    return f"self.FC_CONFIG = {config};\n{source.replace('__VERSION__', version)}"


_cached_worker_source = cache(_build_worker_source)


@bp.route("/sw.js")
def service_worker():
    """The service worker, served from the root so its scope covers the whole app."""
    config = {
        "precache": [url_for("static", filename=name) for name in SHELL_ASSETS]
        + [url_for("offline.page")],
        "offline": url_for("offline.page"),
        "store": url_for("static", filename="js/outbox_store.js"),
        "today": url_for("today.index"),
        "logout": url_for("auth.logout"),
        "login": url_for("auth.login"),
        "staticPrefix": current_app.static_url_path + "/",
        **worker_urls(current_app.url_map),
    }
    body = _worker_source(current_app.static_folder, json.dumps(config))
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
