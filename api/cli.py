"""Command line: `ttm serve | migrate | create-admin | seed-demo | ledger-verify | import-statement | reconcile |
prune-login-attempts | openapi`."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import json
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from sqlalchemy import func, select

from services.reconciliation import profiles  # the app imports it too; its names are in a command's help
from services.settings import get_settings

if TYPE_CHECKING:
    from models.ledger import BankAccount

# Each command imports the services it uses, so what is imported here costs every command's start-up
# time (`ttm serve`'s workers do not import this module: api/serving.py).

app = typer.Typer(help="Technology-transfer marketplace service", no_args_is_help=True, add_completion=False)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind"),
    port: int = typer.Option(8000, help="Port"),
    workers: int = typer.Option(1, help="Worker processes (use several in production)"),
    reload: bool = typer.Option(False, help="Reload on code changes (development)"),
    worker_start_timeout: int = typer.Option(
        60,
        help="Seconds a worker may take to answer the supervisor's health check (several workers) "
        "before it is restarted; uvicorn's 5 s restarts workers forever on a busy machine",
    ),
) -> None:
    """Serve the API with uvicorn (docs at /docs). Run `migrate` first; serving never migrates."""
    from api import serving

    if workers > 1 and not reload:  # does not return: this process becomes the workers' supervisor
        serving.supervise(host=host, port=port, workers=workers, worker_start_timeout=worker_start_timeout)
    serving.run(host=host, port=port, workers=workers, reload=reload, worker_start_timeout=worker_start_timeout)


@app.command()
def migrate(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Apply database migrations (alembic upgrade). Run once per deploy, not per replica."""
    from services import migrations

    settings = get_settings()
    migrations.upgrade(settings, revision)
    typer.echo(f"database at {revision}")


@app.command("create-admin")
def create_admin(
    email: str = typer.Option(..., help="E-mail of the platform administrator"),
    full_name: str = typer.Option("平台管理员", help="Name"),
    password: str = typer.Option(None, help="Password (prompted when omitted)"),
) -> None:
    """Create a platform administrator, or make an existing user one."""
    from services import organisations
    from services.db import Database

    settings = get_settings()
    if password is None:
        password = getpass.getpass("Password: ")
    if not settings.password_min_length <= len(password) <= settings.password_max_length:
        raise typer.BadParameter(
            f"password must be {settings.password_min_length}-{settings.password_max_length} characters"
        )

    async def run() -> bool:
        db = Database(settings)
        try:
            async with db.session_scope() as session:
                return await organisations.ensure_platform_admin(session, settings, email, full_name, password)
        finally:
            await db.dispose()

    created = asyncio.run(run())
    typer.echo(("created" if created else "updated") + f" platform administrator {email.lower()}")


@app.command("seed-demo")
def seed_demo() -> None:
    """Load demo organisations and users (idempotent: running it again changes nothing)."""
    from services import demo
    from services.db import Database

    settings = get_settings()

    async def run() -> demo.SeedReport:
        db = Database(settings)
        try:
            async with db.session_scope() as session:
                return await demo.seed(session, settings)
        finally:
            await db.dispose()

    report = asyncio.run(run())
    typer.echo(report.summary())


@app.command("ledger-verify")
def ledger_verify() -> None:
    """Audit every centre's ledger from its rows: each entry balances, each ledger sums to zero per
    currency, each posting matches its account, each owed booking and milestone has one settlement of
    its amount, and receivables equal open settlements. Exits 1 and lists the ids when one fails."""
    from services.db import Database
    from services.ledger import verify

    settings = get_settings()

    async def run() -> list[verify.Finding]:
        db = Database(settings)
        try:
            async with db.read_session() as session:
                return await verify.run(session.orm)
        finally:
            await db.dispose()

    findings = asyncio.run(run())
    for f in findings:
        typer.echo(f"{f.check}: {f.detail} [{', '.join(f.ids)}]", err=True)
    if findings:
        raise typer.Exit(code=1)
    typer.echo("ledger verified: every promise holds")


def _count_rows(path: Path) -> int:
    """How many rows the file holds (for the progress bar): lines of text, or the sheet's rows."""
    with path.open("rb") as f:
        if f.read(4) == profiles.EXCEL_MAGIC:
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True)
            try:
                return int(book.worksheets[0].max_row or 0)
            finally:
                book.close()
        f.seek(0)
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))


async def _bank_account(session, account: str, centre: str | None) -> BankAccount:
    from models.ledger import BankAccount

    stmt = select(BankAccount)
    try:
        stmt = stmt.where(BankAccount.id == uuid.UUID(account))
    except ValueError:
        stmt = stmt.where(BankAccount.account_number == account)
    if centre:
        stmt = stmt.where(BankAccount.centre_id == uuid.UUID(centre))
    found = (await session.scalars(stmt)).all()
    if len(found) != 1:
        raise typer.BadParameter(
            "no such bank account" if not found else "several centres have this account number; add --centre",
            param_hint="--account",
        )
    return found[0]


@app.command("import-statement")
def import_statement(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="The statement file"),
    profile: str = typer.Option(..., help=f"How to read it: {', '.join(profiles.ALL_PROFILES)}"),
    account: str = typer.Option(..., help="The centre's bank account: its id or its account number"),
    centre: str = typer.Option(None, help="The centre's id, when an account number is not unique"),
    user: str = typer.Option(None, help="E-mail of the finance member recorded as importing it"),
) -> None:
    """Import a bank or Stripe statement into a centre's bank account (as POST /reconciliation/imports):
    each line once, then the automatic matching rules; prints what was added, skipped and matched."""
    from models.organisations import User
    from services import reconciliation
    from services.db import Database

    settings = get_settings()
    if profile not in profiles.ALL_PROFILES:
        raise typer.BadParameter(f"one of {', '.join(profiles.ALL_PROFILES)}", param_hint="--profile")
    rows = _count_rows(file)

    async def run() -> reconciliation.ImportResult:
        db = Database(settings)
        try:
            async with db.session_scope() as session:
                bank = await _bank_account(session, account, centre)
                user_id = None
                if user:
                    user_id = await session.scalar(select(User.id).where(func.lower(User.email) == user.lower()))
                    if user_id is None:
                        raise typer.BadParameter("no such user", param_hint="--user")
                data = reconciliation.ImportInput(bank_account_id=bank.id, profile=profile, filename=file.name)
                with typer.progressbar(length=rows, label=f"{file.name}", show_pos=True) as bar, file.open("rb") as f:
                    return await reconciliation.import_into(
                        session,
                        bank,
                        data,
                        f,
                        user_id=user_id,
                        max_bytes=settings.import_max_bytes,
                        progress=bar.update,
                    )
        finally:
            await db.dispose()

    try:
        result = asyncio.run(run())
    except reconciliation.StatementAlreadyImported as exc:
        typer.echo(f"already imported: {exc.detail}", err=True)
        raise typer.Exit(code=1) from exc
    except (reconciliation.UnreadableStatement, reconciliation.ImportTooLarge) as exc:
        typer.echo(f"refused: {exc.detail}", err=True)
        raise typer.Exit(code=2) from exc
    s = result.statement
    typer.echo(f"import {s.id}: {s.line_count} lines, {s.added_count} added, {result.skipped} already imported")
    typer.echo("matched: " + ", ".join(f"{rule} {n}" for rule, n in result.matched.items() if n) or "matched: none")
    if result.balance_check is not None:
        c = result.balance_check.check
        typer.echo(f"balance {c.as_of}: statement {c.statement_balance}, ledger {c.ledger_balance} -> {c.status.value}")


@app.command()
def reconcile(
    period: str = typer.Option(..., help="The month, YYYY-MM"),
    centre: str = typer.Option(None, help="One centre's id (default: every centre)"),
) -> None:
    """Run the automatic matching rules over every unmatched line and print each centre's report for
    the month: matches by rule, unmatched lines, clearing balances, failing balance checks. Exits 1
    when a balance check fails (the month cannot be closed)."""
    from models.enums import OrganisationKind
    from models.organisations import Organisation
    from services import reconciliation
    from services.db import Database
    from services.ledger import periods
    from services.reconciliation import report as recon_report

    settings = get_settings()
    if not periods.PERIOD.match(period):
        raise typer.BadParameter("a period is written YYYY-MM", param_hint="--period")

    async def run() -> bool:
        db = Database(settings)
        failing = False
        try:
            async with db.session_scope() as session:
                stmt = select(Organisation).where(Organisation.kind == OrganisationKind.centre)
                if centre:
                    stmt = stmt.where(Organisation.id == uuid.UUID(centre))
                for org in (await session.scalars(stmt.order_by(Organisation.name))).all():
                    made = await reconciliation.auto_match(session, org.id)
                    r = await recon_report.centre_report(session, org.id, period)
                    typer.echo(f"{org.name} {period}")
                    typer.echo("  matched now: " + (", ".join(f"{k} {v}" for k, v in made.items() if v) or "none"))
                    for m in r.matched:
                        typer.echo(f"  {m.rule}: {m.matches} match(es), {m.amount}")
                    typer.echo(
                        f"  unmatched lines: {len(r.unmatched_lines)}; receipts without a line: "
                        f"{len(r.unmatched_payments)}"
                    )
                    for c in r.clearing:
                        typer.echo(f"  {c.account.code} {c.account.name} {c.account.currency}: {c.balance}")
                    for chk in r.failed_checks:
                        failing = True
                        typer.echo(
                            f"  FAILED balance check {chk.as_of}: statement {chk.statement_balance}, "
                            f"ledger {chk.ledger_balance}"
                        )
        finally:
            await db.dispose()
        return failing

    if asyncio.run(run()):
        raise typer.Exit(code=1)


@app.command("prune-login-attempts")
def prune_login_attempts(
    older_than_days: int = typer.Option(
        None, min=1, help="Keep this many days (default TTM_LOGIN_ATTEMPTS_RETENTION_DAYS, 30)"
    ),
) -> None:
    """Delete sign-in and registration attempts older than the retention (never those the rate
    limits still count). Run it daily (docs/production.md)."""
    from services import auth
    from services.db import Database

    settings = get_settings()
    days = older_than_days or settings.login_attempts_retention_days

    async def run() -> int:
        db = Database(settings)
        try:
            async with db.session_scope() as session:
                return await auth.prune_login_attempts(
                    session, older_than_days=days, window_seconds=settings.login_window_seconds
                )
        finally:
            await db.dispose()

    typer.echo(f"deleted {asyncio.run(run())} login attempts older than {days} days")


@app.command()
def openapi(
    output: Path = typer.Option(None, "--output", "-o", dir_okay=False, help="Write it to this file (default: stdout)"),
) -> None:
    """Write the OpenAPI document `/openapi.json` serves, as JSON, without a server or a database
    (client generators read it: clients/typescript, docs/api.md)."""
    from api.main import create_app

    # Building the app configures logging on stdout (and may log, e.g. a generated development key):
    # those lines go to stderr here, so stdout carries the document alone.
    with contextlib.redirect_stdout(sys.stderr):
        document = create_app().openapi()
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output} ({len(document.get('paths', {}))} paths)", err=True)


if __name__ == "__main__":
    app()
