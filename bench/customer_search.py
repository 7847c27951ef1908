"""Customer search timings on a generated team of 20,000 customers (not a test: it prints numbers).

    python bench/customer_search.py [--customers 20000] [--repeat 40] [--database-url URL]

Without --database-url a temporary SQLite file is used. The team's customers have about six visit notes,
one or two contacts and sometimes a follow-up each (~120,000 notes); a second team of the same size
shares the database, so the index also holds rows the team filter must leave out. Each case runs
`repeat` times (after one warm-up run); p50 and p95 are printed in milliseconds, with the result count.
The time is the search service's (the server time of the list), snippets included. "cpu" is this
process's CPU time per search: on SQLite (in-process) it is the work itself, unaffected by other
processes waiting for the same cores; on PostgreSQL the work happens in the server, so it is not.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session, func, select

from fieldapp import migrate, search_index
from fieldapp.db import make_engine
from fieldapp.models import Contact, Customer, FollowUp, Team, User, Visit
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
NOTE_PHRASES = [
    "店長から新メニューの相談",
    "年末の発注量を確認",
    "競合の値下げ提案があったとのこと",
    "冷蔵庫の入れ替えを検討中",
    "ランチの客数が増えている",
    "請求書の送付先を変更したい",
    "新商品のサンプルを渡した",
    "来月から営業時間を短縮",
]
RARE_PHRASE = "先方の担当者が交代した。後任は佐藤さん"  # one note in 200
SURNAMES = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤"]
FOLLOWUP_TITLES = ["見積書を送る", "サンプル手配", "納期の確認", "クレーム対応の報告"]


def _insert(session: Session, model: type, rows: list[dict]) -> None:
    rows = list(search_index.with_search_text(model, rows))
    for start in range(0, len(rows), 5000):
        session.connection().execute(insert(model.__table__), rows[start : start + 5000])


def notes(session: Session, rng: random.Random, customers: list[Customer], today: date) -> None:
    """About six visits with notes per customer, contacts, and a follow-up for one in five."""
    visits, contacts, followups = [], [], []
    start = datetime(2026, 5, 1, 1, 0, tzinfo=UTC)
    for customer in customers:
        for k in range(rng.randint(4, 8)):
            heard = RARE_PHRASE if rng.random() < 0.005 else rng.choice(NOTE_PHRASES)
            at = start + timedelta(days=rng.randint(0, 200), hours=rng.randint(0, 8))
            visits.append(
                {
                    "customer_id": customer.id,
                    "rep_id": customer.assigned_rep_id,
                    "status": "done",
                    "check_in_at": at,
                    "check_out_at": at + timedelta(minutes=20),
                    "heard": heard,
                    "needs": rng.choice(NOTE_PHRASES) if k % 2 else None,
                    "version": 1,
                    "created_at": at,
                    "updated_at": at,
                }
            )
        for _ in range(rng.randint(1, 2)):
            contacts.append(
                {
                    "customer_id": customer.id,
                    "name": rng.choice(SURNAMES) + " " + rng.choice("一二三四五") + "郎",
                    "role": "店長",
                    "phone": f"090-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
                    "is_primary": False,
                    "created_at": start,
                }
            )
        if rng.random() < 0.2:
            followups.append(
                {
                    "customer_id": customer.id,
                    "owner_id": customer.assigned_rep_id,
                    "title": rng.choice(FOLLOWUP_TITLES),
                    "kind": "other",
                    "state": "open",
                    "due_date": today + timedelta(days=rng.randint(-5, 10)),
                    "created_at": start,
                }
            )
    _insert(session, Visit, visits)
    _insert(session, Contact, contacts)
    _insert(session, FollowUp, followups)


def generate(session: Session, n: int, seed: int = 1, name: str = "Bench team") -> tuple[int, int]:
    rng = random.Random(seed)
    team = Team(name=name)
    session.add(team)
    session.flush()
    reps = [
        User(team_id=team.id, email=f"rep{i}@{team.id}.bench", name=f"Rep {i}", password_hash="x")
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
                last_visit_on=today - timedelta(days=rng.randint(1, 90)),
                search_text=customer_search_text(
                    name, kana, phone, address, tags.replace(",", " ")
                ),
            )
        )
    session.add_all(rows)
    session.flush()
    notes(session, rng, rows, today)
    return team.id, reps[0].id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--database-url")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the generated data and reuse it on the next run (the database must be the bench's own)",
    )
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or "sqlite:///" + str(Path(tmp.name) / "bench.sqlite3")
    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine) as session:
        team = session.exec(select(Team).where(Team.name == "Bench team")).first()
        if args.reuse and team is not None:
            team_id = team.id
            rep_id = session.exec(
                select(User.id).where(User.team_id == team_id).order_by(User.id)
            ).first()
        else:
            started = time.perf_counter()
            with search_index.suspended(session.connection()):
                team_id, rep_id = generate(session, args.customers)
                generate(session, args.customers, seed=2, name="Other team")
            session.commit()
            print(
                f"{engine.dialect.name}: generated 2 teams of {args.customers} customers "
                f"in {time.perf_counter() - started:.1f} s"
            )
            # Fresh statistics, and on PostgreSQL a visibility map so counts can be index-only
            # (what autovacuum gives a live database).
            command = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql(command)
        counts = {
            m.__name__: session.exec(select(func.count()).select_from(m)).one()
            for m in (Customer, Visit, Contact, FollowUp)
        }
        print(f"{engine.dialect.name} rows: {counts}")
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
        "note phrase (担当者が交代)": SearchQuery(text="担当者が交代"),
        "note, two-character word (交代)": SearchQuery(text="交代"),
        "note, katakana query (サンプル)": SearchQuery(text="サンプル"),
        "contact name (佐藤 一郎)": SearchQuery(text="佐藤 一郎"),
        "follow-up title (見積書)": SearchQuery(text="見積書"),
        "name + note word (いざかや 冷蔵庫)": SearchQuery(text="いざかや 冷蔵庫"),
        "note phrase, page 5": SearchQuery(text="新商品のサンプル", page=5),
        "rep filter + idle 60 days": SearchQuery(rep=rep_id, idle_days=60),
        "note + rank + overdue + idle": SearchQuery(
            text="冷蔵庫", rank="A", overdue=True, idle_days=30
        ),
        "near me + note phrase": SearchQuery(**tokyo, text="値下げ提案"),
    }
    print(f"{'case':38} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'cpu p95':>8} {'matches':>8}")
    for label, query in cases.items():
        times, cpu = [], []
        total = 0
        with Session(engine) as session:  # warm-up: the first run pays for statement compilation
            search(session, team_id=team_id, user_id=rep_id, query=query, today=today)
        for _ in range(args.repeat):
            with Session(engine) as session:
                started, started_cpu = time.perf_counter(), time.process_time()
                page = search(session, team_id=team_id, user_id=rep_id, query=query, today=today)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
                total = page.total
        p95 = statistics.quantiles(times, n=20, method="inclusive")[18]
        cpu95 = statistics.quantiles(cpu, n=20, method="inclusive")[18]
        print(
            f"{label:38} {statistics.median(times):8.1f} {p95:8.1f} {max(times):8.1f} "
            f"{cpu95:8.1f} {total:8d}"
        )
    engine.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
