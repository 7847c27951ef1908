"""Why a customer is left out and what is wrong with a plan: stored as codes plus facts, shown in words.

The rows hold no sentences (no language at all); the Today page renders them through gettext in the
reader's language.
"""

from __future__ import annotations

import json
import re

from flask_babel import force_locale
from sqlmodel import select

from fieldapp.models import DayPlan, DayPlanDrop
from fieldapp.services.day import candidates, plans
from tests.conftest import csrf_token
from tests.fieldapp import test_today
from tests.fieldapp.test_today import DAY, plan_for

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
    login_as(s["rep"])
    token = csrf_token(client.get(f"/day/{DAY.isoformat()}").get_data(as_text=True))
    client.post(
        f"/day/{DAY.isoformat()}/stops/{stop.id}/remove",
        data={"csrf_token": token, "version": plan.version},
    )
    db.expire_all()
    plan = db.get(DayPlan, plan.id)
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
