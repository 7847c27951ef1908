"""Team dashboard: every figure on a small hand-computed team, the drill-down lists, the SVG charts,
and who may see them (a rep: 403; another team's manager: nothing of this team)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from fieldapp.models import DayPlan, DayPlanStop, FollowUp, Visit
from fieldapp.services import clock, team_dashboard
from tests.conftest import login, saved

TOKYO = ZoneInfo("Asia/Tokyo")
TODAY = date(2026, 11, 27)  # a Friday; the week is Mon 23 – Sun 29 November
WEEK = team_dashboard.make_period("week", today=TODAY)


def jst(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TOKYO).astimezone(UTC)


@pytest.fixture
def small_team(db, make_people, make_customer, make_product, make_order_line):
    p = make_people(
        language="en",
        ichiro={"name": "A Ichiro"},
        jiro={"name": "B Jiro"},
        manager={"role": "manager"},
        outsider={"team": "other"},
        other_manager={"team": "other", "role": "manager"},
    )
    team, a, b = p["team"], p["ichiro"], p["jiro"]

    def customer(rep, rank, due, **kw):
        return make_customer(team=team, assigned_rep_id=rep.id, rank=rank, next_due_on=due, **kw)

    c1 = customer(a, "A", date(2026, 12, 5), name="Within A")
    c2 = customer(a, "A", date(2026, 11, 20), name="Overdue A")
    c3 = customer(a, "B", None, name="Never visited B")
    c4 = customer(a, "C", date(2026, 12, 1), name="Marked at risk", status="at_risk")
    c5 = customer(b, "B", date(2026, 12, 3), name="Jiro B")
    c6 = customer(b, "A", date(2026, 12, 10), name="Stopped ordering")
    customer(a, "A", date(2026, 11, 1), name="Lost one", status="lost")

    def visit(rep, c, status="done", at=None, **kw):
        return saved(
            db,
            Visit(
                customer_id=c.id,
                rep_id=rep.id,
                status=status,
                check_in_at=at if status == "done" else None,
                scheduled_start=at if status != "done" else None,
                **kw,
            ),
        )

    v1 = visit(a, c1, at=jst(11, 24, 10), needs="Cheaper soy sauce", proposals="Bulk price")
    visit(a, c2, at=jst(11, 25, 14), needs="   ", proposals=None)
    visit(a, c3, "skipped", at=jst(11, 26, 11), skip_reason="busy")
    visit(a, c1, at=jst(11, 20, 10))  # the week before: trend only
    visit(a, c2, at=jst(11, 23, 0, 30))  # just after local midnight Monday (Sunday 15:30 UTC)
    visit(a, c1, at=jst(11, 30, 0, 10))  # next week
    visit(b, c5, at=jst(11, 26, 9), proposals="New menu")
    visit(p["outsider"], c5, at=jst(11, 26, 9), needs="not this team")

    plan = saved(db, DayPlan(rep_id=a.id, plan_date=date(2026, 11, 24)))
    for i, state in enumerate(("done", "done", "skipped")):
        saved(db, DayPlanStop(day_plan_id=plan.id, customer_id=c1.id, position=i, state=state))
    later = saved(db, DayPlan(rep_id=a.id, plan_date=date(2026, 11, 30)))
    saved(db, DayPlanStop(day_plan_id=later.id, customer_id=c1.id, position=0))

    def followup(due, state="open", closed=None, owner=a):
        return saved(
            db,
            FollowUp(
                customer_id=c1.id,
                owner_id=owner.id,
                title=f"due {due}",
                due_date=due,
                state=state,
                closed_at=closed,
            ),
        )

    followup(date(2026, 11, 25), "done", jst(11, 25, 23))  # on time (14:00 UTC)
    followup(date(2026, 11, 26), "done", jst(11, 27, 1))  # late: 01:00 next day local, same UTC day
    followup(date(2026, 11, 27))  # open
    followup(date(2026, 11, 28), "cancelled")
    followup(date(2026, 12, 2))  # outside

    product = make_product(unit_price=1000)
    make_order_line(
        customer=c1, product=product, visit_id=v1.id, ordered_on=date(2026, 11, 24), quantity=2
    )
    make_order_line(customer=c2, product=product, ordered_on=date(2026, 11, 26), unit_price=500)
    make_order_line(customer=c5, product=product, ordered_on=date(2026, 11, 25), quantity=3)
    make_order_line(customer=c1, product=product, ordered_on=date(2025, 11, 25))  # last year
    make_order_line(customer=c1, product=product, ordered_on=date(2026, 11, 30))  # next week
    for day in (date(2026, 9, 1), date(2026, 9, 11), date(2026, 9, 21)):
        make_order_line(customer=c6, product=product, ordered_on=day)
    return {**p, "c": [c1, c2, c3, c4, c5, c6]}


def test_figures_by_hand(app, db, small_team):
    team = small_team["team"]
    with app.test_request_context():
        board = team_dashboard.build(db, team=team, period=WEEK, today=TODAY)
    assert [f.rep.name for f in board.reps] == ["A Ichiro", "B Jiro"]
    fa, fb = board.reps
    assert (fa.visits_done, fa.planned, fa.plan_done) == (3, 3, 2)
    assert fa.plan_kept == pytest.approx(2 / 3)
    assert (fa.skipped, fa.skip_reasons) == (1, {"busy": 1})
    assert (fa.needs, fa.proposals) == (1, 1)  # blank needs do not count
    assert fa.cadence == {"A": (1, 2), "B": (0, 1), "C": (1, 1)}
    assert (fa.followups_due, fa.followups_on_time) == (3, 1)
    assert (fa.order_lines, fa.sales, fa.order_lines_last_year, fa.sales_last_year) == (
        2,
        2500,
        1,
        1000,
    )
    assert fa.sales_change == pytest.approx(1.5)
    assert fa.at_risk == 1
    assert (fb.visits_done, fb.proposals, fb.planned, fb.sales, fb.at_risk) == (1, 1, 0, 3000, 1)
    assert fb.cadence == {"A": (1, 1), "B": (1, 1)}
    assert board.weeks[-1] == date(2026, 11, 23) and len(board.weeks) == team_dashboard.TREND_WEEKS
    assert fa.trend[-2:] == [1, 3] and fb.trend[-1] == 1
    assert board.totals.visits_done == 4 and board.totals.sales == 5500


def test_at_risk_rule(app, db, small_team):
    with app.test_request_context():
        risky = team_dashboard.at_risk_customers(db, team_id=small_team["team"].id, today=TODAY)
    a, b = small_team["ichiro"], small_team["jiro"]
    assert [(r.customer.name, r.reason) for r in risky[a.id]] == [("Marked at risk", "status")]
    [gap] = risky[b.id]
    assert (gap.customer.name, gap.reason, gap.last_order, gap.usual_gap_days) == (
        "Stopped ordering",
        "order_gap",
        date(2026, 9, 21),
        10,
    )
    with (
        app.test_request_context()
    ):  # three weeks after the last order is not yet twice the gap + 14
        early = team_dashboard.at_risk_customers(
            db, team_id=small_team["team"].id, today=date(2026, 10, 1)
        )
    assert b.id not in early


def test_periods():
    assert team_dashboard.make_period("month", today=TODAY) == team_dashboard.Period(
        "month", date(2026, 11, 1), date(2026, 11, 30)
    )
    q = team_dashboard.make_period("quarter", today=TODAY)
    assert (q.start, q.end) == (date(2026, 10, 1), date(2026, 12, 31))
    assert q.last_year().start == date(2025, 10, 1)
    leap = team_dashboard.Period("custom", date(2028, 2, 29), date(2028, 3, 1))
    assert leap.last_year().start == date(2027, 2, 28)
    with pytest.raises(team_dashboard.ValidationError):
        team_dashboard.make_period(
            "custom", today=TODAY, start=date(2026, 2, 1), end=date(2026, 1, 1)
        )


def drill_url(rep, figure, **extra):
    args = "&".join(f"{k}={v}" for k, v in {"period": "week", "day": "2026-11-23", **extra}.items())
    return f"/team/dashboard/reps/{rep.id}/{figure}?{args}"


def test_drill_down_lists(client, login_as, small_team, monkeypatch):
    monkeypatch.setattr(clock, "now_utc", lambda: jst(11, 27, 12))
    a = small_team["ichiro"]
    login_as(small_team["manager"])
    page = client.get("/team/dashboard/?period=week&day=2026-11-25")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count("<svg") >= 2 and "<polyline" in html and "A Ichiro" in html
    assert f"/team/dashboard/reps/{a.id}/needs?" in html

    def rows(figure, **extra):
        text = client.get(drill_url(a, figure, **extra)).get_data(as_text=True)
        return text.split('id="drill-rows"')[1].split("</ul>")[0], text

    needs, _html = rows("needs")
    assert "Within A" in needs and "Cheaper soy sauce" in needs and "Overdue A" not in needs
    visits, html = rows("visits")
    assert visits.count('class="list-item"') == 3 and 'id="drill-count">3<' in html
    skipped, _html = rows("skipped")
    assert "Never visited B" in skipped and "Busy" in skipped
    planned, _html = rows("planned")
    assert planned.count('class="list-item"') == 3
    cadence_a, _html = rows("cadence", rank="A")
    assert "Within A" in cadence_a and "Overdue A" not in cadence_a
    behind, _html = rows("overdue")
    assert "Overdue A" in behind and "Never visited B" in behind and "Lost one" not in behind
    late, _html = rows("followups_late")
    assert late.count('class="list-item"') == 2
    orders, _html = rows("orders")
    assert orders.count('class="list-item"') == 2
    last_year, _html = rows("orders_last_year")
    assert last_year.count('class="list-item"') == 1
    risky, _html = rows("at_risk")
    assert "Marked at risk" in risky
    assert client.get(drill_url(a, "nonsense")).status_code == 404
    # A bad custom range is explained, not a 500.
    bad = client.get("/team/dashboard/?period=custom&start=2026-12-01&end=2026-11-01")
    assert bad.status_code == 200 and 'role="alert"' in bad.get_data(as_text=True)


def test_reps_get_403_other_managers_see_nothing(client, login_as, small_team):
    a = small_team["ichiro"]
    login_as(small_team["ichiro"])
    assert client.get("/team/dashboard/").status_code == 403
    assert client.get(drill_url(a, "visits")).status_code == 403
    other = client.application.test_client()
    assert login(other, small_team["other_manager"].email).status_code == 302
    html = other.get("/team/dashboard/").get_data(as_text=True)
    assert "A Ichiro" not in html and "B Jiro" not in html
    assert other.get(drill_url(a, "visits")).status_code == 404
    assert client.application.test_client().get("/team/dashboard/").status_code == 302


def test_the_page_model_costs_the_same_queries_for_any_team_size(app, db, make_user, small_team):
    """Grouped queries, never one per rep: twelve reps cost what two do."""
    from sqlalchemy import event

    team = small_team["team"]
    engine = app.extensions["fieldapp.engine"]

    def statements() -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany) -> None:
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            with app.test_request_context():
                team_dashboard.build(db, team=team, period=WEEK, today=TODAY)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    few = statements()
    for i in range(10):
        make_user(team=team, name=f"Z rep {i}")
    assert statements() == few
