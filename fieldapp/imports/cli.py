"""`fieldapp import|export|geocode`: the manager page's CSV tools from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlmodel import Session, select

from .. import migrate
from ..db import get_engine, session_scope
from ..models import Team
from ..services import exporter, geocoding, importer


def _team(session: Session, name: str | None) -> Team:
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
        team = _team(session, team_name)
        try:
            report = importer.import_csv(
                session,
                kind=kind,
                data=path.read_bytes(),
                team_id=team.id,
                actor=None,
                dry_run=dry_run,
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
        if kind == "customers":
            geocoding.geocode_pending(session, team_id=team.id, config=current_app.config)
        session.commit()
        click.echo(f"{summary}. Imported.")


@click.command("export")
@click.argument("kind", type=click.Choice(["customers", "visits"]))
@click.option("--team", "team_name")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File (default: stdout).",
)
@with_appcontext
def export_command(kind: str, team_name: str | None, output: Path | None) -> None:
    """Write the team's customers or visit history as CSV (UTF-8 with BOM)."""
    with session_scope() as session:
        team = _team(session, team_name)
        lines = (exporter.customers_csv if kind == "customers" else exporter.visits_csv)(
            session, team_id=team.id
        )
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
        team = _team(session, team_name)
        summary = geocoding.geocode_pending(
            session, team_id=team.id, config=current_app.config, limit=limit
        )
    click.echo(f"{summary.located} located, {summary.failed} still need a location.")


COMMANDS = (import_command, export_command, geocode_command)
