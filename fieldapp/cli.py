"""`fieldapp` / `flask --app wsgi` commands: thin wrappers over services."""

from __future__ import annotations

import os
import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlmodel import func, select

from . import migrate
from .db import get_engine, session_scope
from .models import Role, Team, User


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
@click.option("--rep", "rep", default=None, help="A rep's email or id (default: every active rep).")
@click.option("--team", "team_name", default=None, help="Only the reps of this team.")
@click.option(
    "--date",
    "day",
    default=None,
    help="YYYY-MM-DD (default: tomorrow in each team's timezone, for the default team).",
)
@with_appcontext
def plans_generate(rep: str | None, team_name: str | None, day: str | None) -> None:
    """Plan the day of one rep or of every rep (prints one line per rep)."""
    from datetime import date, timedelta

    from . import jobs
    from .services import clock

    app = current_app._get_current_object()
    team_id = None
    if team_name is not None:
        with session_scope() as session:
            team = session.exec(select(Team).where(Team.name == team_name)).first()
            if team is None:
                raise click.ClickException(f"No team named {team_name!r}.")
            team_id = team.id
    try:
        the_day = (
            date.fromisoformat(day)
            if day
            else clock.local_today(app.config["DEFAULT_TIMEZONE"]) + timedelta(days=1)
        )
    except ValueError as exc:
        raise click.ClickException("--date must be YYYY-MM-DD.") from exc
    rep_ids = jobs.reps_to_plan(app, rep=rep, team_id=team_id)
    if not rep_ids:
        raise click.ClickException("No matching rep.")
    _warm_up_planner()
    failed = 0
    for outcome in jobs.generate_plans(app, rep_ids=rep_ids, day=the_day):
        if outcome.error:
            failed += 1
            click.echo(f"{outcome.email}: not planned: {outcome.error}", err=True)
        else:
            click.echo(
                f"{outcome.email} {the_day}: {outcome.stops} visits, value {outcome.value:g}, "
                f"{outcome.dropped} left out"
            )
    if failed:
        sys.exit(1)


def register(app: Flask) -> None:
    from .imports.cli import COMMANDS as import_commands

    for command in (
        db_group,
        users_group,
        seed_command,
        demo_command,
        serve_command,
        i18n_group,
        plans_group,
    ):
        app.cli.add_command(command)
    for command in import_commands:
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
