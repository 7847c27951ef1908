"""Every route needs a signed-in user, except the few listed here with the reason they are public."""

from __future__ import annotations

import re

PUBLIC_ENDPOINTS = {
    "static": "the app's own CSS/JS/icons",
    "auth.login": "the sign-in page itself",
    "customers.leaflet_asset": "the Leaflet library files (public code, no data)",
    "offline.service_worker": "browsers fetch the worker script outside the session; it holds no data",
    "offline.manifest": "browsers fetch the manifest without cookies; name and icons only",
    "offline.page": "the 'not available offline' page the worker keeps; no data",
    "me.ical_feed": "calendar apps cannot sign in: the feed is opened by the user's secret token "
    "(unknown or rotated token → 404, tested in test_day_map_calendar.py)",
}


def _example_url(rule) -> str:
    """Fill every URL variable with a harmless example value."""
    return re.sub(
        r"<(?:[^:<>]+:)?([^<>]+)>",
        lambda m: "x.js" if "path" in m.group(0) or "filename" in m.group(1) else "1",
        rule.rule,
    )


def test_every_other_route_redirects_anonymous_visitors_to_login(app, client):
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        url = _example_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            if method == "GET":
                assert response.status_code == 302, (
                    f"{method} {url} answered {response.status_code}"
                )
                assert "/login" in response.headers["Location"], url
            else:
                # POSTs are refused before anything happens: CSRF (400) or the login redirect.
                assert response.status_code in (302, 400), (
                    f"{method} {url} answered {response.status_code}"
                )
            checked += 1
    assert checked >= 10
