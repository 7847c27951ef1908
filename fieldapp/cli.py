"""`fieldapp` / `flask --app wsgi` commands: thin wrappers over services."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlmodel import Session, func, select

from . import migrate
from .db import get_engine, session_scope
from .models import Role, Team, User
from .services import exporter, geocoding, importer


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    migrate.upgrade(get_engine(), revision)
    click.echo(f"Database at {migrate.current_revision(get_engine())}.")


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models (developers)."""
    migrate.revision(get_engine(), message)


@db_group.command("check")
@with_appcontext
def db_check() -> None:
    """Exit non-zero if the models and the migrations disagree."""
    diff = migrate.differences(get_engine())
    for item in diff:
        click.echo(repr(item))
    sys.exit(1 if diff else 0)


@click.group("users")
def users_group() -> None:
    """Accounts."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), default="rep", show_default=True
)
@click.option("--team", "team_name", required=True, help="Team name; created if it does not exist.")
@click.option("--timezone", default="Asia/Tokyo", show_default=True, help="Timezone of a new team.")
@click.option("--language", type=click.Choice(["ja", "en"]), default=None)
@click.password_option()
@with_appcontext
def users_create(
    email: str,
    name: str,
    role: str,
    team_name: str,
    timezone: str,
    language: str | None,
    password: str,
) -> None:
    """Create a user (and the team if needed)."""
    from .errors import DomainError
    from .services import teams, users

    migrate.upgrade(get_engine())
    try:
        with session_scope() as session:
            team = session.exec(select(Team).where(Team.name == team_name)).first()
            if team is None:
                team = teams.create_team(session, name=team_name, timezone=timezone)
            user = users.create_user(
                session,
                team_id=team.id,
                email=email,
                name=name,
                password=password,
                role=role,
                language=language,
            )
            click.echo(f"Created {user.role} {user.email} in team {team.name}.")
    except DomainError as error:
        raise click.ClickException(error.message) from error


@users_group.command("set-password")
@click.argument("email")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (scripts) instead of prompting.",
)
@with_appcontext
def users_set_password(email: str, password_stdin: bool) -> None:
    """Set EMAIL's password; every session of that user ends."""
    from .errors import DomainError
    from .services import users

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        with session_scope() as session:
            user = users.set_password(session, email=email, password=password)
            click.echo(f"Password set for {user.email}; their sessions have ended.")
    except DomainError as error:
        raise click.ClickException(error.message) from error


@click.command("seed")
@click.option("--customers", default=420, show_default=True)
@click.option("--reps", default=8, show_default=True)
@click.option("--managers", default=2, show_default=True)
@click.option("--teams", "team_count", default=2, show_default=True)
@click.option("--seed", "seed_value", default=42, show_default=True)
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Reference date (default today).",
)
@with_appcontext
def seed_command(
    customers: int, reps: int, managers: int, team_count: int, seed_value: int, today: object
) -> None:
    """Fill an empty database with generated demo data."""
    from . import demo

    migrate.upgrade(get_engine())
    with session_scope() as session:
        if session.exec(select(func.count()).select_from(User)).one():
            raise click.ClickException(
                "The database already has users; seed only an empty database."
            )
        summary = demo.generate(
            session,
            customers=customers,
            reps=reps,
            managers=managers,
            teams=team_count,
            seed=seed_value,
            today=today.date() if today else None,
        )
        demo.submit_daily_reports(session, today=today.date() if today else None, seed=seed_value)
    _print_logins(summary)


def _print_logins(summary: object) -> None:
    from . import demo

    click.echo(summary.describe())
    click.echo(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
    for login in summary.logins:
        click.echo(f"  {login.role:8} {login.email:32} {login.team}")


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option(
    "--no-serve", is_flag=True, help="Prepare the database and print logins without serving."
)
@with_appcontext
def demo_command(host: str, port: int, no_serve: bool) -> None:
    """Create the database, load the demo data if empty, print the logins, and serve the app."""
    from . import demo

    app = current_app._get_current_object()
    migrate.upgrade(get_engine())
    with session_scope() as session:
        if session.exec(select(func.count()).select_from(User)).one() == 0:
            click.echo("Loading the demo data set (first run)…")
            summary = demo.generate(session)
            demo.submit_daily_reports(session)
        else:
            summary = demo.describe_existing(session)
    _print_logins(summary)
    _warm_up_planner()
    if not no_serve:
        _serve(app, host, port)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Serve the app with the embedded server (migrations applied first)."""
    migrate.upgrade(get_engine())
    _warm_up_planner()
    _serve(current_app._get_current_object(), host, port)


def _warm_up_planner() -> None:
    """Load the planner's compiled search now rather than in the first request or plan."""
    from .services.day import planning

    click.echo("Loading the day planner (the first time on a machine it compiles: about 30 s)…")
    planning.warm_up()


def _serve(app: Flask, host: str, port: int) -> None:
    from werkzeug.serving import run_simple

    click.echo(f"Serving Field Companion on http://{host}:{port}  (Ctrl+C to stop)")
    # Not app.run(): Flask ignores it inside a `flask`/FlaskGroup command.
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


@click.group("i18n")
def i18n_group() -> None:
    """Translations (developers)."""


@i18n_group.command("update")
def i18n_update() -> None:
    """Extract messages and merge them into the catalogs."""
    from . import translations_tool

    translations_tool.update_catalogs()


@i18n_group.command("compile")
def i18n_compile() -> None:
    """Compile .po catalogs to .mo."""
    from . import translations_tool

    translations_tool.compile_catalogs()


@click.group("plans")
def plans_group() -> None:
    """Day plans."""


@plans_group.command("generate")
@click.option(
    "--date", "day", default=None, help="YYYY-MM-DD (default: tomorrow in each team's timezone)."
)
@click.option(
    "--team", "team_names", multiple=True, help="Only the reps of this team (repeatable)."
)
@click.option("--rep", "reps", multiple=True, help="Only this rep, by email or id (repeatable).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes planning at once on this machine (default: the number of CPU cores).",
)
@click.option(
    "--time-limit", type=click.FloatRange(min=0.05), default=None, help="Seconds per rep."
)
@click.option(
    "--queue/--in-process",
    "use_queue",
    default=None,
    help="One RQ job per rep on FIELDAPP_REDIS_URL, or plan here (default: FIELDAPP_PLANS_QUEUE).",
)
@click.option(
    "--queue-name", default="fieldapp-plans", show_default=True, help="RQ queue of the jobs."
)
@with_appcontext
def plans_generate(
    day: str | None,
    team_names: tuple[str, ...],
    reps: tuple[str, ...],
    workers: int | None,
    time_limit: float | None,
    use_queue: bool | None,
    queue_name: str,
) -> None:
    """Plan the day of every active rep (safe to re-run: only draft plans are replaced)."""
    from datetime import date

    from . import jobs
    from .services import clock, plan_runs

    app = current_app._get_current_object()
    try:
        the_day = date.fromisoformat(day) if day else None
    except ValueError as exc:
        raise click.ClickException("--date must be YYYY-MM-DD.") from exc
    with session_scope() as session:
        for name in team_names:
            if session.exec(select(Team).where(Team.name == name)).first() is None:
                raise click.ClickException(f"No team named {name!r}.")
        targets = jobs.reps_to_plan(session, reps=reps, team_names=team_names, day=the_day)
        if not targets:
            raise click.ClickException("No matching rep.")
        # Each rep's own working weekdays decide (the team's default, Monday to Friday, until set).
        working = {
            t.rep_id
            for t in targets
            if plan_runs.is_working_day(session, rep_id=t.rep_id, day=t.day)
        }
    resting = [t for t in targets if t.rep_id not in working]
    targets = [t for t in targets if t.rep_id in working]
    if resting:
        click.echo(
            f"Skipped {len(resting)} reps: {resting[0].day:%A} is not their working day, or they are away."
        )
    if not targets:
        return
    queue = None
    if use_queue is None:
        use_queue = bool(app.config.get("PLANS_QUEUE"))
    if use_queue:
        try:
            queue = jobs.plan_queue(app.config.get("REDIS_URL"), queue_name)
        except jobs.QueueUnavailable as error:
            raise click.ClickException(
                f"{error} Nothing was planned. Run with --in-process to plan on this machine."
            ) from error
    workers = workers or os.cpu_count() or 1
    if queue is None and workers > 1:
        click.echo(f"Planning {len(targets)} reps with {workers} processes…")
    progress = _Progress(len(targets))
    from redis.exceptions import RedisError

    try:
        result, wall = jobs.run(
            app,
            jobs.RunSpec(targets, clock.now_utc(), time_limit),
            started_by=_operator(),
            workers=workers,
            queue=queue,
            on_done=progress.advance,
            on_queued=lambda count, listening: click.echo(
                f"Queued {count} jobs on {queue.name!r} ({listening} workers listening;"
                " start more with `fieldapp worker`)."
            ),
        )
    except RedisError as error:
        raise click.ClickException(
            f"Redis stopped answering ({error}). Nothing was planned by this run; "
            "run again, or with --in-process to plan on this machine."
        ) from error
    finally:
        progress.close()
    for line in plan_runs.summary_lines(result, wall_seconds=wall):
        click.echo(line)
    if result.failed:
        sys.exit(1)


def _operator() -> str:
    """Who started a run: the operating-system user (cron's user for the nightly run)."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


class _Progress:
    """A progress bar with ETA on a terminal; one plain line per rep otherwise (logs, cron mail)."""

    def __init__(self, total: int) -> None:
        import time

        self.total, self.done, self.started = total, 0, time.perf_counter()
        self.bar = None
        if sys.stdout.isatty():
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                "ETA",
                TimeRemainingColumn(),
            )
            self.task = self.bar.add_task("Planning", total=total)
            self.bar.start()

    def advance(self, outcome) -> None:
        import time

        self.done += 1
        line = _outcome_line(outcome)
        if self.bar is not None:
            if outcome.state == "failed":
                self.bar.console.print(line)
            self.bar.update(self.task, advance=1)
            return
        now = time.perf_counter()
        if self.done == 1:
            # Counted from the first rep done, so worker start-up does not inflate the estimate.
            self.first_done = now
            eta = (now - self.started) * (self.total - 1)
        else:
            eta = (now - self.first_done) / (self.done - 1) * (self.total - self.done)
        click.echo(f"[{self.done}/{self.total} ETA {eta:.0f} s] {line}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _outcome_line(outcome) -> str:
    """One rep's result as the plain progress prints it."""
    head = f"{outcome.email} {outcome.day.isoformat()}:"
    if outcome.state == "planned":
        return (
            f"{head} {outcome.stops} visits, value {outcome.value:g}, {outcome.dropped} left out"
            f" ({outcome.seconds:.1f} s)"
        )
    if outcome.state == "kept":
        return f"{head} kept ({outcome.reason})"
    return f"{head} not planned: {outcome.reason}"


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option("--queue-name", default="fieldapp-plans", show_default=True)
@with_appcontext
def worker_command(burst: bool, queue_name: str) -> None:
    """Run an RQ worker for plan jobs (the planner is loaded once, before the first job)."""
    from rq import Worker

    from . import jobs

    app = current_app._get_current_object()
    try:
        queue = jobs.plan_queue(app.config.get("REDIS_URL"), queue_name)
    except jobs.QueueUnavailable as error:
        raise click.ClickException(str(error)) from error
    _warm_up_planner()
    jobs.use_app(app)
    Worker([queue], connection=queue.connection).work(burst=burst)


# --- import, export, geocode: the manager page's CSV tools from the command line ---------------------


def _named_team(session: Session, name: str | None) -> Team:
    """The team named by --team, or the only team."""
    teams = list(session.exec(select(Team).order_by(Team.id)))
    if name:
        for team in teams:
            if team.name == name:
                return team
        raise click.ClickException(f"No team named {name!r}.")
    if len(teams) != 1:
        raise click.ClickException("Name the team with --team (there is more than one, or none).")
    return teams[0]


@click.command("import")
@click.argument("kind", type=click.Choice(importer.KINDS))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--team", "team_name", help="Team name (needed when there are several teams).")
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@with_appcontext
def import_command(kind: str, path: Path, team_name: str | None, dry_run: bool) -> None:
    """Import a CSV file: all rows or none; exit 1 and list the bad rows on any error."""
    migrate.upgrade(get_engine())
    with Session(get_engine(), expire_on_commit=False) as session:
        team = _named_team(session, team_name)
        try:
            report = importer.import_and_locate(
                session,
                kind=kind,
                data=path.read_bytes(),
                team_id=team.id,
                actor=None,
                dry_run=dry_run,
                config=current_app.config,
                geocode_limit=500,
            )
        except importer.ImportFileError as error:
            session.rollback()
            click.echo(f"{path}: {error.message}", err=True)
            sys.exit(1)
        for row_error in report.errors:
            click.echo(f"{path}:{row_error.row}: {row_error.message}", err=True)
        summary = (
            f"{report.rows} rows ({report.encoding}): {report.created} new, {report.updated} updated, "
            f"{report.unchanged} unchanged"
        )
        if not report.ok:
            session.rollback()
            click.echo(
                f"{summary}. {len(report.errors)} rows with errors: nothing was imported.", err=True
            )
            sys.exit(1)
        if dry_run:
            session.rollback()
            click.echo(f"{summary}. Dry run: nothing was written.")
            return
        session.commit()
        click.echo(f"{summary}. Imported.")


@click.command("export")
@click.argument("kind", type=click.Choice(["products", "customers", "visits"]))
@click.option("--team", "team_name")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File (default: stdout).",
)
@with_appcontext
def export_command(kind: str, team_name: str | None, output: Path | None) -> None:
    """Write the product catalogue, or the team's customers or visit history, as CSV (UTF-8 with BOM)."""
    with session_scope() as session:
        if kind == "products":
            lines = exporter.products_csv(session)
        else:
            team = _named_team(session, team_name)
            export = exporter.customers_csv if kind == "customers" else exporter.visits_csv
            lines = export(session, team_id=team.id)
        text = "".join(lines)
    if output:
        output.write_text(text, encoding="utf-8", newline="")
    else:
        click.echo(text, nl=False)


@click.command("geocode")
@click.option("--team", "team_name")
@click.option("--limit", default=500, show_default=True)
@with_appcontext
def geocode_command(team_name: str | None, limit: int) -> None:
    """Geocode the team's customers that still need a location (FIELDAPP_NOMINATIM_DOMAIN)."""
    if not current_app.config.get("NOMINATIM_DOMAIN"):
        raise click.ClickException("Set FIELDAPP_NOMINATIM_DOMAIN to a Nominatim server first.")
    with session_scope() as session:
        team = _named_team(session, team_name)
        summary = geocoding.geocode_pending(
            session, team_id=team.id, config=current_app.config, limit=limit
        )
    click.echo(f"{summary.located} located, {summary.failed} still need a location.")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Copy the whole database to PATH (SQLite online backup, or pg_dump for PostgreSQL)."""
    from .services import backup

    try:
        written = backup.backup(get_engine(), path)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backed up to {written} ({written.stat().st_size:,} bytes).")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@with_appcontext
def restore_command(path: Path, force: bool) -> None:
    """Replace the database with the backup in PATH (refuses a non-empty database without --force)."""
    from .services import backup

    try:
        result = backup.restore(get_engine(), path, force=force)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored from {path}: {result.rows:,} rows.")


@click.group("insights")
def insights_group() -> None:
    """The prompt engine: measure it against simple baselines."""


@insights_group.command("backtest")
@click.option("--holdout-days", default=90, show_default=True, type=click.IntRange(7, 3650))
@click.option("--team", "team_name", help="Only this team's customers (default: all).")
@click.option(
    "--k", default=3, show_default=True, type=click.IntRange(1, 20), help="Prompts per kind."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on the last line.")
@with_appcontext
def insights_backtest(holdout_days: int, team_name: str | None, k: int, as_json: bool) -> None:
    """Rolling-origin backtest of reorder, cross-sell and upsell prompts (every 7th day of the holdout)."""
    import json

    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from .insights.backtest import run_backtest
    from .services import prompts

    console = Console(stderr=as_json)
    with session_scope() as session:
        team_id = None
        if team_name:
            team = session.exec(select(Team).where(Team.name == team_name)).first()
            if team is None:
                raise click.ClickException(f"No team named {team_name!r}.")
            team_id = team.id
        orders, segments = prompts.order_history(session, team_id=team_id)
        catalog = prompts.load_catalog(session)
    if not orders:
        raise click.ClickException("There are no orders to backtest.")
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("Backtest", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = run_backtest(
            orders, segments, catalog, holdout_days=holdout_days, k=k, progress=advance
        )
    data = result.as_json()
    table = Table(
        title=f"{data['cutoffs']} cutoffs, {data['customers']} customers, k={k}, holdout {holdout_days} days"
    )
    for column in ("kind", "who", "prompts", "precision", "recall", "vs best baseline"):
        table.add_column(column, justify="left" if column in ("kind", "who") else "right")
    for kind, scores in data["kinds"].items():
        best = max(b["precision"] for b in scores["baselines"].values())
        rows = [("engine", scores["engine"]), *scores["baselines"].items()]
        for who, s in rows:
            ratio = f"{s['precision'] / best:.2f}×" if who == "engine" and best else ""
            table.add_row(kind, who, f"{s['prompts']:,}", f"{s['precision']:.3f}",
                          f"{s['recall']:.3f}", ratio)  # fmt: skip
        table.add_section()
    console.print(table)
    if as_json:
        click.echo(json.dumps(data))


def register(app: Flask) -> None:
    for command in (
        db_group,
        users_group,
        seed_command,
        demo_command,
        serve_command,
        i18n_group,
        plans_group,
        worker_command,
        import_command,
        export_command,
        geocode_command,
        backup_command,
        restore_command,
        insights_group,
    ):
        app.cli.add_command(command)


def _create_cli_app() -> Flask:
    from . import create_app

    return create_app()


def main() -> None:
    """Console script: the local trial runs in development mode unless FIELDAPP_ENV says otherwise."""
    os.environ.setdefault("FIELDAPP_ENV", "development")
    cli = FlaskGroup(
        create_app=_create_cli_app, add_default_commands=True, help="Field Companion commands."
    )
    cli.main(prog_name="fieldapp")
