"""Command line: `ttm serve | migrate | create-admin | seed-demo | ledger-verify`."""

from __future__ import annotations

import asyncio
import getpass

import typer

from services.settings import get_settings

# Each command imports the services it uses: `ttm serve` is the parent of the API workers, which
# re-import this module before they start (multiprocessing's spawn), so what is imported here
# costs start-up time and memory in every process.

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
    import uvicorn

    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        log_config=None,
        timeout_worker_healthcheck=worker_start_timeout,
    )


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
                return await verify.run(session)
        finally:
            await db.dispose()

    findings = asyncio.run(run())
    for f in findings:
        typer.echo(f"{f.check}: {f.detail} [{', '.join(f.ids)}]", err=True)
    if findings:
        raise typer.Exit(code=1)
    typer.echo("ledger verified: every promise holds")


if __name__ == "__main__":
    app()
