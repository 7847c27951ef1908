"""Customer search timings on a generated team of 20,000 customers (not a test: it prints numbers).

    python bench/customer_search.py [--customers 20000] [--repeat 15] [--database-url URL]

Without --database-url a temporary SQLite file is used. Each case runs `repeat` times; the median and the
slowest run are printed in milliseconds, with the result count.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlmodel import Session

from fieldapp import migrate
from fieldapp.db import make_engine
from fieldapp.models import Customer, Team, User
from fieldapp.services.customer_search import SearchQuery, search
from fieldapp.services.text import customer_search_text

SYLLABLES = [
    "さ",
    "く",
    "ら",
    "や",
    "ま",
    "だ",
    "た",
    "な",
    "か",
    "し",
    "ょ",
    "う",
    "げ",
    "つ",
    "み",
    "ど",
    "り",
]
KINDS = [
    ("居酒屋", "いざかや"),
    ("そば処", "そばどころ"),
    ("喫茶", "きっさ"),
    ("内科", "ないか"),
    ("商店", "しょうてん"),
]
WARDS = ["台東区浅草", "新宿区西新宿", "墨田区押上", "江東区豊洲", "港区芝", "品川区大井"]
TAGS = ["酒類", "業務用", "菓子", "医療", "新規", "季節"]


def generate(session: Session, n: int, seed: int = 1) -> tuple[int, int]:
    rng = random.Random(seed)
    team = Team(name="Bench team")
    session.add(team)
    session.flush()
    reps = [
        User(team_id=team.id, email=f"rep{i}@bench.example", name=f"Rep {i}", password_hash="x")
        for i in range(20)
    ]
    session.add_all(reps)
    session.flush()
    today = date(2026, 11, 20)
    rows = []
    for i in range(n):
        kind, kind_kana = rng.choice(KINDS)
        word = "".join(rng.choice(SYLLABLES) for _ in range(3))
        name, kana = f"{kind} {word}{i}", f"{kind_kana}{word}"
        phone = f"03-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
        address = f"東京都{rng.choice(WARDS)}{rng.randint(1, 9)}-{rng.randint(1, 30)}"
        tags = ", ".join(rng.sample(TAGS, 2))
        located = rng.random() > 0.02
        rows.append(
            Customer(
                team_id=team.id,
                name=name,
                kana=kana,
                phone=phone,
                address=address,
                tags=tags,
                rank=rng.choice("ABC"),
                segment=rng.choice(["restaurant", "clinic", "shop", "office", "factory"]),
                assigned_rep_id=rng.choice(reps).id,
                lat=35.55 + rng.random() * 0.3 if located else None,
                lon=139.55 + rng.random() * 0.4 if located else None,
                next_due_on=today + timedelta(days=rng.randint(-20, 20)),
                search_text=customer_search_text(
                    name, kana, phone, address, tags.replace(",", " ")
                ),
            )
        )
    session.add_all(rows)
    session.commit()
    return team.id, reps[0].id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or "sqlite:///" + str(Path(tmp.name) / "bench.sqlite3")
    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine) as session:
        started = time.perf_counter()
        team_id, rep_id = generate(session, args.customers)
        print(
            f"{engine.dialect.name}: generated {args.customers} customers in {time.perf_counter() - started:.1f} s"
        )
    today = date(2026, 11, 20)
    tokyo = {"near": True, "lat": 35.6812, "lon": 139.7671}
    cases = {
        "list, first page (whole team)": SearchQuery(),
        "kana query (katakana → hiragana)": SearchQuery(text="イザカヤ"),
        "half-width kana query": SearchQuery(text="ｲｻﾞｶﾔ ｻｸ"),
        "phone, full-width digits": SearchQuery(text="０３－１２"),
        "address word": SearchQuery(text="浅草"),
        "tag + rank A + overdue": SearchQuery(tag="酒類", rank="A", overdue=True),
        "mine (one rep's)": SearchQuery(mine=True),
        "page 40 of the list": SearchQuery(page=40),
        "near me, page 1": SearchQuery(**tokyo),
        "near me, page 10": SearchQuery(**tokyo, page=10),
        "near me + kana + rank": SearchQuery(**tokyo, text="きっさ", rank="B"),
        "near me within 2 km": SearchQuery(**tokyo, km=2.0),
    }
    print(f"{'case':38} {'median ms':>10} {'max ms':>8} {'matches':>8}")
    for label, query in cases.items():
        times = []
        total = 0
        for _ in range(args.repeat):
            with Session(engine) as session:
                started = time.perf_counter()
                page = search(session, team_id=team_id, user_id=rep_id, query=query, today=today)
                times.append((time.perf_counter() - started) * 1000)
                total = page.total
        print(f"{label:38} {statistics.median(times):10.1f} {max(times):8.1f} {total:8d}")
    engine.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
