"""Daily report (日報): drafted from the rep's day, edited and submitted by the rep, read by their managers.

Two parts, kept apart on purpose:
- the *figures* (visits done, stops skipped, orders, follow-ups, plan versus actual, travel) are recomputed
  from the day's own records and stored as JSON in `DailyReport.summary`;
- the *body* is the rep's text. It starts as a readable draft of the same figures in the rep's language.

Re-drafting (every time the draft is opened, saved or submitted) refreshes the figures. The body is replaced
by the new draft only while it is still exactly the text we drafted last time (the rep has not touched it):
once the rep has written in it, their words are kept and the fresh draft is only offered next to it to copy
from. Merging a new draft into edited text line by line would guess at the rep's intent and could silently
drop or duplicate what they wrote; keeping it intact is the only choice that never loses a rep's words.

A submitted report is frozen for the rep (figures and text as the manager reads them). The rep's report is
theirs alone to write; managers of the same team read every report of the team, other reps read none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ..errors import Forbidden, NotFound, StaleEdit, ValidationError
from ..i18n import choice_label
from ..models import (
    Customer,
    DailyReport,
    DayPlanStop,
    FollowUp,
    OrderLine,
    Product,
    ReportStatus,
    Team,
    User,
    Visit,
    VisitStatus,
)
from . import audit, clock
from .day import plans
from .day.candidates import local_day_bounds
from .teams import zone

BODY_MAX = 20_000
LIST_LIMIT = 200
SUMMARY_SCHEMA = 1
STATUSES = (ReportStatus.DRAFT, ReportStatus.SUBMITTED, ReportStatus.REVIEWED)


# --- reading the day --------------------------------------------------------------------------------


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def parse_instant(value: str | None) -> datetime | None:
    """An ISO timestamp stored in the summary back as an aware datetime (None for garbage)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo is not None else None


def _minutes_between(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 60)


# When a visit happened, by status: a done visit by its check-in (else check-out), a skipped one by the
# time it was scheduled for (else when it was skipped).
_VISIT_TIME = {
    VisitStatus.DONE: func.coalesce(Visit.check_in_at, Visit.check_out_at, Visit.created_at),
    VisitStatus.SKIPPED: func.coalesce(Visit.scheduled_start, Visit.updated_at),
}


def _visits_of_day(
    session: Session, *, rep: User, day: date, timezone: str, linked_ids: set[int], status: str
) -> list[Visit]:
    """The rep's visits with `status` that local day, plus those linked to a stop of the day's plan."""
    start, end = local_day_bounds(day, timezone)
    when = _VISIT_TIME[status]
    on_day = (when >= start) & (when < end)
    condition = or_(on_day, Visit.id.in_(linked_ids)) if linked_ids else on_day
    stmt = (
        select(Visit)
        .where(Visit.rep_id == rep.id, Visit.status == status, condition)
        .order_by(when, Visit.id)
    )
    return list(session.exec(stmt))


def _orders_by_visit(session: Session, visit_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    if not visit_ids:
        return {}
    stmt = (
        select(OrderLine, Product)
        .join(Product, Product.id == OrderLine.product_id)
        .where(OrderLine.visit_id.in_(visit_ids))
        .order_by(OrderLine.id)
    )
    lines: dict[int, list[dict[str, Any]]] = {}
    for line, product in session.exec(stmt).all():
        lines.setdefault(line.visit_id, []).append(
            {
                "product": product.name,
                "product_en": product.name_en or product.name,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "amount": line.quantity * line.unit_price,
            }
        )
    return lines


def _followups(session: Session, *, rep: User, day: date, timezone: str) -> list[FollowUp]:
    """The follow-ups the rep created on that day (not those others opened on the rep's visits, nor
    older ones that happen to hang on a visit of the day)."""
    start, end = local_day_bounds(day, timezone)
    created_today = (
        (FollowUp.created_by_id == rep.id)
        & (FollowUp.created_at >= start)
        & (FollowUp.created_at < end)
    )
    return list(session.exec(select(FollowUp).where(created_today).order_by(FollowUp.id)))


def collect_day(session: Session, *, rep: User, day: date) -> dict[str, Any]:
    """The figures of the rep's day as plain JSON-safe data (times as ISO UTC strings)."""
    team = session.get(Team, rep.team_id)
    timezone = team.timezone
    plan = plans.get_plan(session, rep_id=rep.id, day=day)
    stops: list[DayPlanStop] = plans.plan_stops(session, plan) if plan is not None else []
    linked_ids = {s.visit_id for s in stops if s.visit_id is not None}
    day_of = {"rep": rep, "day": day, "timezone": timezone, "linked_ids": linked_ids}
    done = _visits_of_day(session, **day_of, status=VisitStatus.DONE)
    skipped = _visits_of_day(session, **day_of, status=VisitStatus.SKIPPED)
    done_ids = [v.id for v in done]
    followups = _followups(session, rep=rep, day=day, timezone=timezone)
    customer_ids = (
        {v.customer_id for v in done}
        | {v.customer_id for v in skipped}
        | {s.customer_id for s in stops}
        | {f.customer_id for f in followups}
    )
    customers = (
        {c.id: c for c in session.exec(select(Customer).where(Customer.id.in_(customer_ids)))}
        if customer_ids
        else {}
    )

    def name(customer_id: int) -> str:
        customer = customers.get(customer_id)
        return customer.name if customer else "?"

    stop_of_visit = {s.visit_id: s for s in stops if s.visit_id is not None}
    orders = _orders_by_visit(session, done_ids)
    visits_out = []
    for visit in done:
        stop = stop_of_visit.get(visit.id)
        lines = orders.get(visit.id, [])
        visits_out.append(
            {
                "visit_id": visit.id,
                "customer_id": visit.customer_id,
                "customer": name(visit.customer_id),
                "check_in": _iso(visit.check_in_at),
                "check_out": _iso(visit.check_out_at),
                "minutes": _minutes_between(visit.check_in_at, visit.check_out_at),
                "planned_start": _iso(stop.start if stop else visit.scheduled_start),
                "on_plan": stop is not None,
                "outcome": visit.outcome,
                "heard": visit.heard,
                "needs": visit.needs,
                "changes": visit.changes,
                "proposals": visit.proposals,
                "reception": visit.proposal_reception,
                "next_action": visit.next_action,
                "next_action_due": _iso(visit.next_action_due),
                "orders": lines,
                "order_total": sum(line["amount"] for line in lines),
            }
        )
    stop_of_skip = {s.visit_id: s for s in stops if s.state == VisitStatus.SKIPPED}
    skipped_out = [
        {
            "customer_id": visit.customer_id,
            "customer": name(visit.customer_id),
            "reason": visit.skip_reason,
            "planned_start": _iso(
                stop_of_skip[visit.id].start if visit.id in stop_of_skip else visit.scheduled_start
            ),
        }
        for visit in skipped
    ]
    users = {u.id: u for u in session.exec(select(User).where(User.team_id == rep.team_id))}
    followups_out = [
        {
            "id": f.id,
            "customer_id": f.customer_id,
            "customer": name(f.customer_id),
            "kind": f.kind,
            "title": f.title,
            "due_date": _iso(f.due_date),
            "owner": users[f.owner_id].name if f.owner_id in users else "",
            "state": f.state,
        }
        for f in followups
    ]
    all_lines = [line for v in visits_out for line in v["orders"]]
    return {
        "schema": SUMMARY_SCHEMA,
        "day": day.isoformat(),
        "timezone": timezone,
        "visits": visits_out,
        "skipped": skipped_out,
        "orders": {"lines": len(all_lines), "total": sum(line["amount"] for line in all_lines)},
        "followups": followups_out,
        "plan": _plan_vs_actual(plan, stops, done, name) if plan is not None else None,
    }


def _plan_vs_actual(plan, stops: list[DayPlanStop], done: list[Visit], name) -> dict[str, Any]:
    """Planned stops against what happened: counts, start per stop, start and end of the day, travel."""
    visits = {v.id: v for v in done}
    rows = []
    for stop in stops:
        visit = visits.get(stop.visit_id) if stop.visit_id else None
        actual = visit.check_in_at if visit is not None else None
        rows.append(
            {
                "customer": name(stop.customer_id),
                "state": stop.state,
                "planned_start": _iso(stop.start),
                "actual_start": _iso(actual),
                "late_minutes": _minutes_between(stop.start, actual),
            }
        )
    check_ins = [v.check_in_at for v in done if v.check_in_at is not None]
    check_outs = [v.check_out_at for v in done if v.check_out_at is not None]
    starts = [s.start for s in stops if s.start is not None]
    linked = {s.visit_id for s in stops}
    return {
        "planned": len(stops),
        "done": sum(1 for s in stops if s.state == VisitStatus.DONE),
        "skipped": sum(1 for s in stops if s.state == VisitStatus.SKIPPED),
        "open": sum(1 for s in stops if s.state in (VisitStatus.PLANNED, VisitStatus.IN_PROGRESS)),
        "unplanned": sum(1 for v in done if v.id not in linked),
        "planned_start": _iso(min(starts) if starts else None),
        "actual_start": _iso(min(check_ins) if check_ins else None),
        "planned_end": _iso(plan.return_at),
        "actual_end": _iso(max(check_outs) if check_outs else None),
        "travel_seconds": int(plan.travel_seconds or 0),
        # No GPS track is kept, so actual travel is what lies between one check-out and the next
        # check-in (travel, parking, waiting): the honest counterpart of the planned travel time.
        "between_visits_minutes": _between_visits(done),
        "stops": rows,
    }


def _between_visits(done: list[Visit]) -> int:
    timed = sorted(
        (v for v in done if v.check_in_at is not None and v.check_out_at is not None),
        key=lambda v: v.check_in_at,
    )
    gaps = (
        _minutes_between(a.check_out_at, b.check_in_at)
        for a, b in zip(timed, timed[1:], strict=False)
    )
    return sum(max(0, gap or 0) for gap in gaps)


# --- drafting the text ------------------------------------------------------------------------------


def _clock(value: str | None, timezone: str) -> str:
    instant = parse_instant(value)
    return instant.astimezone(zone(timezone)).strftime("%H:%M") if instant else "--:--"


def yen(amount: int) -> str:
    """An amount of yen in the UI language (¥1,200 / 1,200円)."""
    grouped = f"{amount:,}"
    return _("¥%(amount)s", amount=grouped)


def draft_text(figures: dict[str, Any], *, rep_name: str, lang: str) -> str:
    """A readable report of the figures in `lang`, for the rep to edit before submitting."""
    with force_locale(lang):
        return _draft_lines(figures, rep_name=rep_name)


def _draft_lines(figures: dict[str, Any], *, rep_name: str) -> str:
    tz = figures["timezone"]
    day = date.fromisoformat(figures["day"])
    out = [_("Daily report %(day)s, %(name)s", day=format_date(day, "medium"), name=rep_name), ""]
    visits = figures["visits"]
    out.append(_("[Visits] %(n)d", n=len(visits)))
    if not visits:
        out.append(_("No visits recorded."))
    for v in visits:
        head = f"・{_clock(v['check_in'], tz)}–{_clock(v['check_out'], tz)} {v['customer']}"
        if v["outcome"]:
            head += f" ({choice_label('outcome', v['outcome'])})"
        if v["planned_start"]:
            head += " " + _("planned %(time)s", time=_clock(v["planned_start"], tz))
        out.append(head)
        notes = (
            ("heard", _("What I heard")),
            ("needs", _("Needs and issues")),
            ("changes", _("Changes noticed")),
        )
        for key, label in notes:
            if v[key]:
                out.append(f"  {label}: {v[key]}")
        if v["proposals"]:
            proposal = v["proposals"]
            if v["reception"]:
                proposal += f" ({choice_label('reception', v['reception'])})"
            out.append(f"  {_('Proposals made')}: {proposal}")
        if v["next_action"]:
            action = v["next_action"]
            if v["next_action_due"]:
                due = format_date(date.fromisoformat(v["next_action_due"]), "short")
                action += f" ({_('due %(date)s', date=due)})"
            out.append(f"  {_('Next action')}: {action}")
        for line in v["orders"]:
            out.append(
                "  "
                + _(
                    "Order: %(product)s × %(qty)d = %(amount)s",
                    product=line["product"],
                    qty=line["quantity"],
                    amount=yen(line["amount"]),
                )
            )
    skipped = figures["skipped"]
    if skipped:
        out += ["", _("[Skipped] %(n)d", n=len(skipped))]
        for s in skipped:
            out.append(f"・{s['customer']}: {choice_label('skip_reason', s['reason'])}")
    orders = figures["orders"]
    out += [
        "",
        _("[Orders] %(n)d lines, total %(amount)s", n=orders["lines"], amount=yen(orders["total"])),
    ]
    if figures["followups"]:
        out += ["", _("[Follow-ups created] %(n)d", n=len(figures["followups"]))]
        for f in figures["followups"]:
            due = (
                f" ({_('due %(date)s', date=format_date(date.fromisoformat(f['due_date']), 'short'))})"
                if f["due_date"]
                else ""
            )
            out.append(
                f"・{choice_label('followup_kind', f['kind'])}: {f['title']} / {f['customer']}{due}"
            )
    plan = figures["plan"]
    out += ["", _("[Plan and actual]")]
    if plan is None:
        out.append(_("No plan for this day."))
    else:
        out.append(
            _(
                "Planned %(planned)d, done %(done)d, skipped %(skipped)d, not visited %(open)d",
                planned=plan["planned"],
                done=plan["done"],
                skipped=plan["skipped"],
                open=plan["open"],
            )
        )
        if plan["unplanned"]:
            out.append(_("Visits not on the plan: %(n)d", n=plan["unplanned"]))
        out.append(
            _(
                "Start: planned %(planned)s, actual %(actual)s",
                planned=_clock(plan["planned_start"], tz),
                actual=_clock(plan["actual_start"], tz),
            )
        )
        out.append(
            _(
                "End: planned return %(planned)s, last check-out %(actual)s",
                planned=_clock(plan["planned_end"], tz),
                actual=_clock(plan["actual_end"], tz),
            )
        )
        out.append(
            _(
                "Travel: planned %(planned)d min, between visits %(actual)d min",
                planned=plan["travel_seconds"] // 60,
                actual=plan["between_visits_minutes"],
            )
        )
    out += ["", _("[Comments and tomorrow]"), ""]
    return "\n".join(out)


# --- the rep's own report ---------------------------------------------------------------------------


def get_report(session: Session, *, rep_id: int, day: date) -> DailyReport | None:
    return session.exec(
        select(DailyReport).where(DailyReport.rep_id == rep_id, DailyReport.report_date == day)
    ).first()


def load_summary(report: DailyReport | None) -> dict[str, Any] | None:
    """The stored figures (None when there are none or they cannot be read)."""
    if report is None or not report.summary:
        return None
    try:
        data = json.loads(report.summary)
    except ValueError:
        return None
    return data if isinstance(data, dict) and data.get("schema") == SUMMARY_SCHEMA else None


def _normal(text: str | None) -> str:
    """Text as stored (line endings and surrounding blanks do not make it "edited")."""
    return (text or "").replace("\r\n", "\n").strip()


def _lang(user: User, fallback: str | None) -> str:
    return user.language or fallback or "ja"


@dataclass
class Editing:
    """What the edit page shows: live figures, the text for the textarea and the version it was read at."""

    report: DailyReport | None
    figures: dict[str, Any]
    body: str
    version: int
    # The text drafted from the day now, offered when the rep's own text differs from it.
    fresh_text: str | None


def editing(session: Session, *, actor: User, day: date, lang: str | None = None) -> Editing:
    """The rep's draft for the day with the figures as they are now (reads only; nothing is written)."""
    report = get_report(session, rep_id=actor.id, day=day)
    if report is not None and report.status != ReportStatus.DRAFT:
        raise ValidationError(_("This report has been submitted and can no longer be changed."))
    figures = collect_day(session, rep=actor, day=day)
    fresh = draft_text(figures, rep_name=actor.name, lang=_lang(actor, lang))
    if report is None:
        return Editing(None, figures, fresh, 0, None)
    stored = load_summary(report) or {}
    untouched = _normal(report.body) == _normal(stored.get("draft_text"))
    body = fresh if untouched else (report.body or "")
    return Editing(
        report, figures, body, report.version, None if _normal(body) == _normal(fresh) else fresh
    )


def save(
    session: Session,
    *,
    actor: User,
    day: date,
    body: str,
    version: int,
    now: datetime,
    submit: bool = False,
    lang: str | None = None,
) -> DailyReport:
    """Store the rep's text with the figures re-drafted from the day; `submit` also hands it in.

    `version` is the one the page was opened at (0 for a report not stored yet): a save over a newer version
    (another tab, another phone) is refused with StaleEdit carrying the stored report.
    """
    text = _normal(body)
    if len(text) > BODY_MAX:
        raise ValidationError(
            _("The report can be at most %(n)d characters.", n=BODY_MAX), field="body"
        )
    team = session.get(Team, actor.team_id)
    report = get_report(session, rep_id=actor.id, day=day)
    if report is not None and report.status != ReportStatus.DRAFT:
        raise ValidationError(_("This report has been submitted and can no longer be changed."))
    current = report.version if report is not None else 0
    if version != current:
        raise StaleEdit(
            _("This report was saved elsewhere after you opened it. Compare both versions below."),
            current=report,
        )
    if submit:
        if not text:
            raise ValidationError(_("Please write the report before submitting it."), field="body")
        if day > clock.local_today(team.timezone, now):
            raise ValidationError(_("A day's report can be submitted from that day on."))
    created = report is None
    if created:
        report = DailyReport(rep_id=actor.id, report_date=day, version=0, created_at=now)
    figures = collect_day(session, rep=actor, day=day)
    figures["draft_text"] = draft_text(figures, rep_name=actor.name, lang=_lang(actor, lang))
    report.body = text
    report.summary = json.dumps(figures, ensure_ascii=False)
    report.version += 1
    if submit:
        report.status = ReportStatus.SUBMITTED
        report.submitted_at = now
    session.add(report)
    try:
        session.flush()
    except IntegrityError:
        # Two first saves of the same day at once (two tabs): the unique (rep, date) lets one win.
        session.rollback()
        raise StaleEdit(
            _("This report was saved elsewhere after you opened it. Compare both versions below."),
            current=get_report(session, rep_id=actor.id, day=day),
        ) from None
    if created or submit:
        audit.record(
            session,
            actor=actor,
            team_id=actor.team_id,
            entity="daily_report",
            entity_id=report.id,
            action="submit" if submit else "create",
            after={
                "date": day.isoformat(),
                "status": report.status,
                "visits": len(figures["visits"]),
                "skipped": len(figures["skipped"]),
                "order_total": figures["orders"]["total"],
                "body_chars": len(text),
            },
        )
    return report


# --- reading reports (the rep's own, and managers of the team) --------------------------------------


def readable_report(session: Session, *, actor: User, report_id: int) -> tuple[DailyReport, User]:
    """A report the actor may read, with its rep: their own, or any of the team for a manager."""
    report = session.get(DailyReport, report_id)
    rep = session.get(User, report.rep_id) if report is not None else None
    if report is None or rep is None or rep.team_id != actor.team_id:
        raise NotFound(_("Report not found."))
    if rep.id != actor.id and not actor.is_manager:
        raise Forbidden(
            _("Only the rep who wrote this report and the team's managers can read it.")
        )
    return report, rep
