"""Importing statements into one of a centre's bank accounts: a file (bank CSV/Excel with a profile,
camt.053, Stripe's CSV) or Stripe's API (`stripe_sync`).

The file is read twice as a stream: once for its size (413 beyond `TTM_IMPORT_MAX_BYTES`) and
SHA-256 (unique per account: the same file again is 409), once to parse it, inserting lines in
batches with ON CONFLICT DO NOTHING on (account, channel, key), so an overlapping statement adds
only what is new. The statement's closing balance becomes a balance check against the ledger.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO, Any

from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import uuid7
from models.enums import LineStatus, PaymentChannel, StatementChannel
from models.ledger import BankAccount, JournalEntry
from models.reconciliation import StatementImport, StatementLine
from models.settlements import Payment
from services import clock
from services.actors import Actor
from services.errors import AlreadyExists, Invalid, PayloadTooLarge
from services.ledger import bank_accounts, entries
from services.reconciliation import checks, matching, profiles
from services.stripe_gateway import StripeGateway

BATCH = 1000
ANALYZE_AFTER = 5000  # lines added by one import


class ImportTooLarge(PayloadTooLarge):
    title = "The statement is larger than imports may be"
    slug = "import-too-large"


class StatementAlreadyImported(AlreadyExists):
    title = "This statement file was already imported into this account"
    slug = "statement-already-imported"


@dataclass(frozen=True)
class ImportInput:
    bank_account_id: uuid.UUID
    profile: str
    filename: str | None = None


@dataclass(frozen=True)
class ImportResult:
    statement: StatementImport
    skipped: int  # lines already imported (an overlapping statement)
    first_date: date | None
    last_date: date | None
    balance_check: checks.CheckResult | None
    matched: dict[str, int]  # what the automatic rules matched after the import, by rule


Progress = Callable[[int], None]


def digest(stream: IO[bytes], max_bytes: int) -> str:
    """SHA-256 of the stream (read in chunks, then rewound); 413 past `max_bytes`."""
    h = hashlib.sha256()
    size = 0
    while chunk := stream.read(1 << 16):
        size += len(chunk)
        if size > max_bytes:
            raise ImportTooLarge(f"statements may be at most {max_bytes} bytes")
        h.update(chunk)
    stream.seek(0)
    if size == 0:
        raise Invalid("the file is empty", loc=["body", "file"])
    return h.hexdigest()


async def import_file(
    session: AsyncSession,
    actor: Actor,
    data: ImportInput,
    stream: IO[bytes],
    *,
    max_bytes: int,
    progress: Progress | None = None,
) -> ImportResult:
    """Finance imports a statement into one of the centre's bank accounts; the automatic rules then
    run over the account's unmatched lines, and the closing balance is checked."""
    if data.profile not in profiles.ALL_PROFILES:
        raise Invalid(f"the profile is one of {', '.join(profiles.ALL_PROFILES)}", loc=["body", "profile"])
    bank = await bank_accounts.get(session, actor, data.bank_account_id, write=True)
    return await import_into(session, bank, data, stream, user_id=actor.user_id, max_bytes=max_bytes, progress=progress)


async def import_into(
    session: AsyncSession,
    bank: BankAccount,
    data: ImportInput,
    stream: IO[bytes],
    *,
    user_id: uuid.UUID | None,
    max_bytes: int,
    progress: Progress | None = None,
) -> ImportResult:
    """The import itself, into a bank account already checked (the CLI's operator, or finance)."""
    if data.profile not in profiles.ALL_PROFILES:
        raise Invalid(f"the profile is one of {', '.join(profiles.ALL_PROFILES)}", loc=["body", "profile"])
    sha = digest(stream, max_bytes)
    channel = StatementChannel.stripe if data.profile == profiles.STRIPE else StatementChannel.bank
    statement = await _start(session, bank, channel, data.profile, data.filename, sha, user_id)
    closing = profiles.Closing()
    lines = profiles.parse(data.profile, stream, bank.currency, closing)
    total, added, first, last = await _store(session, statement, bank, channel, lines, progress)
    statement.line_count, statement.added_count = total, added
    await _analyze(session, added)
    matched = await matching.auto_match(session, bank.centre_id, bank_account_id=bank.id, user_id=user_id)
    check = None
    if closing.amount is not None and closing.as_of is not None and channel is StatementChannel.bank:
        check = await checks.record(session, bank, statement, closing.as_of, closing.amount)
    await session.flush()
    return ImportResult(statement, total - added, first, last, check, matched)


async def _start(
    session: AsyncSession,
    bank: BankAccount,
    channel: StatementChannel,
    profile: str,
    filename: str | None,
    sha: str,
    user_id: uuid.UUID | None,
) -> StatementImport:
    earlier = await session.scalar(
        select(StatementImport).where(StatementImport.bank_account_id == bank.id, StatementImport.sha256 == sha)
    )
    if earlier is not None:
        raise StatementAlreadyImported(
            f"imported on {earlier.created_at.isoformat()} ({earlier.filename or earlier.profile})",
            import_id=str(earlier.id),
        )
    statement = StatementImport(
        centre_id=bank.centre_id,
        bank_account_id=bank.id,
        channel=channel,
        profile=profile,
        filename=(filename or "")[:255] or None,
        sha256=sha,
        line_count=0,
        added_count=0,
        created_by=user_id,
    )
    try:
        async with session.begin_nested():
            session.add(statement)
            await session.flush()
    except IntegrityError as exc:  # the same file, imported concurrently
        raise StatementAlreadyImported("imported concurrently") from exc
    return statement


async def _analyze(session: AsyncSession, added: int) -> None:
    """After a large load, PostgreSQL's planner is told how many lines there now are (ANALYZE counts
    this transaction's own inserts), so the rules' joins start from the lines, not from a guess of
    an empty table; without it a 100k-line import's first join runs for minutes."""
    if added >= ANALYZE_AFTER and session.get_bind().dialect.name == "postgresql":
        await session.execute(text("ANALYZE statement_lines"))


def _insert(session: AsyncSession) -> Any:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return (
        dialect.insert(StatementLine)
        .on_conflict_do_nothing(index_elements=["bank_account_id", "channel", "unique_key"])
        .returning(StatementLine.id)
    )


async def _store(
    session: AsyncSession,
    statement: StatementImport,
    bank: BankAccount,
    channel: StatementChannel,
    lines: Iterable[profiles.ParsedLine],
    progress: Progress | None,
) -> tuple[int, int, date | None, date | None]:
    """Insert the lines in batches; those already there (same key) are skipped."""
    total = added = 0
    first: date | None = None
    last: date | None = None
    batch: list[dict[str, Any]] = []
    now = clock.now()
    stmt = _insert(session)
    for line in lines:
        if line.currency and line.currency != bank.currency:
            raise profiles.UnreadableStatement(
                f"line {line.line_no} is in {line.currency}; the account is in {bank.currency}",
                loc=["body", "line", line.line_no],
            )
        total += 1
        first = line.value_date if first is None else min(first, line.value_date)
        last = line.value_date if last is None else max(last, line.value_date)
        batch.append(_row(statement, bank, channel, line, now))
        if len(batch) >= BATCH:
            added += await _flush(session, stmt, batch)
            if progress is not None:
                progress(len(batch))
            batch = []
    if batch:
        added += await _flush(session, stmt, batch)
        if progress is not None:
            progress(len(batch))
    return total, added, first, last


async def _flush(session: AsyncSession, stmt: Any, batch: Sequence[dict[str, Any]]) -> int:
    # Keys repeated inside one batch (the same serial twice in a file) count once.
    unique = list({row["unique_key"]: row for row in batch}.values())
    result = await session.execute(stmt, unique)
    return len(result.all())


def _row(
    statement: StatementImport,
    bank: BankAccount,
    channel: StatementChannel,
    line: profiles.ParsedLine,
    now: datetime,
) -> dict[str, Any]:
    raw = line.raw if isinstance(line.raw, dict) else {"row": line.raw}
    key = f"serial:{line.serial}" if line.serial else str(raw.get("_key"))
    return {
        "id": uuid7(),
        "import_id": statement.id,
        "centre_id": bank.centre_id,
        "bank_account_id": bank.id,
        "channel": channel,
        "line_no": line.line_no,
        "unique_key": key[:128],
        "serial": line.serial[:100] if line.serial else None,
        "value_date": line.value_date,
        "amount": line.amount,
        "fee": line.fee,
        "currency": bank.currency,
        "counterparty_name": line.counterparty_name,
        "counterparty_account": line.counterparty_account,
        "memo": line.memo,
        "kind": line.kind,
        "refs": line.refs,
        "payout_ref": line.payout_ref,
        "external_ref": line.external_ref,
        "balance_after": line.balance_after,
        "raw": raw,
        "status": LineStatus.unmatched,
        "created_at": now,
    }


# Stripe's API: balance transactions and payouts, paginated.


@dataclass(frozen=True)
class StripeSyncInput:
    bank_account_id: uuid.UUID
    since: datetime | None = None


async def stripe_sync(
    session: AsyncSession, actor: Actor, gateway: StripeGateway, data: StripeSyncInput
) -> ImportResult:
    """Pull the centre's Stripe balance transactions (charges and refunds of its card payments) and
    its share of each payout into Stripe lines of the bank account payouts arrive in. Lines already
    pulled are skipped; a sync that finds nothing new still records that it ran."""
    bank = await bank_accounts.get(session, actor, data.bank_account_id, write=True)
    since = {"created": {"gte": int(data.since.timestamp())}} if data.since else {}
    parsed: list[profiles.ParsedLine] = []
    n = 0
    async for bt in gateway.balance_transactions(**since):
        if bt.currency != bank.currency or bt.type in ("payout", "payout_failure"):
            continue
        if await _centre_of(session, bt.source) != bank.centre_id:
            continue
        n += 1
        parsed.append(
            profiles.ParsedLine(
                line_no=n,
                value_date=_day(bt.created),
                amount=bt.amount,
                fee=bt.fee,
                serial=bt.id,
                kind=bt.type[:32],
                currency=bt.currency,
                external_ref=bt.source,
                payout_ref=bt.payout,
                raw={"id": bt.id, "type": bt.type, "amount": bt.amount, "fee": bt.fee, "source": bt.source},
            )
        )
    async for payout in gateway.payouts(**since):
        if payout.currency != bank.currency or payout.status != "paid":
            continue
        share = await _payout_share(session, bank.centre_id, payout.id)
        if share is None:
            continue
        n += 1
        parsed.append(
            profiles.ParsedLine(
                line_no=n,
                value_date=_day(payout.arrival_date),
                amount=-share,
                serial=payout.id,
                kind="payout",
                currency=payout.currency,
                payout_ref=payout.id,
                raw={"id": payout.id, "amount": payout.amount, "centre_share": share, "status": payout.status},
            )
        )
    sha = hashlib.sha256(
        f"stripe-sync:{bank.id}:{uuid.uuid4()}".encode()  # each sync is its own "file"
    ).hexdigest()
    statement = await _start(session, bank, StatementChannel.stripe, "stripe-api", None, sha, actor.user_id)
    total, added, first, last = await _store(session, statement, bank, StatementChannel.stripe, parsed, None)
    statement.line_count, statement.added_count = total, added
    matched = await matching.auto_match(session, bank.centre_id, bank_account_id=bank.id, user_id=actor.user_id)
    await session.flush()
    return ImportResult(statement, total - added, first, last, None, matched)


def _day(stamp: int | None) -> date:
    return datetime.fromtimestamp(stamp, UTC).date() if stamp else clock.now().date()


async def _centre_of(session: AsyncSession, charge_id: str | None) -> uuid.UUID | None:
    """The centre a Stripe charge (or a refund's charge) paid, from its card payment."""
    if not charge_id:
        return None
    return await session.scalar(
        select(Payment.centre_id).where(Payment.channel == PaymentChannel.card, Payment.external_ref == charge_id)
    )


async def _payout_share(session: AsyncSession, centre_id: uuid.UUID, payout_id: str) -> int | None:
    """What a payout brought this centre, as its payout entry booked it (None: none of its money)."""
    entry = await session.scalar(
        select(JournalEntry).where(
            JournalEntry.source == "payout", JournalEntry.source_ref == f"{payout_id}:{centre_id}"
        )
    )
    if entry is None:
        return None
    loaded = await entries.load(session, entry.id)
    return sum(p.amount for p in loaded.postings if p.amount > 0)
