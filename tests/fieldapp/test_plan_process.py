"""Plans searched in a plan process of the web worker's own (fieldapp/plan_process.py): the same plans
as in the request thread, a dead plan process replaced, the app's "Plan my day" through it."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlmodel import select

import planner
from fieldapp import plan_process
from fieldapp.models import DayPlan, DayPlanStop
from fieldapp.services import clock
from fieldapp.services.day import planning
from tests.conftest import csrf_token
from tests.planner.conftest import FAST, random_request

TOKYO = (35.681, 139.767)


def untimed(plan: planner.Plan) -> planner.Plan:
    """The plan without how long its search took (the one field two equal searches differ in)."""
    return replace(plan, seconds=0.0)


@pytest.fixture(scope="module")
def running_plan_process() -> Iterator[None]:
    planning.plan_in_own_process()
    try:
        yield
    finally:
        plan_process.stop()


def test_without_a_plan_process_plans_are_searched_here():
    assert not plan_process.running()
    assert plan_process.pid() is None
    request = random_request(3)
    assert untimed(plan_process.call(planner.plan_day, request, FAST)) == untimed(
        planner.plan_day(request, FAST)
    )


def test_the_plan_process_gives_the_plans_of_the_request_thread(running_plan_process):
    assert plan_process.running() and plan_process.pid() != os.getpid()
    for seed in range(4):
        request = random_request(seed, n=10)
        assert untimed(plan_process.call(planner.plan_day, request, FAST)) == untimed(
            planner.plan_day(request, FAST)
        )
    request = random_request(7)
    kept = request.candidates[0].id
    here = untimed(
        plan_process.call(
            planner.replan, request, rep_id=request.reps[0].id, at=kept, now=11 * 3600, options=FAST
        )
    )
    assert here == untimed(
        planner.replan(request, rep_id=request.reps[0].id, at=kept, now=11 * 3600, options=FAST)
    )


def test_a_dead_plan_process_is_replaced(running_plan_process):
    dead = plan_process.pid()
    os.kill(dead, signal.SIGKILL)
    request = random_request(5)
    # the plan still comes back (from a new plan process) and is the same plan
    assert untimed(plan_process.call(planner.plan_day, request, FAST)) == untimed(
        planner.plan_day(request, FAST)
    )
    assert plan_process.pid() not in (None, dead)


def test_plan_my_day_through_the_plan_process(
    running_plan_process, app, db, client, login_as, make_team, make_user, make_customer
):
    team = make_team()
    rep = make_user(team=team, start_lat=TOKYO[0], start_lon=TOKYO[1], language="en")
    day = clock.local_today(team.timezone) + timedelta(days=1)
    while day.weekday() >= 5:  # a working day of the default settings, planned from its start
        day += timedelta(days=1)
    customers = [
        make_customer(
            team=team,
            assigned_rep_id=rep.id,
            next_due_on=day,
            lat=TOKYO[0] + 0.004 * i,
            lon=TOKYO[1] + 0.003 * i,
        )
        for i in range(4)
    ]
    login_as(rep)
    url = f"/day/{day.isoformat()}"
    page = client.get(url).get_data(as_text=True)
    assert client.post(f"{url}/plan", data={"csrf_token": csrf_token(page)}).status_code == 302
    plan = db.exec(select(DayPlan).where(DayPlan.rep_id == rep.id)).one()
    stops = db.exec(select(DayPlanStop).where(DayPlanStop.day_plan_id == plan.id)).all()
    assert {s.customer_id for s in stops} == {c.id for c in customers}
    assert plan_process.running()
