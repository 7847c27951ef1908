"""Does a running plan stall other requests? A short request's latency idle and while plans run, through
gunicorn (not a test: it prints numbers, no pass/fail).

    python bench/plan_stall.py                      # 1 gunicorn worker × 4 threads, 2 planning clients
    python bench/plan_stall.py --workers 2 --planners 4

Loads the demo data into a temporary SQLite database (`fieldapp demo --no-serve`), starts
`gunicorn -c gunicorn.conf.py wsgi:app` on a free port, signs in two demo reps, then
1. idle: --requests short GETs (the web app manifest, a few milliseconds) one after the other;
2. loaded: for --seconds, the same request every 10 ms while --planners clients each tap "Plan my day"
   (tomorrow) over and over; only the short requests that overlap a plan request count.
Prints p50/p95/max of the short request in both phases, their ratio (the goal: p95 within 2× of idle)
and how long the plans took. With one worker every plan shares the process, and its GIL, with the short
requests: the compiled search (`planner/kernels.py`, `ruin_recreate.py`, numba `nogil=True`) lets the
other threads run while it searches.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
from datetime import date, timedelta
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-c", "from fieldapp.cli import main; main()"]
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "fieldcompanion"  # the demo's password (fieldapp/demo/builder.py)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """A signed-in browser, as far as cookies and CSRF tokens go."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=120) as response:
            return response.read().decode()

    def post(self, path: str, fields: dict[str, str]) -> int:
        data = urlencode(fields).encode()
        with self.opener.open(Request(self.base + path, data=data), timeout=120) as response:
            response.read()
            return response.status

    def sign_in(self, email: str) -> None:
        token = TOKEN.search(self.get("/login")).group(1)
        self.post("/login", {"email": email, "password": PASSWORD, "csrf_token": token})
        if 'name="password"' in self.get("/"):
            raise SystemExit(f"could not sign in as {email}")


def timed_gets(client: Client, path: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        client.get(path)
        out.append(time.perf_counter() - started)
    return out


def summary(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[max(0, int(round(0.95 * len(ordered))) - 1)]
    return (
        f"p50 {statistics.median(ordered) * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms"
        f"  max {ordered[-1] * 1000:7.1f} ms  (n={len(ordered)})"
    )


def p95(seconds: list[float]) -> float:
    ordered = sorted(seconds)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def next_weekday(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers (WEB_CONCURRENCY)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--planners", type=int, default=2, help="clients planning over and over")
    parser.add_argument("--requests", type=int, default=300, help="short requests per phase")
    parser.add_argument("--path", default="/manifest.webmanifest", help="the short request")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the loaded phase")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="fieldapp-stall-") as tmp:
        port = free_port()
        env = {
            **os.environ,
            "FIELDAPP_ENV": "development",  # plain-HTTP cookies on the loopback
            "FIELDAPP_SECRET_KEY": secrets.token_hex(32),
            "FIELDAPP_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "FIELDAPP_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(args.workers),
            "FIELDAPP_THREADS": str(args.threads),
            "FIELDAPP_LOG_LEVEL": "warning",
            "FIELDAPP_LOGIN_RATE_LIMIT": "1000 per minute",
        }
        print("# loading the demo data …", flush=True)
        subprocess.run([*CLI, "demo", "--no-serve"], env=env, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app",
             "--access-logfile", "/dev/null"],
            env=env, cwd=ROOT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    Client(base).get("/login")
                    break
                except (urllib.error.URLError, ConnectionError):
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("gunicorn did not start") from None
                    time.sleep(0.5)
            run(base, args)
        finally:
            server.terminate()
            server.wait(timeout=30)


def run(base: str, args: argparse.Namespace) -> None:
    short = Client(base)
    short.sign_in("rep2@example.com")
    planners = []
    for i in range(args.planners):
        client = Client(base)
        client.sign_in(f"rep{3 + i}@example.com")
        planners.append(client)
    day = next_weekday(date.today()).isoformat()
    timed_gets(short, args.path, 20)  # warm the connection and the caches
    # a first plan each: anything loaded on first use is loaded before the measurement
    for client in planners:
        token = TOKEN.search(client.get(f"/day/{day}")).group(1)
        client.post(f"/day/{day}/plan", {"csrf_token": token})

    idle = timed_gets(short, args.path, args.requests)
    print(f"# {args.workers} worker(s) × {args.threads} threads, {args.planners} planning clients")
    print(f"idle          {args.path}: {summary(idle)}", flush=True)

    stop = threading.Event()
    plans: list[tuple[float, float]] = []  # (start, end) of each plan request

    def plan_loop(client: Client) -> None:
        while not stop.is_set():
            token = TOKEN.search(client.get(f"/day/{day}")).group(1)
            started = time.perf_counter()
            client.post(f"/day/{day}/plan", {"csrf_token": token})
            plans.append((started, time.perf_counter()))

    threads = [threading.Thread(target=plan_loop, args=(c,), daemon=True) for c in planners]
    for t in threads:
        t.start()
    # short requests at a steady pace for --seconds; only those that overlap a plan request count
    shorts: list[tuple[float, float]] = []
    until = time.perf_counter() + args.seconds
    while time.perf_counter() < until:
        started = time.perf_counter()
        short.get(args.path)
        shorts.append((started, time.perf_counter()))
        time.sleep(0.01)
    stop.set()
    for t in threads:
        t.join(timeout=120)
    loaded = [
        end - start
        for start, end in shorts
        if any(p_start < end and start < p_end for p_start, p_end in plans)
    ]
    print(f"during plans  {args.path}: {summary(loaded)}")
    print(f"plan my day (tap to page, {len(plans)} plans): {summary([e - s for s, e in plans])}")
    print(f"p95 during plans / p95 idle: {p95(loaded) / p95(idle):.2f}x (goal: within 2x)")


if __name__ == "__main__":
    main()
