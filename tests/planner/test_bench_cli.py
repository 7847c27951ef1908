"""The bench CLI others measure with: JSON lines checked against the instance data, not the solver."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"
C101 = DATA / "optw" / "c101.txt"


def bench(*args: str) -> str:
    """Run `python -m planner.bench …` from the repository root and return its stdout."""
    out = subprocess.run(
        [sys.executable, "-m", "planner.bench", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return out.stdout


def read_vertices(path: Path) -> list[dict]:
    """The OPTW text layout, parsed here on its own: x, y, service, score, open, close per vertex."""
    rows = [ln.split() for ln in path.read_text().splitlines()[2:] if ln.strip()]
    return [
        {
            "x": float(r[1]),
            "y": float(r[2]),
            "d": float(r[3]),
            "s": float(r[4]),
            "o": float(r[-2]),
            "c": float(r[-1]),
        }
        for r in rows
    ]


def travel(a: dict, b: dict) -> float:
    """Euclidean distance truncated to one decimal (the convention of the published optima)."""
    return math.floor(math.hypot(a["x"] - b["x"], a["y"] - b["y"]) * 10 + 1e-7) / 10


def assert_route(v: list[dict], route: list[int], starts: list[float]) -> None:
    """One printed route kept every rule: reachable, inside every window, back at the depot in time."""
    assert route and len(route) == len(starts) == len(set(route)) and 0 not in route
    t, here = v[0]["o"], v[0]
    for vid, start in zip(route, starts, strict=True):
        arrive = t + travel(here, v[vid])
        assert start >= arrive - 1e-6, f"vertex {vid} starts before the rep can be there"
        assert v[vid]["o"] - 1e-6 <= start <= v[vid]["c"] + 1e-6, f"vertex {vid} outside its window"
        t, here = start + v[vid]["d"], v[vid]
    assert t + travel(here, v[0]) <= v[0]["c"] + 1e-6, "back at the depot too late"


def test_optw_prints_a_feasible_route_and_the_gap_table() -> None:
    out = bench("optw", str(C101), "--iterations", "30")
    lines = out.splitlines()
    result = json.loads(lines[0])
    assert set(result) == {"instance", "score", "route", "starts", "seconds"}
    assert result["instance"] == "c101"
    v = read_vertices(C101)
    route = result["route"]
    assert_route(v, route, result["starts"])
    assert result["score"] == sum(v[i]["s"] for i in route)
    assert result["score"] <= 320  # the proven optimum
    # the gap table, because bks.csv sits next to the instance folder
    header = next(i for i, ln in enumerate(lines) if ln.startswith("solver"))
    row = lines[header + 1].split()
    assert row[0] == "planner" and float(row[1]) == pytest.approx(
        100 * (320 - result["score"]) / 320
    )


def test_optw_routes_prints_every_route_feasible_and_a_group_summary() -> None:
    out = bench("optw", str(C101), "--iterations", "30", "--routes", "2")
    lines = out.splitlines()
    result = json.loads(lines[0])
    assert set(result) == {"instance", "score", "routes", "starts", "seconds"}
    v = read_vertices(C101)
    assert len(result["routes"]) == len(result["starts"]) == 2
    for route, starts in zip(result["routes"], result["starts"], strict=True):
        assert_route(v, route, starts)
    visited = [i for route in result["routes"] for i in route]
    assert len(visited) == len(set(visited)), "a vertex on two routes"
    assert result["score"] == sum(v[i]["s"] for i in visited)
    assert result["score"] > 320  # two routes collect more than the one-route optimum
    row = next(ln.split() for ln in lines if ln.startswith("c ") and "planner" in ln)
    assert row[:3] == ["c", "planner", "1"] and float(row[3]) == result["score"]


def test_week_prints_our_week_beside_the_days_planned_one_by_one() -> None:
    out = bench("week", "--pools", "20", "--seeds", "1", "--time-limit", "0.3")
    (row,) = [json.loads(ln) for ln in out.splitlines()]
    assert set(row) == {
        "name", "value", "visits", "moved", "dropped_required", "seconds", "day_by_day"
    }  # fmt: skip
    assert row["name"] == "week-20-5-0" and len(row["visits"]) == 5
    assert sum(row["visits"]) <= 20 and not row["dropped_required"] and row["seconds"] < 2
    assert set(row["day_by_day"]) == {"value", "visits", "seconds"}


def day_checks(day: dict, result: dict) -> None:
    """Re-time the printed day from the day file alone: windows, travel, lunch, latest return."""
    visits = {v["id"]: v for v in day["visits"]}
    dur = day["durations"]
    lo, hi = day["horizon"]
    brk = day.get("break")
    bs = result["break_start"]
    assert (bs is None) == (brk is None)
    if brk:
        assert brk["window"][0] <= bs and bs + brk["duration"] <= brk["window"][1]
    t, node, lunch_gaps = lo, day.get("start_node", 0), 0
    for vid, start in zip(result["route"], result["starts"], strict=True):
        v = visits[vid]
        need = dur[node][v["node"]]
        if brk and t <= bs and bs + brk["duration"] <= start:
            need += brk["duration"]
            lunch_gaps += 1
        assert start - t >= need, f"{vid}: not enough time to get there"
        assert any(a <= start <= b for a, b in v["windows"]), f"{vid}: outside its windows"
        t, node = start + v["service"], v["node"]
    back = dur[node][day.get("end_node", 0)]
    if brk and t <= bs:
        back += brk["duration"]
        lunch_gaps += 1
    assert t + back <= hi, "back too late"
    if brk:
        assert lunch_gaps >= 1, "lunch overlaps a visit"
    assert result["value"] == pytest.approx(sum(visits[i]["value"] for i in result["route"]))


def test_gen_day_then_day_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "day.json"
    bench("gen-day", "--pool", "40", "--seed", "3", "-o", str(path))
    day = json.loads(path.read_text())
    assert day["name"] == "day-40-3" and len(day["visits"]) == 40
    n = len(day["durations"])
    assert n == 41 and all(len(row) == n for row in day["durations"])
    assert all(1 <= len(v["windows"]) <= 3 for v in day["visits"])
    assert day["break"] == {"duration": 45 * 60, "window": [11 * 3600, 14 * 3600]}
    first = json.loads(bench("day", str(path), "--iterations", "40"))
    assert set(first) == {"name", "value", "route", "starts", "break_start", "seconds"}
    assert first["name"] == "day-40-3" and len(first["route"]) >= 5
    day_checks(day, first)
    # the iteration-limited mode is repeatable
    again = json.loads(bench("day", str(path), "--iterations", "40"))
    assert (again["route"], again["starts"], again["break_start"]) == (
        first["route"],
        first["starts"],
        first["break_start"],
    )


def test_day_without_lunch_and_with_other_start_and_end(tmp_path: Path) -> None:
    day = {
        "name": "tiny",
        "horizon": [0, 100],
        "durations": [[0, 10, 10, 30], [10, 0, 5, 20], [10, 5, 0, 20], [30, 20, 20, 0]],
        "start_node": 0,
        "end_node": 3,
        "visits": [
            {"id": "a", "node": 1, "service": 10, "value": 2, "windows": [[0, 50]]},
            {"id": "b", "node": 2, "service": 10, "value": 3, "windows": [[40, 60]]},
            {"id": "far", "node": 3, "service": 90, "value": 9, "windows": [[0, 100]]},
        ],
    }
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(day))
    result = json.loads(bench("day", str(path), "--iterations", "20"))
    assert result["route"] == ["a", "b"] and result["value"] == 5
    assert result["starts"] == [10, 40] and result["break_start"] is None
    day_checks(day, result)
