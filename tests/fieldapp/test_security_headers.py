"""Content-Security-Policy without inline script or style, HSTS in production, no-store on signed-in pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fieldapp import create_app
from fieldapp.security import content_security_policy, tile_source

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I)


def test_csp_allows_no_inline_script_or_style(client):
    policy = client.get("/login").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: p.name)
def test_templates_have_no_inline_script_or_style(path):
    text = path.read_text()
    assert not INLINE_SCRIPT.search(text), "inline <script>: move it into fieldapp/static/js/"
    assert "<style" not in text.lower(), "<style> block: move it into fieldapp/static/css/"
    assert "style=" not in text, "style attribute: use a class"
    assert not INLINE_HANDLER.search(text), "on...= handler attribute: use addEventListener"


def test_tile_server_images_are_allowed():
    assert tile_source("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png") == (
        "https://*.tile.openstreetmap.org"
    )
    assert tile_source(None) == ""
    assert "https://tiles.example.com" in content_security_policy(
        "https://tiles.example.com/{z}/{x}/{y}.png"
    )


def test_signed_in_pages_are_not_stored_but_assets_are(client, make_user, login_as):
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    login_as(make_user())
    for path in ("/", "/me", "/customers/"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    asset = client.get("/static/css/app.css")
    assert asset.status_code == 200
    assert "no-store" not in asset.headers.get("Cache-Control", "")


def test_hsts_only_in_production(client, database_url, engine, tmp_path):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    production = create_app(
        {
            "ENV": "production",
            "SECRET_KEY": "a-long-production-secret-0123456789",
            "DATABASE_URL": database_url,
        }
    )
    try:
        response = production.test_client().get("/login", base_url="https://localhost")
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    finally:
        production.extensions["fieldapp.engine"].dispose()
