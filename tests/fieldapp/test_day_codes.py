"""Why a customer is left out and what is wrong with a plan: stored as codes plus facts, shown in words.

The rows hold no sentences (no language at all); the Today page renders them through gettext in the
reader's language.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace

from flask_babel import force_locale
from sqlmodel import select

import planner
from fieldapp.models import DayPlanDrop
from fieldapp.services.day import actions, candidates, planning, plans
from fieldapp.services.planning_settings import settings_for
from tests.fieldapp import test_today
from tests.fieldapp.test_today import DAY, MORNING, plan_for

day_setup = test_today.day_setup  # the rep's day with six customers (a fixture)

CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def test_generated_plan_stores_codes_and_facts_only(app, db, day_setup):
    plan = plan_for(app, db, day_setup["rep"])
    drops = list(db.exec(select(DayPlanDrop).where(DayPlanDrop.day_plan_id == plan.id)))
    assert drops
    for drop in drops:
        facts = json.loads(drop.reason_detail)
        assert isinstance(facts, dict) and not {"en", "ja"} & set(facts)
        assert not CJK.search(drop.reason_detail)
    assert not CJK.search(plan.warnings or "")


def test_drop_reasons_in_both_languages(app):
    cases = [
        (
            "no_time_left",
            {"busy_until": 64800},
            "busy until 18:00; no time left after the visits",
            "18:00まで対応不可のため",
        ),
        (
            "window_unreachable",
            {"appointment": 54000},
            "the appointment at 15:00 cannot be reached in time",
            "15:00",
        ),
        ("closed", {"excluded": True}, "closed on this day", "この日は定休日です"),
        (
            "busy_all_day",
            {"excluded": True},
            "busy for the whole working day",
            "勤務時間中ずっと対応できません",
        ),
        (
            "busy_all_day",
            {},
            "busy or closed for the whole working day",
            "営業時間中はずっと対応不可です",
        ),
        ("removed", {}, "removed by you", "手動で外しました"),
        # rows migrated from sentences keep only the code: the code alone still reads well
        (
            "no_time_left",
            {},
            "no time left after the visits with higher value",
            "より優先度の高い訪問の後に時間が残っていません",
        ),
    ]
    with app.test_request_context():
        for code, facts, en, ja in cases:
            with force_locale("en"):
                assert en in candidates.drop_text(code, facts)
            with force_locale("ja"):
                text = candidates.drop_text(code, facts)
                assert ja in text and not re.search(r"[a-z]{3}", text)


def test_warnings_in_both_languages(app):
    names = {7: "Sakura"}
    cases = [
        (
            {"code": "late_return", "customer_id": None, "at": 66600, "limit": 64800},
            "Back at 18:30, after the end of your working day",
            "帰着が18:30になり",
        ),
        (
            {"code": "busy_period", "customer_id": 7, "at": 43200, "busy": [41400, 48600]},
            "Sakura is busy at 12:00",
            "Sakuraは12:00は対応できません",
        ),
        (
            {"code": "window_missed", "customer_id": 7, "at": 36000},
            "Sakura: the visit would start at 10:00, outside its allowed times",
            "Sakura：開始が10:00",
        ),
        ({"code": "lunch_missed"}, "No room left for lunch", "昼休みを取る時間がありません"),
        (
            {"code": "required_dropped"},
            "An appointment could not be fitted",
            "アポイントを1日の予定",
        ),
        ({"code": "road_engine_fallback"}, "Road travel times were unavailable", "道路の所要時間"),
        # migrated rows: the code only
        ({"code": "busy_period"}, "A visit falls into a busy period", "対応できない時間帯"),
    ]
    with app.test_request_context():
        for warning, en, ja in cases:
            with force_locale("en"):
                assert en in candidates.warning_text(warning["code"], warning, names)
            with force_locale("ja"):
                assert ja in candidates.warning_text(warning["code"], warning, names)


def test_today_page_renders_stored_codes_in_the_readers_language(
    app, db, client, login_as, day_setup
):
    s = day_setup
    plan = plan_for(app, db, s["rep"])
    stop = plans.plan_stops(db, plan)[0]
    with app.test_request_context():
        actions.remove(
            db, actor=s["rep"], day=DAY, stop_id=stop.id, version=plan.version, now=MORNING
        )
        db.commit()
    login_as(s["rep"])
    removed = next(d for d in plans.plan_drops(db, plan) if d.reason_code == "removed")
    assert removed.reason_detail is None
    other = plans.plan_stops(db, plan)[0]
    plan.warnings = json.dumps(
        [{"code": "busy_period", "customer_id": other.customer_id, "at": 43200}]
    )
    db.add(plan)
    db.commit()
    name = next(s[k].name for k in ("overdue_a", "lunch", "quote") if s[k].id == other.customer_id)
    en = client.get(f"/day/{DAY.isoformat()}").get_data(as_text=True)
    assert "removed by you" in en and "closed on this day" in en
    assert f"{name} is busy at 12:00" in en
    s["rep"].language = "ja"
    db.add(s["rep"])
    db.commit()
    ja = client.get(f"/day/{DAY.isoformat()}").get_data(as_text=True)
    assert "手動で外しました" in ja and "この日は定休日です" in ja
    assert f"{name}は12:00は対応できません" in ja


# --- re-timing after ↑/↓/remove reads only the plan's own customers -----------------------------------


def test_moves_and_removes_retime_without_the_candidate_pool(app, db, day_setup, monkeypatch):
    s = day_setup
    rep = s["rep"]
    plan = plan_for(app, db, rep)
    stops = plans.plan_stops(db, plan)
    victim = next(st for st in reversed(stops) if st.customer_id != s["lunch"].id)

    def no_pool(*args, **kwargs):
        raise AssertionError("re-timing must not compute the candidate pool or reorder prompts")

    monkeypatch.setattr(planning, "select_candidates", no_pool)
    monkeypatch.setattr(candidates, "prompts_for", no_pool)
    with app.test_request_context():
        actions.move(
            db,
            actor=rep,
            day=DAY,
            stop_id=stops[0].id,
            direction=1,
            version=plan.version,
            now=MORNING,
        )
        db.commit()
        actions.remove(db, actor=rep, day=DAY, stop_id=victim.id, version=plan.version, now=MORNING)
        db.commit()
    monkeypatch.undo()
    # The same times as re-timing the order from the whole pool, as it was done before.
    stops = plans.plan_stops(db, plan)
    order = [str(st.customer_id) for st in stops]
    with app.test_request_context():
        pool = candidates.select_candidates(
            db, rep=rep, day=DAY, extra_customer_ids=tuple(st.customer_id for st in stops)
        )
        by_id = {str(c.customer.id): c for c in pool.candidates}
        request = planning.build_request(settings_for(db, rep), [by_id[cid] for cid in order])
        expected = planner.evaluate_route(request, str(rep.id), order)
    tz = s["team"].timezone
    assert [planning.seconds_of_day(st.start, DAY, tz) for st in stops] == [
        st.start for st in expected.stops
    ]
    assert plan.return_at is not None
    assert planning.seconds_of_day(plan.return_at, DAY, tz) == expected.return_time
    lunch = next(st for st in stops if st.customer_id == s["lunch"].id)
    start = planning.seconds_of_day(lunch.start, DAY, tz) // 60
    end = planning.seconds_of_day(lunch.end, DAY, tz) // 60
    assert end <= 690 or start >= 810  # its busy period still counts


# --- one travel-time rule: "I have 40 minutes here" times travel as the plans do ----------------------


def test_nearby_times_travel_with_the_plans_options(app, db, day_setup):
    s = day_setup
    here = (s["overdue_a"].lat - 0.02, s["overdue_a"].lon)  # about 2.2 km south
    with app.test_request_context():
        options = planning.planner_options(app.config)

        def minutes_to_overdue_a(opts):
            found = planning.nearby_now(
                db,
                rep=s["rep"],
                day=DAY,
                now=MORNING,
                position=here,
                minutes=600,
                options=opts,
            )
            return next(o.travel_minutes for o in found if o.customer.id == s["overdue_a"].id)

        straight = minutes_to_overdue_a(replace(options, detour_factor=1.0))
        winding = minutes_to_overdue_a(replace(options, detour_factor=2.0))
    assert winding > straight
    metres = planning.distance_m(here, (s["overdue_a"].lat, s["overdue_a"].lon))
    # a car at the plans' 30 km/h on the straight line
    assert straight == math.ceil(metres / (30_000 / 3600) / 60)
