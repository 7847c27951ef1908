"""Browser tests: real Chromium (Debian's /usr/bin/chromium) at a phone viewport, against a live server.

Outside CI a missing Chromium skips these tests with the reason; under CI=true it fails the run.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from werkzeug.serving import make_server

from fieldapp.services import clock
from tests.conftest import IN_CI
from tests.serving import serving

CHROMIUM = os.environ.get("FIELDAPP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}


def _chromium_available() -> bool:
    return os.path.exists(CHROMIUM) or shutil.which(CHROMIUM) is not None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not _chromium_available():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
        "headless": True,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "viewport": PHONE,
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
        "locale": "ja-JP",
        "timezone_id": "Asia/Tokyo",
    }


class InFlight:
    """A WSGI app counting the requests the app is still working on. A page's service worker goes on
    fetching pages for offline use as its test ends; answered on the server's daemon threads after the
    test, they held table locks while the next test emptied the tables, and PostgreSQL's TRUNCATE
    deadlocked. Flask has closed the request's database session when it returns the response, so that
    is when a request stops counting (the server may then wait on the socket for a while)."""

    def __init__(self, app) -> None:  # noqa: ANN001 - any WSGI app
        self.app = app
        self.working = 0
        self.changed = threading.Condition()

    def __call__(self, environ, start_response):  # noqa: ANN001 - WSGI's signature
        with self.changed:
            self.working += 1
        try:
            return self.app(environ, start_response)
        finally:
            with self.changed:
                self.working -= 1
                self.changed.notify_all()

    def wait_until_idle(self, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.working == 0, timeout)


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The test app served on a free loopback port in a thread; yields its base URL. Ends only once
    every request it took is answered."""
    tracked = InFlight(app)
    server = make_server("127.0.0.1", 0, tracked, threaded=True)
    with serving(server):
        yield f"http://127.0.0.1:{server.server_port}"
    assert tracked.wait_until_idle(timeout=30), "a request to the test server never finished"


def sign_in(page, base_url: str, email: str, password: str) -> None:
    """Sign in through the form like a person would."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


# Where the day's rep starts (Tokyo station); the customers are a few hundred metres away.
HOME = (35.681, 139.767)


@pytest.fixture
def make_home_rep(make_team, make_user):
    """make_home_rep(name=..., email=...) → a Japanese-speaking rep of a new team who starts at HOME."""

    def make(**fields):
        team = make_team(name="東京東営業所")
        home = {"start_lat": HOME[0], "start_lon": HOME[1], "language": "ja"}
        return make_user(team=team, **home, **fields)

    return make


def tokyo_today_at(hour: int, minute: int = 0) -> datetime:
    """Today (in Tokyo) at this local time, as an aware UTC datetime."""
    local = datetime.combine(clock.local_today("Asia/Tokyo"), time(hour, minute))
    return local.replace(tzinfo=ZoneInfo("Asia/Tokyo")).astimezone(UTC)


@pytest.fixture
def day_not_started(monkeypatch) -> None:
    """Plans are made as if before the day's start, whatever the hour the tests run: a plan made
    during the day starts from now (planning.started_at), and these tests are about the whole day.
    The server's clock stays real, so what the phone records is never "in the future"."""
    from fieldapp.services.day import planning

    monkeypatch.setattr(planning, "started_at", lambda settings, **_kw: None)


@pytest.fixture
def rep_day(make_home_rep, make_customer, day_not_started):
    """A Japanese-speaking rep with four overdue customers near HOME: a day worth planning."""
    rep = make_home_rep(name="営業 一郎", email="ichiro@example.com")
    today = clock.local_today("Asia/Tokyo")
    names = ["居酒屋 さくら", "山田商店", "北斗会計事務所", "カフェ 福助"]
    customers = [
        make_customer(
            team_id=rep.team_id,
            name=name,
            rank="A" if i == 0 else "B",
            assigned_rep_id=rep.id,
            next_due_on=today - timedelta(days=3 + i),
            phone="03-1234-567" + str(i),
            lat=HOME[0] + 0.003 * (i + 1),
            lon=HOME[1] + 0.002 * i,
        )
        for i, name in enumerate(names)
    ]
    return {"rep": rep, "customers": customers}
