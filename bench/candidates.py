"""Candidate selection for "Plan my day" on the demo data, beside the planner's own time (not a test).

    python bench/candidates.py [--repeat 5] [--time-limit 0.5] [--database-url URL]

Generates the demo (8 reps, 420 customers, two years of orders) into a temporary SQLite file unless a
URL is given, then for every rep and the next working day times `select_candidates` (the customers due,
their follow-ups, appointments, busy periods, and the prompt engine's reorder and risk signals read with
SQL aggregates) `repeat` times, and once the planner on the same pool with the phone's time limit. Prints
per rep the first selection (the customers' prompts computed: nothing cached yet), the median of the
others (the prompts read back from the cache under each customer's insights token, as for a rep planning
again), the pool size, the planner's time, and the share of the tap that the first selection takes; then
the medians over all reps. The issue's goal: selection ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from flask_babel import force_locale
from sqlmodel import Session, select

from fieldapp import create_app, demo, migrate, plan_process
from fieldapp.models import Role, User
from fieldapp.services.day import candidates, planning
from fieldapp.services.planning_settings import settings_for

TODAY = date(2026, 11, 20)  # a Friday: the next working day is a Monday


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--time-limit", type=float, default=0.5)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = args.database_url or "sqlite:///" + str(Path(tempfile.mkdtemp()) / "candidates.sqlite3")
    app = create_app({"ENV": "test", "SECRET_KEY": "bench-" * 6, "DATABASE_URL": url})
    engine = app.extensions["fieldapp.engine"]
    migrate.upgrade(engine)
    day = TODAY + timedelta(days=3)
    options = planning.planner_options(app.config, time_limit=args.time_limit)
    # as under gunicorn: the planner searches in a plan process, the selection runs here
    planning.plan_in_own_process()
    with Session(engine) as session, app.test_request_context(), force_locale("ja"):
        demo.generate(session, today=TODAY)
        session.commit()
        reps = session.exec(select(User).where(User.role == Role.REP).order_by(User.id)).all()
        print(f"{engine.dialect.name}: {len(reps)} reps, day {day}")
        print(
            f"{'rep':<6}{'first ms':>10}{'again ms':>10}{'pool':>6}{'plan ms':>9}{'first/tap':>11}"
        )
        firsts, selects, plans = [], [], []
        for rep in reps:
            runs = []
            for _ in range(args.repeat):
                session.expire_all()
                started = time.perf_counter()
                pool = candidates.select_candidates(session, rep=rep, day=day)
                runs.append(time.perf_counter() - started)
            first_ms = runs[0] * 1000
            select_ms = statistics.median(runs[1:] or runs) * 1000
            request = planning.build_request(settings_for(session, rep), pool.candidates)
            started = time.perf_counter()
            plan_process.call(planning.planner.plan_day, request, options)
            plan_ms = (time.perf_counter() - started) * 1000
            firsts.append(first_ms)
            selects.append(select_ms)
            plans.append(plan_ms)
            share = first_ms / (first_ms + plan_ms)
            print(
                f"{rep.id:<6}{first_ms:>10.1f}{select_ms:>10.1f}{len(pool.candidates):>6}"
                f"{plan_ms:>9.0f}{share:>10.0%}"
            )
        print(
            f"median over reps: selection first {statistics.median(firsts):.1f} ms "
            f"(max {max(firsts):.1f}), again {statistics.median(selects):.1f} ms "
            f"(max {max(selects):.1f}), planner {statistics.median(plans):.0f} ms at "
            f"--time-limit {args.time_limit}; goal: selection <= 50 ms"
        )


if __name__ == "__main__":
    main()
