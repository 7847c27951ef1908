"""Load: 50 people at once against gunicorn with the production config, then a check of the database.

    python bench/load.py [--duration 180] [--users 50] [--database-url URL] [--port 8765]

Reps open Today and customers, search, log visits through the form (sometimes sending it twice) and
through the outbox's sync API (replayed), and check in and out; managers browse the team page and the
daily reports; managers and the assigned rep edit the same few customers at once. Locust drives them
(headless, in this process); the app runs as `gunicorn -c gunicorn.conf.py wsgi:app` with
FIELDAPP_ENV=production on a fresh demo database (SQLite file, or PostgreSQL with --database-url).

Prints p50/p95/p99 per request kind and overall and the requests per second, then checks: every
acknowledged write is in the database exactly once, every refused stale edit is nowhere, no 5xx, no
"database is locked" in the server's log. Exit status 1 if any check fails (the timings are reported,
not judged: the CI test runs 30 seconds of it for the checks).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import gevent
import psutil

# locust patches the standard library for gevent first: everything after it uses cooperative sockets.
from locust import HttpUser, between, events, task  # noqa: I001  (must come first)
from locust.env import Environment
from sqlmodel import Session, col, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fieldapp import create_app, demo, migrate  # noqa: E402
from fieldapp.db import make_engine  # noqa: E402
from fieldapp.models import (  # noqa: E402
    AuditEvent,
    Customer,
    DayPlan,
    DayPlanStop,
    Role,
    Team,
    User,
    Visit,
)
from fieldapp.services import clock  # noqa: E402

PASSWORD = demo.DEMO_PASSWORD
HOT_CUSTOMERS = 3  # the customers everybody edits at once
# Where the bench's phones check in: a position only this bench sends, so its check-ins are found again.
BENCH_LAT, BENCH_LON = 35.681234, 139.767125


# --- what the run acknowledged, checked against the database afterwards ------------------------------


@dataclass
class Ledger:
    visit_keys: set[str] = field(default_factory=set)  # form and sync visits answered as saved
    checked_in: set[int] = field(default_factory=set)  # stop ids whose check-in was a new write
    edits_saved: set[str] = field(default_factory=set)  # markers written into customer notes
    edits_refused: set[str] = field(default_factory=set)  # markers of edits answered 409
    server_errors: Counter = field(default_factory=Counter)


LEDGER = Ledger()


@dataclass
class SteadyState:
    """The response times once every user has signed in: the sign-ins at the start (scrypt, 50 at once
    from one machine) are load of their own, printed in the whole run's table, not in this one."""

    users: int = 0
    signed_in: int = 0
    since: float | None = None
    times: dict[str, list[float]] = field(default_factory=dict)


STEADY = SteadyState()


@events.request.add_listener
def _steady_state(
    request_type, name, response_time, response_length, exception=None, **_kw
) -> None:
    if name == "sign in" and exception is None:
        STEADY.signed_in += 1
        if STEADY.signed_in >= STEADY.users and STEADY.since is None:
            STEADY.since = time.perf_counter()
        return
    if STEADY.since is not None:
        STEADY.times.setdefault(name, []).append(response_time)


@dataclass
class Cast:
    """Who logs in, and the objects they act on (read from the database before the run)."""

    reps: list[dict]
    managers: list[str]
    editors: list[str]
    hot: list[dict]


CAST: Cast | None = None


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    return match.group(1) if match else ""


def _field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html) or re.search(
        rf'id="{name}" name="{name}" type="hidden" value="([^"]*)"', html
    )
    return match.group(1) if match else ""


class Person(HttpUser):
    abstract = True
    wait_time = between(0.5, 2.0)
    email = ""

    def on_start(self) -> None:
        # As behind the reverse proxy of a deployment: gunicorn closes idle keep-alive connections after
        # 2 s, and a browser would silently retry such a request where this client would report it.
        self.client.headers["Connection"] = "close"
        page = self.client.get("/login", name="login page")
        self._plain_http_cookies()
        answer = self.client.post(
            "/login",
            data={"email": self.email, "password": PASSWORD, "csrf_token": _csrf(page.text)},
            allow_redirects=False,
            name="sign in",
        )
        if answer.status_code != 302:
            raise RuntimeError(f"{self.email} could not sign in: {answer.status_code}")

    def _plain_http_cookies(self) -> None:
        """Production cookies are Secure; the bench talks plain HTTP to 127.0.0.1 (no TLS proxy)."""
        for cookie in self.client.cookies:
            cookie.secure = False

    def get(self, url: str, name: str):
        self._plain_http_cookies()
        with self.client.get(url, name=name, catch_response=True) as response:
            self._judge(response, name)
            return response

    def post(self, url: str, name: str, ok=(200, 302), **kwargs):
        kwargs.setdefault("allow_redirects", False)
        self._plain_http_cookies()
        with self.client.post(url, name=name, catch_response=True, **kwargs) as response:
            self._judge(response, name, ok)
            return response

    def _judge(self, response, name: str, ok=(200, 302)) -> None:
        if response.status_code >= 500:
            LEDGER.server_errors[name] += 1
            response.failure(f"{response.status_code}")
        elif response.status_code not in ok:
            response.failure(f"unexpected {response.status_code} {response.error or ''}")
        else:
            response.success()


class Rep(Person):
    weight = 36

    def on_start(self) -> None:
        me = random.choice(CAST.reps)
        self.email, self.customers, self.stops = me["email"], me["customers"], me["stops"]
        super().on_start()

    @task(5)
    def today(self) -> None:
        self.get("/", "today")

    @task(4)
    def customer(self) -> None:
        self.get(f"/customers/{random.choice(self.customers)}", "customer page")

    @task(3)
    def search(self) -> None:
        term = random.choice(["さ", "カフェ", "03", "東京", "クリニック", "食堂"])
        self.get(f"/customers/?q={term}", "search")

    @task(2)
    def visit_form(self) -> None:
        customer_id = random.choice(self.customers)
        url = f"/customers/{customer_id}/visits/new"
        page = self.get(url, "visit form")
        key = _field(page.text, "submission_key")
        data = {
            "csrf_token": _csrf(page.text),
            "submission_key": key,
            "version": _field(page.text, "version"),
            "outcome": "met",
            "heard": f"load {key}",
        }
        for _ in range(2 if random.random() < 0.3 else 1):  # a double tap sends it twice
            saved = self.post(url, "visit form save", data=data)
            if saved.status_code == 302 and key:
                LEDGER.visit_keys.add(key)

    @task(2)
    def sync_visit(self) -> None:
        status = self.get("/api/sync/status", "sync status")
        token = status.json().get("csrf_token", "") if status.ok else ""
        key = uuid.uuid4().hex
        body = {
            "key": key,
            "customer_id": random.choice(self.customers),
            "at": (datetime.now(UTC) - timedelta(minutes=random.randint(1, 90))).isoformat(),
            "form": [["outcome", "met"], ["heard", f"offline {key}"]],
        }
        for attempt in range(random.randint(1, 3)):  # lost answers: the outbox sends it again
            name = "sync visit" if attempt == 0 else "sync visit replay"
            sent = self.post("/api/sync/visits", name, json=body, headers={"X-CSRFToken": token})
            if sent.status_code == 200:
                LEDGER.visit_keys.add(key)

    @task(2)
    def check_in_and_out(self) -> None:
        if not self.stops:
            return
        stop_id = random.choice(self.stops)
        status = self.get("/api/sync/status", "sync status")
        token = status.json().get("csrf_token", "") if status.ok else ""
        at = datetime.now(UTC) - timedelta(minutes=30)
        headers = {"X-CSRFToken": token}
        for event, name, when in (
            ("check-in", "check in", at),
            ("check-out", "check out", at + timedelta(minutes=20)),
        ):
            body = {"stop_id": stop_id, "at": when.isoformat(), "lat": BENCH_LAT, "lon": BENCH_LON}
            sent = self.post(f"/api/sync/{event}", name, ok=(200, 422), json=body, headers=headers)
            # A replay (or a stop already done through the form) keeps what was there: not a new write.
            if sent.status_code == 200 and event == "check-in" and not sent.json()["replayed"]:
                LEDGER.checked_in.add(stop_id)


class Manager(Person):
    weight = 6

    def on_start(self) -> None:
        self.email = random.choice(CAST.managers)
        super().on_start()

    @task(3)
    def team(self) -> None:
        self.get("/team/", "team page")

    @task(2)
    def reports(self) -> None:
        self.get("/reports/", "reports")

    @task(1)
    def customers(self) -> None:
        self.get("/customers/", "customer list")


class Editor(Person):
    """Managers and the assigned rep changing the same few customers' notes at the same time."""

    weight = 8

    def on_start(self) -> None:
        self.email = random.choice(CAST.editors)
        super().on_start()

    @task
    def edit(self) -> None:
        hot = random.choice(CAST.hot)
        url = f"/customers/{hot['id']}/edit"
        page = self.get(url, "customer edit form")
        marker = f"edit-{uuid.uuid4().hex}"
        data = {**hot["fields"], "notes": marker}
        data["version"] = _field(page.text, "version")
        data["csrf_token"] = _csrf(page.text)
        gevent.sleep(random.uniform(0, 0.5))  # reading the form while someone else saves
        saved = self.post(url, "customer edit save", ok=(302, 409), data=data)
        if saved.status_code == 302:
            LEDGER.edits_saved.add(marker)
        elif saved.status_code == 409:
            LEDGER.edits_refused.add(marker)


# --- the database before and after --------------------------------------------------------------------


def prepare(url: str) -> Cast:
    """A fresh demo organisation, a plan for today for every rep, and who plays which part."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 40, "ENV": "development"})
    engine = app.extensions["fieldapp.engine"]
    migrate.upgrade(engine)
    with app.app_context(), Session(engine, expire_on_commit=False) as session:
        if session.exec(select(User)).first() is None:
            demo.generate(session, customers=600, reps=10, managers=4, teams=2, seed=7)
            demo.submit_daily_reports(session, seed=7)
            session.commit()
        team = session.exec(select(Team).order_by(Team.id)).first()
        reps = []
        for rep in session.exec(select(User).where(User.role == Role.REP)).all():
            customer_ids = list(
                session.exec(
                    select(Customer.id).where(Customer.assigned_rep_id == rep.id).limit(30)
                )
            )
            day = clock.local_today(session.get(Team, rep.team_id).timezone)
            plan = session.exec(
                select(DayPlan).where(DayPlan.rep_id == rep.id, DayPlan.plan_date == day)
            ).first()
            if plan is None:
                plan = DayPlan(rep_id=rep.id, plan_date=day, version=1)
                session.add(plan)
                session.flush()
                for i, customer_id in enumerate(customer_ids[:8]):
                    session.add(
                        DayPlanStop(day_plan_id=plan.id, customer_id=customer_id, position=i)
                    )
                session.commit()
            stops = list(
                session.exec(select(DayPlanStop.id).where(DayPlanStop.day_plan_id == plan.id))
            )
            reps.append(
                {"email": rep.email, "customers": customer_ids, "stops": stops, "team": rep.team_id}
            )
        managers = [u.email for u in session.exec(select(User).where(User.role == Role.MANAGER))]
        home_managers = [
            u.email
            for u in session.exec(
                select(User).where(User.role == Role.MANAGER, User.team_id == team.id)
            )
        ]
        first_rep = next(r for r in reps if r["team"] == team.id)
        hot = []
        for customer in session.exec(
            select(Customer).where(col(Customer.id).in_(first_rep["customers"][:HOT_CUSTOMERS]))
        ):
            fields = {
                name: "" if getattr(customer, name) is None else str(getattr(customer, name))
                for name in (
                    "name",
                    "kana",
                    "phone",
                    "postal_code",
                    "address",
                    "segment",
                    "rank",
                    "cadence_days",
                    "visit_minutes",
                    "status",
                    "assigned_rep_id",
                    "tags",
                )
            }
            hot.append({"id": customer.id, "fields": fields})
    engine.dispose()
    return Cast(reps=reps, managers=managers, editors=home_managers + [first_rep["email"]], hot=hot)


def check(url: str, log_text: str) -> list[str]:
    """What the database must show after the run; each broken rule is one line."""
    problems = []
    engine = make_engine(url)
    with Session(engine) as session:
        keys = list(LEDGER.visit_keys)
        counts = Counter()
        for start in range(0, len(keys), 500):
            rows = session.exec(
                select(Visit.idempotency_key).where(
                    col(Visit.idempotency_key).in_(keys[start : start + 500])
                )
            )
            counts.update(rows)
        for key in keys:
            if counts[key] != 1:
                problems.append(f"visit {key}: stored {counts[key]} times")
        for stop_id in LEDGER.checked_in:
            # The stop may since link a visit logged through the form; the check-in is the visit at
            # that customer by that rep with the position only this bench sends.
            stop = session.get(DayPlanStop, stop_id)
            plan = session.get(DayPlan, stop.day_plan_id)
            found = session.exec(
                select(Visit.id).where(
                    Visit.customer_id == stop.customer_id,
                    Visit.rep_id == plan.rep_id,
                    Visit.check_in_lat == BENCH_LAT,
                    Visit.check_in_lon == BENCH_LON,
                )
            ).all()
            if len(found) != 1:
                problems.append(f"stop {stop_id}: acknowledged check-in stored {len(found)} times")
        audit = [
            (event.after or "")
            for event in session.exec(select(AuditEvent).where(AuditEvent.entity == "customer"))
        ]
        seen = Counter(m for text_ in audit for m in re.findall(r"edit-[0-9a-f]{32}", text_))
        for marker in LEDGER.edits_saved:
            if seen[marker] != 1:
                problems.append(f"saved edit {marker}: in the history {seen[marker]} times")
        notes = " ".join(n or "" for n in session.exec(select(Customer.notes)))
        for marker in LEDGER.edits_refused:
            if seen[marker] or marker in notes:
                problems.append(f"refused edit {marker} was written")
    engine.dispose()
    for name, count in LEDGER.server_errors.items():
        problems.append(f"{count} server errors on {name}")
    if "database is locked" in log_text:
        problems.append('"database is locked" in the server log')
    return problems


# --- the server and the run ---------------------------------------------------------------------------


def start_server(url: str, port: int, log_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "FIELDAPP_ENV": "production",
        "FIELDAPP_SECRET_KEY": "bench-" + uuid.uuid4().hex + uuid.uuid4().hex,
        "FIELDAPP_DATABASE_URL": url,
        "FIELDAPP_BIND": f"127.0.0.1:{port}",
        # 50 people sign in from one address here; the limit is for guessing passwords
        "FIELDAPP_LOGIN_RATE_LIMIT": "10000 per minute",
        "PYTHONPATH": str(ROOT),
    }
    log = open(log_path, "w")  # noqa: SIM115  (closed with the server)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 180
    import requests

    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn stopped:\n" + log_path.read_text()[-3000:])
        try:
            answered = requests.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code
            # both workers: wait until each said its planner is ready
            if answered == 200 and log_path.read_text().count("planner ready in worker") >= 2:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError("gunicorn did not start in time")


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def report(env: Environment, seconds: float) -> None:
    rows = sorted(env.stats.entries.values(), key=lambda e: e.name)
    print(f"\n{'request':26} {'count':>7} {'fail':>5} {'p50':>6} {'p95':>6} {'p99':>6}  (ms)")
    for entry in [*rows, env.stats.total]:
        name = "overall" if entry is env.stats.total else entry.name
        print(
            f"{name:26} {entry.num_requests:7d} {entry.num_failures:5d} "
            f"{entry.get_response_time_percentile(0.5):6.0f} "
            f"{entry.get_response_time_percentile(0.95):6.0f} "
            f"{entry.get_response_time_percentile(0.99):6.0f}"
        )
    print(f"\n{env.stats.total.num_requests / seconds:.1f} requests/s over {seconds:.0f} s")
    for error in env.stats.errors.values():
        print(f"failed: {error.occurrences} × {error.method} {error.name}: {error.error}")
    if STEADY.since is None:
        return
    steady_seconds = time.perf_counter() - STEADY.since
    every = [t for times in STEADY.times.values() for t in times]
    print(f"\nonce all {STEADY.users} users had signed in (the last {steady_seconds:.0f} s):")
    print(f"{'request':26} {'count':>7} {'p50':>6} {'p95':>6} {'p99':>6}  (ms)")
    for name, times in [*sorted(STEADY.times.items()), ("overall", every)]:
        print(
            f"{name:26} {len(times):7d} {percentile(times, 0.5):6.0f} "
            f"{percentile(times, 0.95):6.0f} {percentile(times, 0.99):6.0f}"
        )
    print(f"{len(every) / steady_seconds:.1f} requests/s")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return (
        ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))] if ordered else 0.0
    )


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU seconds of these processes so far (those that ended count nothing)."""
    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def server_pids(server: subprocess.Popen) -> list[int]:
    """gunicorn's arbiter, its workers and their plan processes."""
    try:
        root = psutil.Process(server.pid)
        return [root.pid, *(child.pid for child in root.children(recursive=True))]
    except psutil.NoSuchProcess:
        return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=180, help="seconds of load (default 180)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--database-url", help="default: a new SQLite file")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="fieldapp-load-"))
    url = args.database_url or f"sqlite:///{workdir / 'load.sqlite3'}"
    global CAST
    started = time.perf_counter()
    CAST = prepare(url)
    print(
        f"database ready ({make_engine(url).dialect.name}) in {time.perf_counter() - started:.1f} s"
    )
    log_path = workdir / "gunicorn.log"
    print(f"server log: {log_path}")
    server = start_server(url, args.port, log_path)
    try:
        env = Environment(
            user_classes=[Rep, Manager, Editor], events=events, host=f"http://127.0.0.1:{args.port}"
        )
        runner = env.create_local_runner()
        STEADY.users = args.users
        pids = server_pids(server)
        server_cpu, bench_cpu = cpu_seconds(pids), cpu_seconds([os.getpid()])
        runner.start(args.users, spawn_rate=args.spawn_rate)
        began = time.perf_counter()
        gevent.spawn_later(args.duration, runner.quit)
        runner.greenlet.join()
        seconds = time.perf_counter() - began
        server_cpu = cpu_seconds(pids) - server_cpu
        bench_cpu = cpu_seconds([os.getpid()]) - bench_cpu
    finally:
        stop_server(server)
    report(env, seconds)
    # Where the two cores went: the app, and the load generator itself (on the same machine).
    print(
        f"CPU: gunicorn {server_cpu / seconds:.2f} cores, locust (this process) "
        f"{bench_cpu / seconds:.2f} cores, of {os.cpu_count()}"
    )
    problems = check(url, log_path.read_text())
    print(
        f"\nchecked: {len(LEDGER.visit_keys)} visits acknowledged, {len(LEDGER.checked_in)} check-ins, "
        f"{len(LEDGER.edits_saved)} edits saved, {len(LEDGER.edits_refused)} stale edits refused"
    )
    for problem in problems[:50]:
        print("PROBLEM:", problem)
    print("all checks passed" if not problems else f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
