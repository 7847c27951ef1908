"""Team dashboard timings on the demo data (not a test: it prints numbers).

    python bench/team_dashboard.py [--customers 5000] [--reps 50] [--teams 5] [--repeat 5]
                                   [--database-url URL]

Without --database-url a temporary SQLite file is used (an existing URL must point at an empty,
migratable database). The demo is generated once for a fixed `today`; the page model of the first team is
then built `repeat` times per period, and the median and slowest run are printed in milliseconds with the
team's size, followed by the customers-at-risk query alone (the heaviest part, over the order history).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from flask_babel import force_locale
from sqlmodel import Session, select

from fieldapp import create_app, demo, migrate
from fieldapp.models import Customer, OrderLine, Team
from fieldapp.services import team_dashboard

TODAY = date(2026, 11, 20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--teams", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = args.database_url or "sqlite:///" + str(Path(tempfile.mkdtemp()) / "dashboard.sqlite3")
    app = create_app({"ENV": "test", "SECRET_KEY": "bench-" * 6, "DATABASE_URL": url})
    engine = app.extensions["fieldapp.engine"]
    migrate.upgrade(engine)
    with Session(engine) as session:
        started = time.perf_counter()
        demo.generate(
            session, customers=args.customers, reps=args.reps, managers=args.teams,
            teams=args.teams, today=TODAY,
        )  # fmt: skip
        session.commit()
        print(f"demo: {time.perf_counter() - started:.1f} s, {engine.dialect.name}")
        team = session.exec(select(Team).order_by(Team.id)).first()
        customers = len(session.exec(select(Customer.id).where(Customer.team_id == team.id)).all())
        lines = len(session.exec(select(OrderLine.id)).all())
        print(f"first team: {customers} customers; order lines in all teams: {lines}")
        with app.test_request_context(), force_locale("en"):
            for kind in ("week", "month", "quarter"):
                period = team_dashboard.make_period(kind, today=TODAY)
                runs = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    board = team_dashboard.build(session, team=team, period=period, today=TODAY)
                    runs.append((time.perf_counter() - t0) * 1000)
                print(
                    f"{kind:8} median {statistics.median(runs):6.0f} ms  max {max(runs):6.0f} ms"
                    f"  reps {len(board.reps)}  visits {board.totals.visits_done}"
                )
            runs = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                team_dashboard.at_risk_customers(session, team_id=team.id, today=TODAY)
                runs.append((time.perf_counter() - t0) * 1000)
            print(f"at risk  median {statistics.median(runs):6.0f} ms  max {max(runs):6.0f} ms")


if __name__ == "__main__":
    main()
