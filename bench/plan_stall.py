"""Does a running plan stall other requests? A short request's latency idle and while plans run, through
gunicorn (not a test: it prints numbers, no pass/fail).

    python bench/plan_stall.py                      # 1 gunicorn worker × 4 threads, 2 planning clients
    python bench/plan_stall.py --workers 2 --planners 4
    FIELDAPP_PLAN_PROCESS=0 python bench/plan_stall.py   # plans searched in the request thread (before)

Loads the demo data into a temporary SQLite database (`fieldapp demo --no-serve`), starts
`gunicorn -c gunicorn.conf.py wsgi:app` on a free port, signs in the demo reps, then
1. idle: for --seconds, a short GET (the web app manifest, a few milliseconds) every 10 ms, paced like
   the loaded phases below; then, for information, --requests of them back to back (quicker: the
   processor never rests between them, so they are no fair reference for requests 10 ms apart);
2. during plans: for --seconds, the same request every 10 ms while --planners clients each post
   "Plan my day" (tomorrow) over and over, the POST alone (its redirect to the page not followed); only
   the short requests that overlap a plan request count;
3. the reference, during page loads: the same, the clients loading the day's page instead — a page
   render is Python work holding the GIL, and shows what any busy neighbour does to a short request;
4. "Plan my day" tap to page (the plan and the page it lands on) --taps times on the idle server.
Prints p50/p95/max of each and the ratios of the p95s to idle (the goal: within 2× during plans).
Each gunicorn worker searches its plans in a plan process of its own (`fieldapp/plan_process.py`), so
the worker's threads only wait for the answer; FIELDAPP_PLAN_PROCESS=0 shows the difference.
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
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-c", "from fieldapp.cli import main; main()"]
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "fieldcompanion"  # the demo's password (fieldapp/demo/builder.py)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001 - urllib's signature
        return None


class Client:
    """A signed-in browser, as far as cookies and CSRF tokens go."""

    def __init__(self, base: str) -> None:
        self.base = base
        cookies = HTTPCookieProcessor(CookieJar())
        self.opener = build_opener(cookies)
        self.plain = build_opener(cookies, NoRedirect())

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=120) as response:
            return response.read().decode()

    def post(self, path: str, fields: dict[str, str]) -> int:
        data = urlencode(fields).encode()
        with self.opener.open(Request(self.base + path, data=data), timeout=120) as response:
            response.read()
            return response.status

    def post_only(self, path: str, fields: dict[str, str]) -> int:
        """POST without following the redirect to the page (the request alone, not the page after it)."""
        data = urlencode(fields).encode()
        try:
            with self.plain.open(Request(self.base + path, data=data), timeout=120) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as answer:  # the 303 to the page, not followed
            answer.read()
            return answer.code

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
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each loaded phase")
    parser.add_argument(
        "--taps", type=int, default=10, help="'Plan my day' taps timed on the idle server"
    )
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
    # the session's form token stays valid (no time limit): one per planning client
    tokens = [TOKEN.search(client.get(f"/day/{day}")).group(1) for client in planners]
    timed_gets(short, args.path, 20)  # warm the connection and the caches
    # a first plan each: anything loaded on first use is loaded before the measurement
    for client, token in zip(planners, tokens, strict=True):
        client.post(f"/day/{day}/plan", {"csrf_token": token})

    print(f"# {args.workers} worker(s) × {args.threads} threads, {args.planners} planning clients")
    # Idle, paced like the loaded phases (a request every 10 ms): back to back, the processor never
    # rests between them, and each one is quicker than the same request after a pause.
    idle, _ = measure(short, [], [], None, args)
    print(f"idle               {args.path}: {summary(idle)}", flush=True)
    back_to_back = timed_gets(short, args.path, args.requests)
    print(f"idle, back to back {args.path}: {summary(back_to_back)}", flush=True)

    def plan(client: Client, token: str) -> None:
        client.post_only(f"/day/{day}/plan", {"csrf_token": token})

    def load_page(client: Client, token: str) -> None:
        client.get(f"/day/{day}")

    during_plans, plan_seconds = measure(short, planners, tokens, plan, args)
    print(f"during plans       {args.path}: {summary(during_plans)}")
    print(
        f"the plan requests ({len(plan_seconds)}, POST until its redirect): {summary(plan_seconds)}"
    )
    # The reference: the same clients loading the day's page (a render holds the GIL like any Python
    # work) — what every page request does to its neighbours, plan or not.
    during_pages, page_seconds = measure(short, planners, tokens, load_page, args)
    print(f"during page loads  {args.path}: {summary(during_pages)}")

    # "Plan my day" as the phone sees it on an idle server: the plan, then the day's page it lands on.
    taps = []
    for _ in range(args.taps):
        started = time.perf_counter()
        planners[0].post(f"/day/{day}/plan", {"csrf_token": tokens[0]})
        taps.append(time.perf_counter() - started)
    print(f"plan my day, tap to page, idle: {summary(taps)}")
    print(
        f"p95 during plans / p95 idle: {p95(during_plans) / p95(idle):.2f}x (goal: within 2x); "
        f"during page loads / idle: {p95(during_pages) / p95(idle):.2f}x (reference)"
    )


def measure(short: Client, clients: list[Client], tokens: list[str], action, args) -> tuple:  # noqa: ANN001
    """Short requests every 10 ms while each client repeats `action`; those overlapping an action count."""
    stop = threading.Event()
    spans: list[tuple[float, float]] = []  # (start, end) of each action

    def loop(client: Client, token: str) -> None:
        while not stop.is_set():
            started = time.perf_counter()
            action(client, token)
            spans.append((started, time.perf_counter()))

    threads = [
        threading.Thread(target=loop, args=(c, t), daemon=True)
        for c, t in zip(clients, tokens, strict=True)
    ]
    for t in threads:
        t.start()
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
    if not clients:  # idle: every request counts
        return [end - start for start, end in shorts], []
    overlapping = [
        end - start for start, end in shorts if any(a < end and start < b for a, b in spans)
    ]
    return overlapping, [b - a for a, b in spans]


if __name__ == "__main__":
    main()
