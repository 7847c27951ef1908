"""Response headers every page gets, and the rule that a reset password is changed before anything else.

The Content-Security-Policy allows scripts and styles only from this site's own files (no inline script or
style: an injected `<script>` or `style=` does nothing), images also from the configured tile server.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .errors import render_error

# Responses that are files anyone may cache (they hold nothing of the signed-in user).
ASSET_ENDPOINTS = {"static", "customers.leaflet_asset"}
# Pages a user with a reset password may still open: the change form itself and signing out.
OPEN_WHILE_RESET = {"me.password", "auth.logout", "auth.login"}
HSTS = "max-age=31536000; includeSubDomains"


def tile_source(tile_url: str | None) -> str:
    """The CSP source of a Leaflet tile template ("https://{s}.tile.example/{z}/..." → "https://*.tile.example")."""
    if not tile_url:
        return ""
    parts = urlsplit(tile_url)
    host = parts.netloc.replace("{s}", "*")
    if not parts.scheme or not host or "{" in host:
        return ""
    return f"{parts.scheme}://{host}"


def content_security_policy(tile_url: str | None) -> str:
    images = " ".join(filter(None, ("'self'", "data:", "blob:", tile_source(tile_url))))
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {images}",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "worker-src 'self'",
            "manifest-src 'self'",
        )
    )


def security_headers(response):
    """No MIME sniffing, no framing, no referrer leaks, the CSP; HSTS in production; signed-in pages
    are never stored by the browser or a proxy (a shared PC's back button shows nothing)."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault(
        "Content-Security-Policy", content_security_policy(current_app.config.get("TILE_URL"))
    )
    if current_app.config["ENV"] == "production":
        headers.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint not in ASSET_ENDPOINTS and current_user and current_user.is_authenticated:
        headers["Cache-Control"] = "no-store"
    return response


def require_own_password():
    """After a manager's reset, every page leads to the password form until the user chose one."""
    if (
        current_user
        and current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in OPEN_WHILE_RESET
        and request.endpoint not in ASSET_ENDPOINTS
    ):
        return redirect(url_for("me.password"))
    return None


def _has_nul(values) -> bool:
    return any("\x00" in value for _key, value in values.items(multi=True))


def _json_has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_json_has_nul(k) or _json_has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_json_has_nul(item) for item in value)
    return False


def refuse_nul_bytes():
    """No form, query or JSON text with a NUL character reaches a service (SQLite would store it,
    PostgreSQL fails on it): the request is refused with a message, nothing is stored."""
    body = request.get_json(silent=True) if request.is_json else None
    if _json_has_nul(body) or _has_nul(request.args) or _has_nul(request.form):
        return render_error(
            400,
            _("Please check"),
            _("The text sent contains a control character (NUL) and was not saved."),
        )
    return None


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_bytes)
    app.before_request(require_own_password)
    app.after_request(security_headers)
