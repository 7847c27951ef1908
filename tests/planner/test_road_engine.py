"""Road engine: OSRM's table API served by a small real HTTP server on 127.0.0.1 (no mocks)."""

from __future__ import annotations

import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from planner import Location, PlanOptions, PlanRequest, Rep, plan_day, travel_matrix
from planner.matrix import geodesic_seconds
from tests.serving import send_json, serving

from .checker import check_plan
from .conftest import FAST, H, cand

PLACES = [Location(35.68, 139.76), Location(35.70, 139.70), Location(35.66, 139.73)]


def _road_seconds(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The fake engine's travel time: Manhattan degrees at a slow crawl, clearly not geodesic."""
    if a == b:
        return 0.0
    return round((abs(a[0] - b[0]) + abs(a[1] - b[1])) * 40_000, 1) + 0.4


class FakeOsrm(BaseHTTPRequestHandler):
    """Answers /table/v1/<profile>/<lon,lat;…> like OSRM does; remembers what it was asked."""

    requests: list[str] = []
    answer_code = "Ok"

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        type(self).requests.append(self.path)
        path = self.path.split("?")[0]
        parts = path.split("/")
        if parts[1:3] != ["table", "v1"]:
            self.send_error(404)
            return
        coords = [tuple(float(x) for x in pair.split(",")) for pair in parts[4].split(";")]
        body = {
            "code": self.answer_code,
            "durations": [[_road_seconds(a, b) for b in coords] for a in coords],
        }
        send_json(self, body)

    def log_message(self, *args) -> None:  # keep test output quiet
        pass


@pytest.fixture
def osrm_url():
    FakeOsrm.requests = []
    FakeOsrm.answer_code = "Ok"
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOsrm)
    with serving(server):
        yield f"http://127.0.0.1:{server.server_address[1]}"
    server.server_close()


def _closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (the port was just released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_table_api_is_asked_with_lon_lat_and_the_travel_profile(osrm_url: str) -> None:
    tm = travel_matrix(PLACES, mode="bicycle", osrm_url=osrm_url)
    assert tm.source == "osrm" and tm.note == ""
    (path,) = FakeOsrm.requests
    assert path.startswith("/table/v1/cycling/139.760000,35.680000;139.700000,35.700000;")
    assert "annotations=duration" in path
    # OSRM answers lon,lat pairs; the fake's times come back rounded up to whole seconds
    assert tm.seconds[0, 1] == 3201 and tm.seconds[1, 0] == 3201 and tm.seconds[0, 0] == 0
    assert tm.seconds[1, 2] == 2801


def test_plan_uses_road_engine_times(osrm_url: str) -> None:
    rep = Rep("r1", PLACES[0], PLACES[0], 9 * H, 18 * H)
    req = PlanRequest((rep,), (cand("a", 30, 1.0).__class__("a", PLACES[1], 1800, 1.0),))
    plan = plan_day(req, PlanOptions(time_limit=None, iteration_limit=10, osrm_url=osrm_url))
    assert plan.matrix_source == "osrm" and plan.notes == ()
    (stop,) = plan.routes[0].stops
    assert stop.travel_seconds == 3201  # not the ~1000 s a straight line at 30 km/h would give
    assert plan.routes[0].travel_seconds == 6402


def test_unreachable_engine_falls_back_to_geodesic_and_says_so() -> None:
    url = _closed_port_url()
    tm = travel_matrix(PLACES, osrm_url=url, timeout=1.0)
    assert tm.source == "haversine" and "road engine unreachable" in tm.note
    assert (tm.seconds == geodesic_seconds(PLACES, speed_kmh=30.0)).all()
    rep = Rep("r1", PLACES[0], PLACES[0], 9 * H, 18 * H)
    c = cand("a").__class__("a", PLACES[1], 1800, 1.0)
    req = PlanRequest((rep,), (c,))
    options = PlanOptions(time_limit=None, iteration_limit=10, osrm_url=url, osrm_timeout=1.0)
    plan = plan_day(req, options)
    assert plan.matrix_source == "haversine"
    assert any("road engine unreachable" in n for n in plan.notes)
    assert [s.candidate_id for s in plan.routes[0].stops] == ["a"]
    assert check_plan(req, plan) == []


def test_engine_error_answer_falls_back_too(osrm_url: str) -> None:
    FakeOsrm.answer_code = "InvalidQuery"
    tm = travel_matrix(PLACES, osrm_url=osrm_url)
    assert tm.source == "haversine" and "ValueError" in tm.note and FakeOsrm.requests


def test_fast_options_do_not_ask_the_engine_without_a_url() -> None:
    tm = travel_matrix(PLACES)
    assert tm.source == "haversine" and tm.note == "" and FAST.osrm_url is None
