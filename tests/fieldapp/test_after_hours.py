""" "Plan my day" and "Running late" pressed after the working day ended: a plan that says no visit fits,
not an error (found by the permission matrix running in the Japanese evening)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from fieldapp.models import DayPlan, DayPlanDrop, DayPlanStop, Visit
from fieldapp.services import clock
from tests.conftest import csrf_token

TOKYO = ZoneInfo("Asia/Tokyo")
DAY = date(2026, 11, 25)  # a Wednesday
HOME = (35.681, 139.767)


@pytest.fixture
def evening(monkeypatch, db, make_team, make_user, make_customer):
    """19:30 in Tokyo, the rep's day ends at 18:00 and its last visit, done at 17:30, was 30 km from
    home (so even going straight back is late); two customers due today out there too."""
    monkeypatch.setattr(
        clock, "now_utc", lambda: datetime(2026, 11, 25, 19, 30, tzinfo=TOKYO).astimezone(UTC)
    )
    team = make_team()
    rep = make_user(team=team, start_lat=HOME[0], start_lon=HOME[1], language="en")
    customers = [
        make_customer(
            team=team, assigned_rep_id=rep.id, next_due_on=DAY, lat=35.86 + 0.01 * i, lon=139.77
        )
        for i in range(2)
    ]
    last = make_customer(team=team, assigned_rep_id=rep.id, lat=35.95, lon=139.77)
    at = datetime(2026, 11, 25, 17, 30, tzinfo=TOKYO).astimezone(UTC)
    db.add(
        Visit(customer_id=last.id, rep_id=rep.id, status="done", check_in_at=at, check_out_at=at)
    )
    db.commit()
    return rep, customers


@pytest.mark.parametrize("button", ["plan", "replan"])
def test_after_the_working_day_nothing_fits_and_the_page_says_why(
    app, db, client, login_as, evening, button
):
    rep, customers = evening
    login_as(rep)
    url = f"/day/{DAY.isoformat()}"
    page = client.get(url, follow_redirects=True).get_data(as_text=True)
    response = client.post(f"{url}/{button}", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    plan = db.exec(select(DayPlan).where(DayPlan.rep_id == rep.id)).one()
    assert db.exec(select(DayPlanStop).where(DayPlanStop.day_plan_id == plan.id)).all() == []
    drops = db.exec(select(DayPlanDrop).where(DayPlanDrop.day_plan_id == plan.id)).all()
    assert {d.customer_id for d in drops} == {c.id for c in customers}
    assert {d.reason_code for d in drops} == {"window_unreachable"}
    page = client.get(url, follow_redirects=True).get_data(as_text=True)
    assert "cannot be reached in time within today&#39;s working hours" in page
