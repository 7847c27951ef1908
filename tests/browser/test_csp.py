"""Under the Content-Security-Policy the pages whose scripts and styles moved into files still work, and no
page of a rep's or manager's round reports a policy violation."""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def watch_violations(page) -> list[str]:
    """Every CSP violation the page reports (the browser's own event, plus console errors naming it)."""
    seen: list[str] = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return seen


def test_pages_run_under_the_policy(page, live_server, make_team, make_user, make_customer):
    team = make_team(name="東京東営業所")
    rep = make_user(team=team, email="ichiro@example.com", language="ja")
    make_user(team=team, role="manager", email="boss@example.com", language="ja")
    customer = make_customer(team=team, name="居酒屋 さくら", assigned_rep_id=rep.id)
    violations = watch_violations(page)
    sign_in(page, live_server, "ichiro@example.com", PASSWORD)
    for path in (
        "/",
        "/customers/",
        f"/customers/{customer.id}",
        f"/customers/{customer.id}/location",
        f"/customers/{customer.id}/busy/new",
        "/followups/",
        "/me",
        "/me/password",
    ):
        response = page.goto(f"{live_server}{path}")
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
    # The moved scripts run: the busy form hides the fields of the other kind, the calendar address
    # selects itself.
    page.goto(f"{live_server}/customers/{customer.id}/busy/new")
    page.check("input[name=kind][value=dates]")
    assert page.locator(".weekly-only").is_hidden()
    page.goto(f"{live_server}/me")
    page.click("#calendar-create")
    page.click("#calendar-url")
    selected = page.evaluate(
        "(() => { const i = document.getElementById('calendar-url');"
        " return i.selectionEnd - i.selectionStart === i.value.length && i.value.length > 0; })()"
    )
    assert selected
    assert violations == []
