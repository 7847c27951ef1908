"""Deterministic, realistic demo data: teams in Tokyo, reps and managers, customers with busy periods,
contacts, a product catalog, two years of order history from each customer's own behaviour, past visits
with notes, follow-ups and appointments.

`generate()` fills an empty, migrated database (it flushes; the caller commits). The same seed and `today`
always give the same data. Bulk rows go through Core inserts so 20,000 customers and 500 reps stay well
under a minute.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, insert, update
from sqlmodel import Session, select
from werkzeug.security import generate_password_hash

from .models import (
    BusyPeriod,
    Contact,
    Customer,
    FollowUp,
    OrderLine,
    Product,
    Role,
    Team,
    User,
    Visit,
)
from .services.geo import haversine_km
from .services.text import customer_search_text

DEMO_PASSWORD = "fieldcompanion"
TOKYO = ZoneInfo("Asia/Tokyo")
CHUNK = 20_000

# --- places --------------------------------------------------------------------------------------

# (ward, town, latitude, longitude, postal code prefix): real town centres of Tokyo's 23 wards.
AREAS: tuple[tuple[str, str, float, float, str], ...] = (
    ("台東区", "上野", 35.7138, 139.7770, "110-0005"),
    ("台東区", "浅草", 35.7148, 139.7967, "111-0032"),
    ("千代田区", "神田", 35.6918, 139.7709, "101-0044"),
    ("千代田区", "秋葉原", 35.6984, 139.7731, "101-0021"),
    ("中央区", "日本橋", 35.6840, 139.7745, "103-0027"),
    ("中央区", "月島", 35.6628, 139.7840, "104-0052"),
    ("墨田区", "錦糸町", 35.6966, 139.8140, "130-0022"),
    ("江東区", "門前仲町", 35.6717, 139.7960, "135-0048"),
    ("江東区", "亀戸", 35.6973, 139.8267, "136-0071"),
    ("荒川区", "日暮里", 35.7281, 139.7710, "116-0014"),
    ("足立区", "北千住", 35.7497, 139.8049, "120-0034"),
    ("江戸川区", "葛西", 35.6636, 139.8727, "134-0083"),
    ("葛飾区", "亀有", 35.7661, 139.8477, "125-0061"),
    ("文京区", "本郷", 35.7079, 139.7607, "113-0033"),
    ("新宿区", "新宿", 35.6896, 139.7006, "160-0022"),
    ("新宿区", "高田馬場", 35.7126, 139.7038, "169-0075"),
    ("渋谷区", "渋谷", 35.6580, 139.7016, "150-0002"),
    ("渋谷区", "代々木", 35.6830, 139.7020, "151-0053"),
    ("豊島区", "池袋", 35.7295, 139.7109, "171-0022"),
    ("中野区", "中野", 35.7074, 139.6638, "164-0001"),
    ("杉並区", "高円寺", 35.7052, 139.6496, "166-0002"),
    ("杉並区", "荻窪", 35.7047, 139.6200, "167-0051"),
    ("世田谷区", "三軒茶屋", 35.6437, 139.6707, "154-0004"),
    ("世田谷区", "下北沢", 35.6613, 139.6680, "155-0031"),
    ("目黒区", "中目黒", 35.6440, 139.6990, "153-0051"),
    ("品川区", "大井町", 35.6065, 139.7347, "140-0011"),
    ("品川区", "五反田", 35.6262, 139.7236, "141-0022"),
    ("大田区", "蒲田", 35.5626, 139.7160, "144-0052"),
    ("港区", "新橋", 35.6664, 139.7584, "105-0004"),
    ("練馬区", "練馬", 35.7377, 139.6543, "176-0001"),
    ("板橋区", "大山", 35.7486, 139.7024, "173-0014"),
    ("北区", "赤羽", 35.7777, 139.7210, "115-0045"),
)
# Offices the reps start from: east (秋葉原) and west (新宿); further teams get their own hub.
OFFICES: tuple[tuple[str, float, float], ...] = (
    ("東京東営業所", 35.6984, 139.7731),
    ("東京西営業所", 35.6896, 139.7006),
)
EXTRA_TEAM_NAMES = ("城南営業所", "城北営業所", "湾岸営業所", "多摩営業所")

# --- names ---------------------------------------------------------------------------------------

SURNAMES = (
    ("田中", "タナカ"), ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"), ("山本", "ヤマモト"), ("中村", "ナカムラ"), ("小林", "コバヤシ"), ("加藤", "カトウ"),
    ("吉田", "ヨシダ"), ("山田", "ヤマダ"), ("松本", "マツモト"), ("井上", "イノウエ"), ("木村", "キムラ"),
    ("清水", "シミズ"), ("森", "モリ"), ("池田", "イケダ"), ("橋本", "ハシモト"), ("石川", "イシカワ"),
)  # fmt: skip
GIVEN_NAMES = (
    ("一郎", "イチロウ"), ("健太", "ケンタ"), ("大輔", "ダイスケ"), ("翔", "ショウ"), ("誠", "マコト"),
    ("花子", "ハナコ"), ("美咲", "ミサキ"), ("陽子", "ヨウコ"), ("彩", "アヤ"), ("恵", "メグミ"),
    ("拓也", "タクヤ"), ("直樹", "ナオキ"), ("由美", "ユミ"), ("真理子", "マリコ"), ("浩二", "コウジ"),
)  # fmt: skip
RESTAURANT_KINDS = (
    ("居酒屋", "イザカヤ"), ("そば処", "ソバドコロ"), ("中華料理", "チュウカリョウリ"), ("洋食", "ヨウショク"),
    ("カフェ", "カフェ"), ("焼肉", "ヤキニク"), ("寿司", "スシ"), ("ラーメン", "ラーメン"), ("定食", "テイショク"),
)  # fmt: skip
RESTAURANT_NAMES = (
    ("さくら", "サクラ"), ("松月", "ショウゲツ"), ("龍園", "リュウエン"), ("大黒屋", "ダイコクヤ"),
    ("ひまわり", "ヒマワリ"), ("若竹", "ワカタケ"), ("福助", "フクスケ"), ("みなと", "ミナト"),
    ("翠", "ミドリ"), ("一心", "イッシン"), ("はな", "ハナ"), ("よしの", "ヨシノ"),
)  # fmt: skip
CLINIC_KINDS = (
    ("内科クリニック", "ナイカクリニック"), ("歯科医院", "シカイイン"), ("整形外科", "セイケイゲカ"),
    ("眼科", "ガンカ"), ("小児科", "ショウニカ"), ("皮膚科クリニック", "ヒフカクリニック"),
)  # fmt: skip
SHOP_KINDS = (
    ("酒店", "サケテン"), ("商店", "ショウテン"), ("薬局", "ヤッキョク"), ("青果店", "セイカテン"),
    ("文具店", "ブングテン"), ("ベーカリー", "ベーカリー"), ("精肉店", "セイニクテン"),
)  # fmt: skip
COMPANY_HEADS = (
    ("東洋", "トウヨウ"), ("日本", "ニホン"), ("三和", "サンワ"), ("大和", "ヤマト"), ("中央", "チュウオウ"),
    ("北斗", "ホクト"), ("光", "ヒカリ"), ("丸三", "マルサン"), ("東邦", "トウホウ"), ("協和", "キョウワ"),
    ("新星", "シンセイ"), ("昭和", "ショウワ"), ("富士", "フジ"), ("明治", "メイジ"),
)  # fmt: skip
OFFICE_TAILS = (
    ("システム", "システム"), ("商事", "ショウジ"), ("設計", "セッケイ"), ("不動産", "フドウサン"),
    ("会計事務所", "カイケイジムショ"), ("物流", "ブツリュウ"), ("印刷", "インサツ"),
)  # fmt: skip
FACTORY_TAILS = (
    ("精工", "セイコウ"), ("製作所", "セイサクショ"), ("金属工業", "キンゾクコウギョウ"), ("化成", "カセイ"),
    ("食品工業", "ショクヒンコウギョウ"), ("電機", "デンキ"),
)  # fmt: skip

SEGMENTS = ("restaurant", "clinic", "shop", "office", "factory")
SEGMENT_WEIGHTS = (34, 16, 24, 16, 10)
VISIT_MINUTES = {
    "restaurant": (15, 25),
    "clinic": (15, 20),
    "shop": (15, 30),
    "office": (20, 40),
    "factory": (30, 40),
}
CADENCE = {"A": 7, "B": 14, "C": 30}
# Local hours reps actually call at: between lunch and dinner, in a clinic's midday gap, outside rushes.
VISIT_HOURS = {
    "restaurant": (10, 14, 14, 15),
    "clinic": (12, 13, 13, 14),
    "shop": (10, 11, 13, 14, 15),
    "office": (10, 11, 13, 14, 15, 16),
    "factory": (9, 10, 13, 14, 15),
}
TAGS = ("新規提案先", "季節商品", "競合あり", "紹介元", "値上げ交渉中", "大口", "キャンペーン対象")
CONTACT_ROLES = {
    "restaurant": ("店長", "オーナー", "料理長"),
    "clinic": ("院長", "事務長", "看護師長"),
    "shop": ("店主", "店長", "仕入担当"),
    "office": ("総務部長", "購買担当", "庶務担当"),
    "factory": ("工場長", "購買担当", "品質管理課長"),
}
HOBBIES = (
    "ゴルフ",
    "釣り",
    "野球観戦",
    "サッカー観戦",
    "ワイン",
    "登山",
    "将棋",
    "ラーメン巡り",
    "ランニング",
    "園芸",
)
PERSONAL_NOTES = (
    "娘さんが今春高校入学",
    "阪神ファン、試合の翌日は話題にすると喜ぶ",
    "甘いものが好き",
    "朝は忙しいので午後の訪問を好む",
    "猫を2匹飼っている",
    "来年店舗の改装を検討中",
    "息子さんが跡を継ぐ予定",
    "健康診断の結果を気にしている",
)

# --- the catalog: (code, name, English name, category, price yen, reorder days, season months, tags,
#     segments that buy it) ----------------------------------------------------------------------
CATALOG: tuple[tuple[str, str, str, str, int, int, str | None, str, tuple[str, ...]], ...] = (
    ("F001", "業務用米 10kg", "Rice 10 kg (catering)", "業務用食材", 5800, 14, None, "定番", ("restaurant",)),
    ("F002", "業務用しょうゆ 18L", "Soy sauce 18 L", "業務用食材", 4200, 30, None, "定番", ("restaurant",)),
    ("F003", "冷凍餃子 50個入", "Frozen gyoza ×50", "業務用食材", 2400, 14, None, "", ("restaurant",)),
    ("F004", "そば粉 5kg", "Buckwheat flour 5 kg", "業務用食材", 6500, 21, None, "", ("restaurant",)),
    ("F005", "冷やし中華スープ", "Chilled ramen soup", "業務用食材", 1800, 14, "5,6,7,8", "季節", ("restaurant",)),
    ("F006", "おせち用黒豆", "Black beans for osechi", "業務用食材", 3200, 365, "11,12", "季節", ("restaurant", "shop")),
    ("F007", "業務用食用油 16.5kg", "Cooking oil 16.5 kg", "業務用食材", 5200, 21, None, "定番", ("restaurant",)),
    ("B001", "生ビール樽 10L", "Draft beer keg 10 L", "飲料", 7800, 7, None, "定番", ("restaurant", "shop")),
    ("B002", "ミネラルウォーター 2L×6", "Mineral water 2 L ×6", "飲料", 780, 14, None, "定番", ("office", "clinic", "factory", "shop")),
    ("B003", "麦茶ティーバッグ 業務用", "Barley tea bags (bulk)", "飲料", 1200, 21, "5,6,7,8,9", "季節", ("office", "factory", "restaurant")),
    ("B004", "ホットコーヒー豆 1kg", "Coffee beans 1 kg", "飲料", 3400, 21, None, "", ("restaurant", "office")),
    ("B005", "日本酒 一升瓶", "Sake 1.8 L", "飲料", 2600, 14, "10,11,12,1,2", "季節", ("restaurant", "shop")),
    ("H001", "ハンドソープ 詰替 4L", "Hand soap refill 4 L", "衛生用品", 2100, 30, None, "定番", ("restaurant", "clinic", "office", "factory", "shop")),
    ("H002", "アルコール消毒液 5L", "Hand sanitiser 5 L", "衛生用品", 3800, 30, None, "定番", ("clinic", "restaurant", "office")),
    ("H003", "使い捨て手袋 100枚", "Disposable gloves ×100", "衛生用品", 950, 14, None, "定番", ("restaurant", "clinic", "factory")),
    ("H004", "ペーパータオル 40束", "Paper towels ×40", "衛生用品", 4600, 30, None, "", ("clinic", "office", "restaurant")),
    ("H005", "マスク 50枚", "Masks ×50", "衛生用品", 680, 21, "11,12,1,2,3", "季節", ("clinic", "office", "factory", "shop")),
    ("M001", "注射針 100本", "Injection needles ×100", "医療消耗品", 2800, 30, None, "", ("clinic",)),
    ("M002", "ガーゼ 滅菌済", "Sterile gauze", "医療消耗品", 1900, 30, None, "", ("clinic",)),
    ("M003", "診察台シーツ", "Exam table sheets", "医療消耗品", 3600, 45, None, "", ("clinic",)),
    ("M004", "インフルエンザ検査キット", "Influenza test kits", "医療消耗品", 12000, 30, "10,11,12,1,2", "季節", ("clinic",)),
    ("O001", "コピー用紙 A4 5000枚", "Copy paper A4 ×5000", "事務用品", 3300, 30, None, "定番", ("office", "clinic", "factory")),
    ("O002", "トナーカートリッジ", "Toner cartridge", "事務用品", 9800, 60, None, "", ("office", "clinic")),
    ("O003", "ボールペン 10本", "Ballpoint pens ×10", "事務用品", 600, 60, None, "", ("office", "shop")),
    ("O004", "卓上カレンダー", "Desk calendars", "事務用品", 450, 365, "11,12", "季節", ("office", "shop", "clinic")),
    ("O005", "年賀はがき印刷", "New Year card printing", "事務用品", 8800, 365, "11,12", "季節", ("office", "shop", "clinic")),
    ("K001", "軍手 12双", "Work gloves ×12", "工場消耗品", 980, 14, None, "定番", ("factory",)),
    ("K002", "切削油 18L", "Cutting oil 18 L", "工場消耗品", 11800, 30, None, "", ("factory",)),
    ("K003", "ウエス 10kg", "Shop rags 10 kg", "工場消耗品", 3900, 21, None, "", ("factory",)),
    ("K004", "安全靴", "Safety shoes", "工場消耗品", 6800, 180, None, "", ("factory",)),
    ("K005", "熱中症対策タブレット", "Heat-stroke tablets", "工場消耗品", 1500, 14, "6,7,8,9", "季節", ("factory", "office")),
    ("S001", "レジ袋 M 1000枚", "Shopping bags M ×1000", "店舗用品", 2900, 30, None, "定番", ("shop",)),
    ("S002", "値札ラベル", "Price labels", "店舗用品", 800, 45, None, "", ("shop",)),
    ("S003", "ギフト包装紙", "Gift wrapping paper", "店舗用品", 1600, 30, "11,12,6,7", "季節", ("shop",)),
)  # fmt: skip

NOTE_TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    "restaurant": {
        "heard": ("夏メニューで冷たい麺を増やす予定", "ランチの客数が前年より増えている", "仕込みの人手が足りない",
                  "宴会の予約が12月に集中している", "油の値上がりを気にしている"),
        "needs": ("油の使用量を減らしたい", "仕入れ先を一本化したい", "冷凍食材で仕込み時間を短縮したい"),
        "changes": ("アルバイトが2名増えた", "テイクアウトを始めた", "店内を改装していた", "メニュー表が新しくなった"),
        "proposals": ("冷凍餃子のまとめ買い割引", "季節の冷やし中華スープ", "業務用食用油の定期便"),
        "next": ("来週 見積を持参", "新商品サンプルを届ける", "店長に価格表を送る"),
    },
    "clinic": {
        "heard": ("インフルエンザの患者が増え始めた", "予約制に切り替えた", "事務長が交代した"),
        "needs": ("検査キットの在庫を切らしたくない", "消耗品の発注を月1回にまとめたい"),
        "changes": ("待合室にキッズスペースができた", "受付が自動精算機になった"),
        "proposals": ("インフルエンザ検査キットの早期予約", "消毒液の定期配送"),
        "next": ("検査キットの納期を確認", "事務長に定期便の見積を送る"),
    },
    "shop": {
        "heard": ("年末の贈答品需要が例年より多い", "近くにコンビニができて客数が減った", "地域のお祭りで特需"),
        "needs": ("売れ筋を絞って在庫を減らしたい", "包装資材を安くしたい"),
        "changes": ("店先のレイアウトを変えた", "キャッシュレス決済を導入", "営業時間を1時間延長"),
        "proposals": ("ギフト包装紙のセット提案", "季節の日本酒の試飲会"),
        "next": ("ギフト用品のカタログを届ける", "年末の納品日を確定"),
    },
    "office": {
        "heard": ("在宅勤務が増えて出社は週3日", "来月オフィスを移転する予定", "総務の担当者が産休に入る"),
        "needs": ("備品の発注を楽にしたい", "コピー用紙の保管場所が足りない"),
        "changes": ("受付が無人になった", "フロアが1つ増えた"),
        "proposals": ("コピー用紙の定期便", "年賀はがき印刷の早割"),
        "next": ("移転先の住所を確認", "定期便の見積を作成"),
    },
    "factory": {
        "heard": ("新しいラインが来月稼働", "夏場の熱中症対策を強化したい", "品質監査が近い"),
        "needs": ("消耗品の在庫を現場ごとに管理したい", "切削油の交換頻度を下げたい"),
        "changes": ("夜勤シフトが始まった", "倉庫を増築中"),
        "proposals": ("熱中症対策タブレットの常備", "安全靴のまとめ買い"),
        "next": ("工場長に試供品を届ける", "切削油の比較資料を送る"),
    },
}  # fmt: skip
FOLLOWUP_TITLES = {
    "quote": ("定期便の見積を提出", "まとめ買い割引の見積", "新商品の見積回答"),
    "delivery": ("納期の確認", "年末の納品日調整", "欠品分の再納品"),
    "trouble": ("破損品の交換対応", "請求金額の確認", "配送遅れのお詫びと対策"),
    "proposal": ("季節商品の提案", "新メニュー向け食材の提案", "定期配送への切替提案"),
    "other": ("担当者交代のご挨拶", "展示会の案内", "カタログ送付"),
}


# --- summary -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    team: str
    name: str


@dataclass
class DemoSummary:
    logins: list[DemoLogin]
    counts: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        """One line: how much data there is."""
        c = self.counts
        return (
            f"{c.get('teams', 0):,} teams, {c.get('users', 0):,} users, {c.get('customers', 0):,} customers, "
            f"{c.get('products', 0):,} products, {c.get('order_lines', 0):,} order lines, "
            f"{c.get('visits', 0):,} visits"
        )


def describe_existing(session: Session) -> DemoSummary:
    """Logins and counts of an already-seeded database (demo users share DEMO_PASSWORD)."""
    teams = {t.id: t.name for t in session.exec(select(Team))}
    users = session.exec(select(User).order_by(User.role.desc(), User.id)).all()
    logins = [
        DemoLogin(u.email, u.role, teams.get(u.team_id, ""), u.name) for u in users if u.active
    ]
    return DemoSummary(logins=_login_order(logins), counts=_counts(session))


def _login_order(logins: list[DemoLogin]) -> list[DemoLogin]:
    order = {Role.ADMIN: 0, Role.MANAGER: 1, Role.REP: 2}
    return sorted(logins, key=lambda login: (order.get(login.role, 3), _email_number(login.email)))


def _email_number(email: str) -> tuple[str, int]:
    local = email.split("@")[0]
    digits = "".join(ch for ch in local if ch.isdigit())
    return (local.rstrip("0123456789"), int(digits) if digits else 0)


def _counts(session: Session) -> dict[str, int]:
    def count(model: type) -> int:
        return session.exec(select(func.count()).select_from(model)).one()

    return {
        "teams": count(Team),
        "users": count(User),
        "customers": count(Customer),
        "products": count(Product),
        "order_lines": count(OrderLine),
        "visits": count(Visit),
    }


# --- generation ----------------------------------------------------------------------------------


def generate(
    session: Session,
    *,
    customers: int = 420,
    reps: int = 8,
    managers: int = 2,
    teams: int = 2,
    seed: int = 42,
    today: date | None = None,
) -> DemoSummary:
    """Fill an empty database with a believable sales organisation; flushes, the caller commits."""
    if min(customers, reps, teams) < 1 or managers < 0:
        raise ValueError("customers, reps and teams must be at least 1")
    today = today or datetime.now(TOKYO).date()
    rng = random.Random(seed)
    builder = _Builder(session, rng, today)
    team_rows = builder.teams(teams)
    staff = builder.users(team_rows, reps=reps, managers=managers)
    products = builder.products()
    customer_rows = builder.customers(team_rows, staff, customers)
    builder.busy_periods(customer_rows)
    builder.contacts(customer_rows)
    builder.orders(customer_rows, products)
    builder.visits(customer_rows, products)
    builder.followups(customer_rows)
    builder.appointments(customer_rows, staff)
    session.flush()
    return DemoSummary(logins=_login_order(builder.logins), counts=_counts(session))


DEMO_REPORT_DAYS = 3  # working days of submitted daily reports
DEMO_REPORT_REPS = 40  # above this (benchmark data sets) no reports are drafted


@dataclass
class _CustomerPlan:
    """What the generator decided about one customer, kept to derive its history."""

    id: int
    team_id: int
    rep_id: int
    segment: str
    rank: str
    status: str
    cadence: int
    visit_minutes: int
    trend: float
    last_visit: date | None = None
    orders_until: date | None = None
    basket: list[tuple[int, int, frozenset[int] | None]] = field(default_factory=list)


class _Builder:
    """Generates one table after the other from a single random stream (so the seed fixes everything)."""

    def __init__(self, session: Session, rng: random.Random, today: date) -> None:
        self.session = session
        self.rng = rng
        self.today = today
        self.logins: list[DemoLogin] = []
        self.team_hubs: dict[int, tuple[float, float]] = {}
        self.team_names: dict[int, str] = {}

    # organisation ------------------------------------------------------------------------------

    def teams(self, count: int) -> list[Team]:
        rows = []
        for i in range(count):
            if i < len(OFFICES):
                name, lat, lon = OFFICES[i]
            else:
                area = AREAS[(i * 7) % len(AREAS)]
                extra = EXTRA_TEAM_NAMES[(i - len(OFFICES)) % len(EXTRA_TEAM_NAMES)]
                suffix = "" if i - len(OFFICES) < len(EXTRA_TEAM_NAMES) else f" 第{i + 1}課"
                name, lat, lon = f"{extra}{suffix}", area[2], area[3]
            team = Team(name=name, timezone="Asia/Tokyo")
            self.session.add(team)
            rows.append(team)
            self.session.flush()
            self.team_hubs[team.id] = (lat, lon)
            self.team_names[team.id] = name
        return rows

    def users(self, teams: list[Team], *, reps: int, managers: int) -> dict[int, list[User]]:
        """Managers and reps spread over the teams; one password hash for all (hashing is slow)."""
        password_hash = generate_password_hash(DEMO_PASSWORD)
        reps_by_team: dict[int, list[User]] = {t.id: [] for t in teams}
        people: list[User] = []
        for i in range(managers):
            team = teams[i % len(teams)]
            surname, given = self.rng.choice(SURNAMES), self.rng.choice(GIVEN_NAMES)
            people.append(
                self._user(team, f"manager{i + 1}@example.com", f"{surname[0]} {given[0]}", Role.MANAGER,
                           password_hash, language="en" if i == 1 else None)
            )  # fmt: skip
        for i in range(reps):
            team = teams[i % len(teams)]
            surname, given = self.rng.choice(SURNAMES), self.rng.choice(GIVEN_NAMES)
            user = self._user(
                team, f"rep{i + 1}@example.com", f"{surname[0]} {given[0]}", Role.REP, password_hash
            )
            user.travel_mode = "bicycle" if self.rng.random() < 0.15 else "car"
            people.append(user)
            reps_by_team[team.id].append(user)
        self.session.add_all(people)
        self.session.flush()
        for user in people:
            self.logins.append(
                DemoLogin(user.email, user.role, self.team_names[user.team_id], user.name)
            )
        return reps_by_team

    def _user(
        self, team: Team, email: str, name: str, role: str, password_hash: str, **extra: Any
    ) -> User:
        lat, lon = self.team_hubs[team.id]
        return User(
            team_id=team.id,
            email=email,
            name=name,
            role=role,
            password_hash=password_hash,
            start_label=team.name,
            start_lat=lat,
            start_lon=lon,
            end_label=team.name,
            end_lat=lat,
            end_lon=lon,
            work_start_min=9 * 60,
            work_end_min=18 * 60,
            lunch_minutes=45,
            **extra,
        )

    def products(self) -> list[tuple[int, tuple]]:
        rows = []
        for code, name, name_en, category, price, cycle, season, tags, _segments in CATALOG:
            rows.append(
                Product(code=code, name=name, name_en=name_en, category=category, unit_price=price,
                        reorder_cycle_days=cycle, season_months=season, tags=tags or None)
            )  # fmt: skip
        self.session.add_all(rows)
        self.session.flush()
        return [(row.id, spec) for row, spec in zip(rows, CATALOG, strict=True)]

    # customers ---------------------------------------------------------------------------------

    def customers(
        self, teams: list[Team], reps_by_team: dict[int, list[User]], count: int
    ) -> list[_CustomerPlan]:
        """Customers scattered around town centres; each team covers the areas nearest its office,
        and each rep a compact wedge of the team's territory."""
        team_ids = [t.id for t in teams]
        area_team = {
            i: min(team_ids, key=lambda tid: haversine_km((area[2], area[3]), self.team_hubs[tid]))
            for i, area in enumerate(AREAS)
        }
        # Every team needs areas even when teams outnumber areas: hand out the rest round-robin.
        for n, tid in enumerate(team_ids):
            if tid not in area_team.values():
                area_team[n % len(AREAS)] = tid
        rows: list[dict[str, Any]] = []
        for n in range(count):
            area_index = self.rng.randrange(len(AREAS))
            ward, town, lat0, lon0, postal = AREAS[area_index]
            team_id = area_team[area_index]
            segment = self.rng.choices(SEGMENTS, weights=SEGMENT_WEIGHTS)[0]
            name, kana = self._business_name(segment, town)
            rank = self.rng.choices("ABC", weights=(20, 40, 40))[0]
            status = self.rng.choices(
                ("active", "at_risk", "dormant", "lost"), weights=(86, 8, 4, 2)
            )[0]
            tags = ",".join(sorted(self.rng.sample(TAGS, k=self.rng.choice((0, 0, 1, 1, 2)))))
            phone = f"03-{self.rng.randint(3000, 6999)}-{self.rng.randint(1000, 9999)}"
            address = f"東京都{ward}{town}{self.rng.randint(1, 4)}-{self.rng.randint(1, 30)}-{self.rng.randint(1, 20)}"
            # About 1.5 km scatter around the town centre; a few have no position yet.
            located = self.rng.random() > 0.01
            lat = lat0 + self.rng.gauss(0, 0.008) if located else None
            lon = lon0 + self.rng.gauss(0, 0.009) if located else None
            rows.append(
                {
                    "team_id": team_id,
                    "external_code": f"C{n + 1:05d}",
                    "name": name,
                    "kana": kana,
                    "postal_code": postal,
                    "address": address,
                    "phone": phone,
                    "segment": segment,
                    "rank": rank,
                    "cadence_days": CADENCE[rank],
                    "visit_minutes": self.rng.choice(
                        range(VISIT_MINUTES[segment][0], VISIT_MINUTES[segment][1] + 1, 5)
                    ),
                    "status": status,
                    "tags": tags or None,
                    "lat": lat,
                    "lon": lon,
                    "location_source": "imported" if located else None,
                    "needs_location": not located,
                    "search_text": customer_search_text(name, kana, phone, address, postal, tags),
                }
            )
        self._assign_reps(rows, reps_by_team)
        now = datetime.now(UTC)
        for row in rows:
            row.update(version=1, created_at=now, updated_at=now)
        _bulk(self.session, Customer, rows)
        ids = self.session.exec(select(Customer.id).order_by(Customer.id)).all()
        plans = []
        for customer_id, row in zip(ids, rows, strict=True):
            trend = {
                "active": self.rng.uniform(0.85, 1.25),
                "at_risk": 0.75,
                "dormant": 0.6,
                "lost": 0.5,
            }[row["status"]]
            plans.append(
                _CustomerPlan(
                    id=customer_id, team_id=row["team_id"], rep_id=row["assigned_rep_id"], segment=row["segment"],
                    rank=row["rank"], status=row["status"], cadence=row["cadence_days"],
                    visit_minutes=row["visit_minutes"], trend=trend,
                )
            )  # fmt: skip
        return plans

    def _assign_reps(self, rows: list[dict[str, Any]], reps_by_team: dict[int, list[User]]) -> None:
        """Sort each team's customers by bearing from the office and cut the circle into one wedge per rep."""
        for team_id, reps in reps_by_team.items():
            mine = [row for row in rows if row["team_id"] == team_id]
            if not reps:
                continue
            hub_lat, hub_lon = self.team_hubs[team_id]
            mine.sort(
                key=lambda row: math.atan2(
                    (row["lat"] or hub_lat) - hub_lat, (row["lon"] or hub_lon) - hub_lon
                )
            )
            size = max(1, math.ceil(len(mine) / len(reps)))
            for index, row in enumerate(mine):
                row["assigned_rep_id"] = reps[min(index // size, len(reps) - 1)].id

    def _business_name(self, segment: str, town: str) -> tuple[str, str]:
        rng = self.rng
        if segment == "restaurant":
            kind, name = rng.choice(RESTAURANT_KINDS), rng.choice(RESTAURANT_NAMES)
            return f"{kind[0]} {name[0]}", kind[1] + name[1]
        if segment == "clinic":
            surname, kind = rng.choice(SURNAMES), rng.choice(CLINIC_KINDS)
            return surname[0] + kind[0], surname[1] + kind[1]
        if segment == "shop":
            surname, kind = rng.choice(SURNAMES), rng.choice(SHOP_KINDS)
            return surname[0] + kind[0], surname[1] + kind[1]
        head = rng.choice(COMPANY_HEADS)
        tail = rng.choice(OFFICE_TAILS if segment == "office" else FACTORY_TAILS)
        if tail[0] == "会計事務所":
            return head[0] + tail[0], head[1] + tail[1]
        return f"株式会社 {head[0]}{tail[0]}", head[1] + tail[1]

    def busy_periods(self, customers: list[_CustomerPlan]) -> None:
        """When not to visit, by segment: lunch and dinner rush, consultation hours, weekends, year-end."""
        rows: list[dict[str, Any]] = []
        year_end = (date(self.today.year, 12, 20), date(self.today.year, 12, 31))
        for c in customers:

            def add(kind: str, label: str, weekdays: str | None = None, start: int | None = None,
                    end: int | None = None, dates: tuple[date, date] | None = None, cid: int = c.id) -> None:  # fmt: skip
                rows.append({"customer_id": cid, "kind": kind, "weekdays": weekdays, "start_min": start,
                             "end_min": end, "label": label, "start_date": dates[0] if dates else None,
                             "end_date": dates[1] if dates else None})  # fmt: skip

            if c.segment == "restaurant":
                closed = self.rng.choice("0123456")
                open_days = "".join(d for d in "0123456" if d != closed)
                add("weekly", "ランチ営業", open_days, 11 * 60 + 30, 13 * 60 + 30)
                add("weekly", "ディナー営業", open_days, 17 * 60, 22 * 60)
                add("weekly", "定休日", closed)
                if self.rng.random() < 0.5:
                    add("dates", "年末繁忙", dates=year_end)
            elif c.segment == "clinic":
                add("weekly", "午前診療", "012345", 9 * 60, 12 * 60)
                add("weekly", "午後診療", "01245", 15 * 60, 18 * 60)
                add("weekly", "午後休診", "35", 12 * 60, 18 * 60)
                add("weekly", "休診日", "6")
            elif c.segment == "shop":
                add("weekly", "週末繁忙", "56")
                add("weekly", "夕方の混雑", "01234", 16 * 60 + 30, 18 * 60 + 30)
                add("dates", "年末繁忙", dates=year_end)
            elif c.segment == "office":
                add("weekly", "定休日", "56")
                if self.rng.random() < 0.6:
                    add("weekly", "朝礼・会議", "0", 9 * 60, 10 * 60 + 30)
            else:
                add("weekly", "定休日", "56")
                add("weekly", "昼休み", "01234", 12 * 60, 13 * 60)
                stocktaking = self.today.replace(day=1) + timedelta(days=self.rng.randint(35, 75))
                add("dates", "棚卸し", dates=(stocktaking, stocktaking + timedelta(days=1)))
        _bulk(self.session, BusyPeriod, rows)

    def contacts(self, customers: list[_CustomerPlan]) -> None:
        rows: list[dict[str, Any]] = []
        now = datetime.now(UTC)
        for c in customers:
            for k in range(self.rng.choice((1, 1, 2, 2, 3))):
                surname, given = self.rng.choice(SURNAMES), self.rng.choice(GIVEN_NAMES)
                if (
                    self.rng.random() < 0.08
                ):  # someone's birthday is coming up: a reason to mention it
                    birthday_this_year = self.today + timedelta(days=self.rng.randint(0, 13))
                    year = self.rng.randint(1955, 1995)
                    if (birthday_this_year.month, birthday_this_year.day) == (2, 29):
                        year -= year % 4  # born on a leap day: only a leap year has 29 February
                    birthday = birthday_this_year.replace(year=year)
                else:
                    birthday = date(
                        self.rng.randint(1950, 1998),
                        self.rng.randint(1, 12),
                        self.rng.randint(1, 28),
                    )
                rows.append(
                    {
                        "customer_id": c.id,
                        "name": f"{surname[0]} {given[0]}",
                        "kana": f"{surname[1]} {given[1]}",
                        "role": self.rng.choice(CONTACT_ROLES[c.segment]),
                        "phone": f"090-{self.rng.randint(1000, 9999)}-{self.rng.randint(1000, 9999)}",
                        "email": None,
                        "birthday": birthday if self.rng.random() < 0.7 else None,
                        "hobbies": "、".join(self.rng.sample(HOBBIES, k=self.rng.randint(1, 2))),
                        "personal_notes": self.rng.choice(PERSONAL_NOTES)
                        if self.rng.random() < 0.6
                        else None,
                        "is_primary": k == 0,
                        "created_at": now,
                    }
                )
        _bulk(self.session, Contact, rows)

    # history -----------------------------------------------------------------------------------

    def orders(self, customers: list[_CustomerPlan], products: list[tuple[int, tuple]]) -> None:
        """Two years of orders: each customer reorders its own products at its own rhythm, seasonal items
        only in season, quantities following the customer's trend; at-risk and lost customers fade out."""
        by_segment: dict[str, list[tuple[int, tuple]]] = {s: [] for s in SEGMENTS}
        for product_id, spec in products:
            for segment in spec[8]:
                by_segment[segment].append((product_id, spec))
        start = self.today - timedelta(days=730)
        rows: list[tuple] = []
        for c in customers:
            stop_after = {
                "active": self.today,
                "at_risk": self.today - timedelta(days=self.rng.randint(45, 90)),
                "dormant": self.today - timedelta(days=self.rng.randint(120, 200)),
                "lost": self.today - timedelta(days=self.rng.randint(200, 400)),
            }[c.status]
            c.orders_until = stop_after
            choices = by_segment[c.segment]
            basket = self.rng.sample(choices, k=min(len(choices), self.rng.randint(3, 6)))
            discount = self.rng.choice((1.0, 0.97, 0.95, 0.9))
            for product_id, spec in basket:
                cycle = spec[5]
                interval = max(5, round(cycle * self.rng.uniform(0.8, 1.5)))
                season = frozenset(int(m) for m in spec[6].split(",")) if spec[6] else None
                c.basket.append((product_id, round(spec[4] * discount), season))
                base_qty = self.rng.randint(1, 6)
                day = start + timedelta(days=self.rng.randint(0, interval))
                while day <= stop_after:
                    if season is None or day.month in season:
                        progress = (day - start).days / 730
                        qty = max(
                            1,
                            round(
                                base_qty
                                * (1 + (c.trend - 1) * progress)
                                * self.rng.uniform(0.8, 1.2)
                            ),
                        )
                        rows.append((c.id, product_id, day, qty, round(spec[4] * discount)))
                    day += timedelta(days=max(3, round(interval * self.rng.uniform(0.85, 1.15))))
        rows.sort(key=lambda r: (r[2], r[0], r[1]))
        _fast_insert(
            self.session,
            OrderLine.__tablename__,
            ("customer_id", "product_id", "ordered_on", "quantity", "unit_price", "source"),
            [(*r, "demo") for r in rows],
        )

    def visits(self, customers: list[_CustomerPlan], products: list[tuple[int, tuple]]) -> None:
        """About six months of visits at each customer's cadence, with notes; sets last visit and next due
        so that on `today` roughly one customer in six is due or overdue."""
        rows: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        horizon = self.today - timedelta(days=183)
        for c in customers:
            if self.rng.random() < 0.02:  # never visited yet: a new account
                continue
            if c.status in ("dormant", "lost"):
                last = self.today - timedelta(days=self.rng.randint(60, 150))
            else:
                last = self.today - timedelta(days=self.rng.randint(1, round(c.cadence * 1.15)))
            last = _weekday_on_or_before(last)
            c.last_visit = last
            day = last
            while day >= horizon:
                rows.append(self._visit_row(c, day))
                day = _weekday_on_or_before(
                    day - timedelta(days=max(3, round(c.cadence * self.rng.uniform(0.8, 1.3))))
                )
            updates.append(
                {
                    "b_id": c.id,
                    "last_visit_on": last,
                    "next_due_on": last + timedelta(days=c.cadence),
                }
            )
        rows.sort(key=lambda r: (r["check_in_at"], r["customer_id"]))
        _bulk(self.session, Visit, rows)
        self._orders_at_visits(customers)
        if updates:
            table = Customer.__table__
            stmt = (
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(
                    last_visit_on=bindparam("last_visit_on"), next_due_on=bindparam("next_due_on")
                )
            )
            for chunk in _chunks(updates):
                self.session.connection().execute(stmt, chunk)

    def _orders_at_visits(self, customers: list[_CustomerPlan]) -> None:
        """Visits whose outcome is an order get order lines linked to them (ids read back, any database)."""
        plans = {c.id: c for c in customers}
        taken = self.session.exec(
            select(Visit.id, Visit.customer_id, Visit.check_in_at)
            .where(Visit.outcome == "order_taken")
            .order_by(Visit.id)
        ).all()
        rows: list[tuple] = []
        for visit_id, customer_id, check_in_at in taken:
            day = check_in_at.astimezone(TOKYO).date()
            plan = plans[customer_id]
            if plan.orders_until is None or day > plan.orders_until:
                continue  # a customer who stopped buying gives no order at a visit either
            # Seasonal products are only sold in season, at the visit as anywhere else.
            offer = [b for b in plan.basket if b[2] is None or day.month in b[2]]
            if not offer:
                continue
            for product_id, price, _season in self.rng.sample(
                offer, k=min(len(offer), self.rng.randint(1, 2))
            ):
                rows.append(
                    (customer_id, product_id, day, self.rng.randint(1, 4), price, "demo", visit_id)
                )
        _fast_insert(
            self.session,
            OrderLine.__tablename__,
            (
                "customer_id",
                "product_id",
                "ordered_on",
                "quantity",
                "unit_price",
                "source",
                "visit_id",
            ),
            rows,
        )

    def _visit_row(self, c: _CustomerPlan, day: date) -> dict[str, Any]:
        start_local = datetime.combine(day, time(hour=self.rng.choice(VISIT_HOURS[c.segment]),
                                                 minute=self.rng.choice((0, 10, 20, 30, 40, 50)))).replace(tzinfo=TOKYO)  # fmt: skip
        check_in = start_local.astimezone(UTC)
        check_out = check_in + timedelta(minutes=c.visit_minutes + self.rng.randint(-5, 10))
        notes = NOTE_TEMPLATES[c.segment]
        outcome = self.rng.choices(
            (
                "met",
                "order_taken",
                "proposal_made",
                "not_available",
                "delivery_checked",
                "complaint_handled",
            ),
            weights=(40, 25, 15, 10, 7, 3),
        )[0]
        proposal = (
            self.rng.choice(notes["proposals"])
            if outcome == "proposal_made" or self.rng.random() < 0.2
            else None
        )
        return {
            "customer_id": c.id,
            "rep_id": c.rep_id,
            "status": "done",
            "is_appointment": False,
            "check_in_at": check_in,
            "check_out_at": check_out,
            "outcome": outcome,
            "heard": self.rng.choice(notes["heard"]) if outcome != "not_available" else None,
            "needs": self.rng.choice(notes["needs"]) if self.rng.random() < 0.4 else None,
            "changes": self.rng.choice(notes["changes"]) if self.rng.random() < 0.3 else None,
            "proposals": proposal,
            "proposal_reception": self.rng.choice(("positive", "considering", "negative"))
            if proposal
            else None,
            "next_action": self.rng.choice(notes["next"]) if self.rng.random() < 0.5 else None,
            "next_action_due": day + timedelta(days=7) if self.rng.random() < 0.3 else None,
            "version": 1,
            "created_at": check_out,
            "updated_at": check_out,
        }

    def followups(self, customers: list[_CustomerPlan]) -> None:
        rows: list[dict[str, Any]] = []
        now = datetime.now(UTC)
        for c in customers:
            if c.status == "lost" or self.rng.random() > 0.22:
                continue
            kind = self.rng.choices(tuple(FOLLOWUP_TITLES), weights=(30, 25, 10, 25, 10))[0]
            is_open = self.rng.random() < 0.7
            due = self.today + timedelta(days=self.rng.randint(-6, 12))
            rows.append(
                {
                    "customer_id": c.id,
                    "kind": kind,
                    "title": self.rng.choice(FOLLOWUP_TITLES[kind]),
                    "owner_id": c.rep_id,
                    "created_by_id": c.rep_id,
                    "due_date": due,
                    "state": "open" if is_open else "done",
                    "result": None if is_open else "対応済み。先方了承",
                    "created_at": now,
                    "closed_at": None if is_open else now,
                    "visit_id": None,
                }
            )
        _bulk(self.session, FollowUp, rows)

    def appointments(
        self, customers: list[_CustomerPlan], reps_by_team: dict[int, list[User]]
    ) -> None:
        """One fixed appointment for each rep on the next working day (and some today)."""
        rows: list[dict[str, Any]] = []
        by_rep: dict[int, list[_CustomerPlan]] = {}
        for c in customers:
            if c.status in ("active", "at_risk") and c.segment in ("office", "factory", "clinic"):
                by_rep.setdefault(c.rep_id, []).append(c)
        next_day = _next_weekday(self.today)
        now = datetime.now(UTC)
        for reps in reps_by_team.values():
            for rep in reps:
                pool = by_rep.get(rep.id) or []
                if not pool:
                    continue
                for day, hour in ((next_day, self.rng.choice((10, 14))), (self.today, 15)):
                    if day == self.today and (self.rng.random() < 0.5 or day.weekday() >= 5):
                        continue
                    customer = self.rng.choice(pool)
                    start = datetime.combine(day, time(hour, 30), tzinfo=TOKYO).astimezone(UTC)
                    rows.append({"customer_id": customer.id, "rep_id": rep.id, "status": "planned",
                                 "is_appointment": True, "scheduled_start": start, "version": 1,
                                 "created_at": now, "updated_at": now})  # fmt: skip
        _bulk(self.session, Visit, rows)


def submit_daily_reports(session: Session, *, today: date | None = None, seed: int = 42) -> int:
    """Submitted daily reports (日報) of the last working days, drafted from the generated visits, so
    managers open a filled report list; on the last day some reps have not handed theirs in yet.

    Separate from `generate()` because drafting goes through the reports service (the very text a rep
    gets), which needs the app's translations: the CLI calls it inside the app context. Benchmark data
    sets of hundreds of reps skip it (drafting is per rep and day). Returns the number of reports.
    """
    from .services import reports  # Flask-Babel lives there; generate() itself stays app-free

    today = today or datetime.now(TOKYO).date()
    rng = random.Random(seed)
    all_reps = list(
        session.exec(select(User).where(User.role == Role.REP, User.active).order_by(User.id))
    )
    if not all_reps or len(all_reps) > DEMO_REPORT_REPS:
        return 0
    days = [_weekday_on_or_before(today - timedelta(days=1))]
    for _ in range(DEMO_REPORT_DAYS - 1):
        days.append(_weekday_on_or_before(days[-1] - timedelta(days=1)))
    written = 0
    for day in sorted(days):
        for rep in all_reps:
            if day == days[0] and rng.random() < 0.25:
                continue  # not handed in yet: listed under "no report yet" for the managers
            evening = datetime.combine(day, time(18, 30), tzinfo=TOKYO).astimezone(UTC)
            draft = reports.editing(session, actor=rep, day=day, lang="ja").body
            reports.save(session, actor=rep, day=day, body=draft, version=0, now=evening,
                         submit=True, lang="ja")  # fmt: skip
            written += 1
    session.flush()
    return written


# --- helpers -------------------------------------------------------------------------------------


def _bulk(session: Session, model: type, rows: Sequence[dict[str, Any]]) -> None:
    """Core INSERT in chunks: far faster than ORM objects for tens of thousands of rows."""
    if not rows:
        return
    table = model.__table__
    keys = _all_keys(rows)
    for chunk in _chunks(rows):
        session.connection().execute(
            insert(table), [{k: row.get(k) for k in keys} for row in chunk]
        )


def _fast_insert(session: Session, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Millions of plain rows (order history): COPY on PostgreSQL, executemany on SQLite's own cursor."""
    connection = session.connection()
    raw = connection.connection.driver_connection
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    # SQLite keeps dates as ISO text, exactly as SQLAlchemy's Date type writes them; there are only a few
    # hundred distinct dates, so each is formatted once.
    iso: dict[date, str] = {}
    converted = [
        tuple(iso.setdefault(v, v.isoformat()) if type(v) is date else v for v in row)
        for row in rows
    ]
    cursor = raw.cursor()
    try:
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})", converted
        )
    finally:
        cursor.close()


def _all_keys(rows: Iterable[dict[str, Any]]) -> list[str]:
    keys: dict[str, None] = {}
    for row in rows:
        for key in row:
            keys.setdefault(key, None)
    return list(keys)


def _chunks(rows: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def _weekday_on_or_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _next_weekday(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day
