"""Daily report (日報): drafted from a real day, edited and submitted by the rep, read by the team's managers."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from fieldapp.errors import StaleEdit, ValidationError
from fieldapp.models import AuditEvent, DailyReport, DayPlanStop, FollowUp
from fieldapp.services import clock, reports, visits
from fieldapp.services.day import actions
from fieldapp.services.followups import FollowUpInput
from tests.conftest import csrf_token, login

DAY = date(2026, 11, 24)  # a Tuesday
TOKYO = (35.681, 139.767)
TOKYO_TZ = ZoneInfo("Asia/Tokyo")


def tokyo(hour: int, minute: int = 0) -> datetime:
    """A time on DAY in Tokyo (UTC+9), as an aware UTC datetime."""
    return datetime(2026, 11, 24, hour, minute, tzinfo=TOKYO_TZ).astimezone(UTC)


@pytest.fixture
def day_done(app, db, make_people, make_customer, make_product, make_plan):
    """A rep's real day: planned, one visit done with an order and a follow-up, one stop skipped."""
    people = make_people(
        language="en",
        rep={"name": "営業 一郎", "start_lat": TOKYO[0], "start_lon": TOKYO[1]},
        teammate={},
        manager={"role": "manager"},
        stranger={"team": "other"},
        other_manager={"team": "other", "role": "manager"},
    )
    team, rep = people["team"], people["rep"]
    customers = [
        make_customer(
            team=team,
            name=name,
            rank="A",
            assigned_rep_id=rep.id,
            next_due_on=DAY - timedelta(days=5),
            lat=TOKYO[0] + 0.004 * (i + 1),
            lon=TOKYO[1],
        )
        for i, name in enumerate(["Sakura Izakaya", "Yamada Shop", "Hokuto Office"])
    ]
    product = make_product(name="業務用 醤油", name_en="Soy sauce 18L", unit_price=1200)
    plan, stops = make_plan(rep=rep, day=DAY, generate=True, now=tokyo(8))
    assert len(stops) == 3
    first, second = stops[0], stops[1]
    with app.test_request_context():
        actions.check_in(db, actor=rep, stop_id=first.id, now=tokyo(9, 50))
        visit = visits.log_visit(
            db,
            actor=rep,
            customer_id=first.customer_id,
            visit_id=first.visit_id,
            now=tokyo(10, 25),
            data=visits.VisitInput(
                outcome="order_taken",
                heard="Opening a second shop in spring",
                needs="Wants a cheaper soy sauce",
                proposals="Bulk discount on soy sauce",
                proposal_reception="positive",
                next_action="Send a quote",
                next_action_due=DAY + timedelta(days=2),
                orders=(visits.OrderInput(product_id=product.id, quantity=3),),
                followups=(FollowUpInput(kind="quote", title="Quote for the second shop"),),
            ),
        )
        actions.skip(db, actor=rep, stop_id=second.id, reason="absent", now=tokyo(11))
        db.commit()
    return {
        **people,
        "team": team,
        "plan": plan,
        "visit": visit,
        "first": first,
        "second": second,
        "customers": customers,
    }


def draft_for(app, db, rep, lang="en"):
    with app.test_request_context(headers={"Accept-Language": lang}):
        return reports.editing(db, actor=rep, day=DAY, lang=lang)


# --- drafting from the day --------------------------------------------------------------------------


def test_figures_drafted_from_the_day(app, db, day_done):
    s = day_done
    view = draft_for(app, db, s["rep"])
    figures = view.figures
    assert view.report is None and view.version == 0
    [visit] = figures["visits"]
    first_customer = db.get(DayPlanStop, s["first"].id).customer_id
    assert visit["customer_id"] == first_customer
    assert reports.parse_instant(visit["check_in"]) == tokyo(9, 50)
    assert reports.parse_instant(visit["check_out"]) == tokyo(10, 25)
    assert visit["minutes"] == 35
    assert visit["outcome"] == "order_taken" and visit["reception"] == "positive"
    assert visit["heard"] == "Opening a second shop in spring"
    assert visit["next_action"] == "Send a quote"
    assert visit["orders"] == [
        {
            "product": "業務用 醤油",
            "product_en": "Soy sauce 18L",
            "quantity": 3,
            "unit_price": 1200,
            "amount": 3600,
        }
    ]
    assert figures["orders"] == {"lines": 1, "total": 3600}
    [skipped] = figures["skipped"]
    assert skipped["reason"] == "absent"
    assert skipped["customer_id"] == db.get(DayPlanStop, s["second"].id).customer_id
    [followup] = figures["followups"]
    assert followup["kind"] == "quote" and followup["title"] == "Quote for the second shop"
    plan = figures["plan"]
    assert (plan["planned"], plan["done"], plan["skipped"], plan["open"]) == (3, 1, 1, 1)
    assert plan["unplanned"] == 0
    assert reports.parse_instant(plan["actual_start"]) == tokyo(9, 50)
    assert reports.parse_instant(plan["actual_end"]) == tokyo(10, 25)
    assert plan["planned_end"] is not None and plan["travel_seconds"] > 0
    first_row = plan["stops"][0]
    planned = db.get(DayPlanStop, s["first"].id).start
    assert reports.parse_instant(first_row["planned_start"]) == planned
    assert first_row["late_minutes"] == round((tokyo(9, 50) - planned).total_seconds() / 60)


def test_draft_text_in_the_reps_language(app, db, day_done):
    english = draft_for(app, db, day_done["rep"], "en").body
    assert "[Visits] 1" in english
    assert "09:50–10:25" in english  # times in the team's timezone, not UTC
    assert "What I heard: Opening a second shop in spring" in english
    assert "Bulk discount on soy sauce (Positive)" in english
    assert "Order: 業務用 醤油 × 3 = ¥3,600" in english
    assert "Nobody there" in english
    assert "Quote for the second shop" in english
    assert "Planned 3, done 1, skipped 1, not visited 1" in english
    assert "between visits 0 min" in english
    day_done["rep"].language = "ja"
    japanese = draft_for(app, db, day_done["rep"], "ja").body
    assert "【訪問】1件" in japanese
    assert "聞いたこと: Opening a second shop in spring" in japanese
    assert "3,600円" in japanese and "不在" in japanese


def test_no_visits_other_days_or_other_reps(app, db, day_done, make_customer):
    """The day is the team's local day; the day before and a teammate's visits stay out."""
    s = day_done
    customer = s["customers"][2]
    with app.test_request_context():
        visits.log_visit(
            db,
            actor=s["rep"],
            customer_id=customer.id,
            now=tokyo(10) - timedelta(days=1),
            data=visits.VisitInput(
                outcome="met", check_in_at=tokyo(9) - timedelta(days=1), heard="yesterday"
            ),
        )
        # 08:00 in Tokyo is still the day before in UTC: it belongs to the local day.
        visits.log_visit(
            db,
            actor=s["rep"],
            customer_id=customer.id,
            now=tokyo(8, 20),
            data=visits.VisitInput(outcome="met", check_in_at=tokyo(8), heard="early"),
        )
        visits.log_visit(
            db,
            actor=s["teammate"],
            customer_id=customer.id,
            now=tokyo(14),
            data=visits.VisitInput(outcome="met", check_in_at=tokyo(13), heard="teammate"),
        )
        db.commit()
    figures = draft_for(app, db, s["rep"]).figures
    assert [v["heard"] for v in figures["visits"]] == ["early", "Opening a second shop in spring"]
    # 08:20 check-out to 09:50 check-in: the time between visits (travel and waiting) actually spent.
    assert figures["plan"]["between_visits_minutes"] == 90


def test_redraft_keeps_the_reps_text_and_refreshes_figures(app, db, day_done):
    s = day_done
    rep = s["rep"]
    with app.test_request_context():
        view = reports.editing(db, actor=rep, day=DAY, lang="en")
        report = reports.save(
            db, actor=rep, day=DAY, body=view.body, version=0, now=tokyo(12), lang="en"
        )
        db.commit()
    assert report.version == 1
    assert json.loads(report.summary)["orders"]["total"] == 3600
    # An untouched draft follows the day: a later visit shows up in the text too.
    with app.test_request_context():
        visits.log_visit(
            db,
            actor=rep,
            customer_id=s["customers"][2].id,
            now=tokyo(15),
            data=visits.VisitInput(outcome="met", check_in_at=tokyo(14, 30), heard="Later visit"),
        )
        db.commit()
        view = reports.editing(db, actor=rep, day=DAY, lang="en")
    assert "Later visit" in view.body and view.fresh_text is None
    # Once the rep has written in it, their text is kept; the fresh draft is only offered alongside.
    own = "My own words about the day."
    with app.test_request_context():
        report = reports.save(db, actor=rep, day=DAY, body=own, version=1, now=tokyo(16), lang="en")
        db.commit()
        view = reports.editing(db, actor=rep, day=DAY, lang="en")
    assert view.body == own and "Later visit" in view.fresh_text
    assert len(json.loads(report.summary)["visits"]) == 2


def test_save_refuses_stale_version_and_changes_nothing(app, db, day_done):
    rep = day_done["rep"]
    with app.test_request_context():
        reports.save(db, actor=rep, day=DAY, body="first", version=0, now=tokyo(12))
        db.commit()
        with pytest.raises(StaleEdit):
            reports.save(db, actor=rep, day=DAY, body="second", version=0, now=tokyo(12))
        db.rollback()
    db.expire_all()
    assert reports.get_report(db, rep_id=rep.id, day=DAY).body == "first"


def test_two_first_saves_at_once_one_wins(app, db, day_done, monkeypatch):
    """Two tabs saving the first draft at the same moment: the second is refused, not a 500."""
    rep = day_done["rep"]
    with app.test_request_context():
        reports.save(db, actor=rep, day=DAY, body="first tab", version=0, now=tokyo(12))
        db.commit()
        real = reports.get_report
        first_read = [True]

        def racing_read(*args, **kwargs):
            # The second tab read "no report yet" before the first one stored it.
            if first_read:
                first_read.pop()
                return None
            return real(*args, **kwargs)

        monkeypatch.setattr(reports, "get_report", racing_read)
        with pytest.raises(StaleEdit) as refused:
            reports.save(db, actor=rep, day=DAY, body="second tab", version=0, now=tokyo(12))
    assert refused.value.details["current"].body == "first tab"
    db.expire_all()
    assert [r.body for r in db.exec(select(DailyReport))] == ["first tab"]


def test_submit_writes_audit_and_freezes(app, db, day_done):
    rep = day_done["rep"]
    with app.test_request_context():
        report = reports.save(
            db, actor=rep, day=DAY, body="Done.", version=0, now=tokyo(18), submit=True
        )
        db.commit()
        assert report.status == "submitted" and report.submitted_at == tokyo(18)
        with pytest.raises(ValidationError):
            reports.save(db, actor=rep, day=DAY, body="changed", version=1, now=tokyo(19))
        db.rollback()
    events = list(
        db.exec(
            select(AuditEvent).where(
                AuditEvent.entity == "daily_report", AuditEvent.entity_id == report.id
            )
        )
    )
    assert [e.action for e in events] == ["submit"]
    assert json.loads(events[0].after)["visits"] == 1
    db.expire_all()
    assert db.get(DailyReport, report.id).body == "Done."


def test_submit_refuses_empty_text_and_future_days(app, db, day_done):
    rep = day_done["rep"]
    with app.test_request_context():
        with pytest.raises(ValidationError):
            reports.save(db, actor=rep, day=DAY, body="  ", version=0, now=tokyo(18), submit=True)
        with pytest.raises(ValidationError):
            reports.save(
                db,
                actor=rep,
                day=DAY + timedelta(days=1),
                body="tomorrow",
                version=0,
                now=tokyo(18),
                submit=True,
            )
        db.rollback()
    assert db.exec(select(DailyReport)).first() is None


# --- routes -----------------------------------------------------------------------------------------


def edit_url(day: date = DAY) -> str:
    return f"/reports/day/{day.isoformat()}"


def post_report(client, body: str, version: str, action: str = "save_draft"):
    token = csrf_token(client.get(edit_url()).get_data(as_text=True))
    return client.post(
        edit_url(),
        data={"csrf_token": token, "body": body, "version": version, action: "1"},
    )


def test_edit_page_shows_the_draft(client, login_as, day_done):
    login_as(day_done["rep"])
    html = client.get(edit_url()).get_data(as_text=True)
    assert "Opening a second shop in spring" in html
    assert 'name="version" type="hidden" value="0"' in html
    assert "¥3,600" in html and "Nobody there" in html
    assert "09:50" in html


def test_save_then_stale_save_is_refused(client, login_as, day_done, db):
    login_as(day_done["rep"])
    assert post_report(client, "Version one", "0").status_code == 302
    response = post_report(client, "From an old tab", "0")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "saved elsewhere" in html and "Version one" in html and "From an old tab" in html
    report = reports.get_report(db, rep_id=day_done["rep"].id, day=DAY)
    db.refresh(report)
    assert report.body == "Version one" and report.version == 1
    # Saving again from the comparison replaces the stored text (the page carries the new version).
    assert 'name="version" type="hidden" value="1"' in html
    assert post_report(client, "From an old tab", "1").status_code == 302
    db.refresh(report)
    assert report.body == "From an old tab"


def test_submit_then_read_only(client, login_as, day_done, db):
    login_as(day_done["rep"])
    response = post_report(client, "Good day.", "0", action="send")
    assert response.status_code == 302 and "/reports/" in response.headers["Location"]
    report = reports.get_report(db, rep_id=day_done["rep"].id, day=DAY)
    assert report.status == "submitted"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Good day." in page and "Submitted" in page and 'name="body"' not in page
    # The edit page now sends to the read-only report, and a post changes nothing.
    assert client.get(edit_url()).status_code == 302
    token = csrf_token(client.get("/me").get_data(as_text=True))
    late = client.post(
        edit_url(), data={"csrf_token": token, "body": "Changed", "version": "1", "send": "1"}
    )
    assert late.status_code == 302
    db.refresh(report)
    assert report.body == "Good day." and report.version == 1


def test_bad_input_is_refused_with_a_message(client, login_as, day_done, db):
    login_as(day_done["rep"])
    response = post_report(client, "", "0", action="send")
    assert response.status_code == 400
    assert "Please write the report before submitting it." in response.get_data(as_text=True)
    too_long = post_report(client, "x" * (reports.BODY_MAX + 1), "0")
    assert too_long.status_code == 400
    assert db.exec(select(DailyReport)).first() is None
    assert client.get("/reports/day/2026-13-40").status_code == 404


def test_manager_lists_and_reads_team_reports(client, login_as, day_done, db):
    s = day_done
    login_as(s["rep"])
    post_report(client, "Report of the rep", "0", action="send")
    client = client.application.test_client()
    assert login(client, s["manager"].email).status_code == 302
    team_page = client.get("/team/").get_data(as_text=True)
    assert 'id="team-reports-link"' in team_page
    listing = client.get("/reports/?day=2026-11-24").get_data(as_text=True)
    assert s["rep"].name in listing and "Submitted" in listing
    # The teammate has not written one: listed as missing for that day.
    assert s["teammate"].name in listing.split('id="reports-missing"')[1]
    assert "Report of the rep" not in client.get("/reports/?status=draft").get_data(as_text=True)
    other = client.get(f"/reports/?rep={s['teammate'].id}").get_data(as_text=True)
    assert "Report of the rep" not in other
    report = reports.get_report(db, rep_id=s["rep"].id, day=DAY)
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "Report of the rep" in page and "Opening a second shop in spring" in page


@pytest.mark.parametrize(
    ("who", "expected"),
    [("rep", 200), ("manager", 200), ("teammate", 403), ("stranger", 404), ("other_manager", 404)],
)
def test_who_reads_a_report(client, login_as, day_done, db, who, expected):
    s = day_done
    with client.application.test_request_context():
        report = reports.save(db, actor=s["rep"], day=DAY, body="Private", version=0, now=tokyo(18))
        db.commit()
    login_as(s[who])
    response = client.get(f"/reports/{report.id}")
    assert response.status_code == expected
    listing = client.get("/reports/").get_data(as_text=True)
    assert ("Private" in listing) == (who in ("rep", "manager"))


def test_anonymous_is_sent_to_sign_in(client, day_done, db):
    for url in (edit_url(), "/reports/", "/reports/1"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(edit_url(), data={"csrf_token": token, "body": "x", "version": "0"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db.exec(select(DailyReport)).first() is None


def test_a_rep_only_writes_their_own_report(client, login_as, day_done, db):
    """The edit URL is always the signed-in user's own report: a teammate gets their own, empty day."""
    s = day_done
    login_as(s["teammate"])
    html = client.get(edit_url()).get_data(as_text=True)
    assert "Opening a second shop in spring" not in html
    assert post_report(client, "Mine", "0").status_code == 302
    assert reports.get_report(db, rep_id=s["rep"].id, day=DAY) is None
    assert reports.get_report(db, rep_id=s["teammate"].id, day=DAY).body == "Mine"


def test_followups_created_that_day_without_a_visit(app, db, day_done):
    """A follow-up opened from the follow-ups page that day counts too."""
    s = day_done
    db.add(
        FollowUp(
            customer_id=s["customers"][2].id,
            kind="delivery",
            title="Confirm delivery",
            owner_id=s["rep"].id,
            created_by_id=s["rep"].id,
            created_at=tokyo(17),
        )
    )
    db.commit()
    titles = [f["title"] for f in draft_for(app, db, s["rep"]).figures["followups"]]
    assert titles == ["Quote for the second shop", "Confirm delivery"]


def test_report_reachable_without_a_plan_and_from_me(client, make_user, login_as):
    rep = make_user(language="en")
    login_as(rep)
    today = clock.local_today("Asia/Tokyo").isoformat()
    home = client.get("/").get_data(as_text=True)
    assert "Plan my day" in home  # no plan yet for today
    assert f'href="/reports/day/{today}"' in home
    me = client.get("/me").get_data(as_text=True)
    assert 'id="my-reports"' in me and 'href="/reports/"' in me
