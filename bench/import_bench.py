"""Statement import and automatic matching at 10k and 100k lines on PostgreSQL, in one run.

    make bench-import        # or: .venv/bin/python -m bench.import_bench --database-url ... --sizes 10000 100000

Creates (or wipes) its own database, migrates it, and builds one centre with its finance staff
and an SME debtor. For each size N, in turn and in the same process:

- a fresh centre and bank account, and N/100 + N/500 settlements owed by the SME (through `settlements.owe`,
  as bookings make them; not timed);
- an ICBC-layout statement of N lines written to a temporary file in GBK: 1 % quote a settlement
  number with its exact amount (rule settlement_number), 0.2 % carry the exact amount of one
  settlement and the SME's name as the payer (rule amount_window), the rest are unrelated
  transfers (payroll, utilities, other customers) with amounts no settlement has;
- timed: `reconciliation.import_into` (the service `POST /reconciliation/imports` and `ttm
  import-statement` call: SHA-256 pass, streamed GBK parse, batched inserts, then every automatic
  rule, each match recording its receipt as an offline payment) in one transaction, committed.

Each size runs in its own child process (same database, its own centre), so its peak resident
memory (ru_maxrss) is its own. The run fails (exit 1) unless every expected line was matched, the
ledger's bank account holds exactly the matched receipts, 100k costs at most 12x 10k (1.2x the
ratio of sizes), and the peak RSS at 100k is at most 1.5x the peak at 10k. Results go to
bench/results/import.json.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.main import create_app
from bench.ledger_bench import _reset  # one way to wipe a bench database
from models.enums import IncomeKind, OrganisationKind, Role, SettlementSource
from models.ledger import BankAccount
from services import clock, migrations, reconciliation, settlements
from services.db import Database
from services.ledger import bank_accounts, chart
from services.reconciliation import checks
from services.settings import Environment, Settings, generate_dev_key
from tests.factories.organisations import build

DEFAULT_URL = "postgresql://postgres@127.0.0.1/ttm_bench_import"
RESULTS = Path(__file__).resolve().parent / "results" / "import.json"
SME = "苏州测试新材料有限公司"
HEADER = ["交易日期", "交易流水号", "对方账号", "对方户名", "摘要", "用途", "借方发生额", "贷方发生额", "余额", "币种"]
OTHERS = [
    "国网江苏省电力有限公司苏州供电分公司",
    "苏州工业园区社保中心",
    "上海某某仪器有限公司",
    "个人 张三",
    "中国移动",
]


def prepare(url: str) -> Settings:
    asyncio.run(_reset(url))
    keys = Path(tempfile.mkdtemp())
    generate_dev_key(keys)
    settings = Settings(
        env=Environment.test,
        database_url=url.replace("postgresql://", "postgresql+asyncpg://", 1),
        jwt_key_dir=keys,
        jwt_active_kid=next(keys.glob("*.pem")).stem,
        log_level="WARNING",
        log_json=False,
    )
    migrations.upgrade(settings)
    return settings


async def _world(db: Database, settings: Settings) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """A centre (its chart open), its institute and an SME debtor."""
    app = create_app(settings, database=db)
    async with build(db, app) as b:
        centre = b.org(OrganisationKind.centre, name="长三角国家技术创新中心")
        institute = b.org(OrganisationKind.institute, parent=centre, name="先进材料研究院")
        sme = b.org(OrganisationKind.sme, name=SME)
        b.member(centre, Role.finance)
    async with db.session_scope() as session:
        await chart.open_chart(session, centre.id)
    return centre.id, institute.id, sme.id


async def _bank(db: Database, centre_id: uuid.UUID, n: int) -> BankAccount:
    async with db.session_scope() as session:
        bank = BankAccount(
            centre_id=centre_id,
            name=f"基本存款账户 {n}",
            bank_name="中国工商银行苏州工业园区支行",
            account_number=f"110202010900{n:07d}",
            currency="CNY",
        )
        session.add(bank)
        await session.flush()
        await bank_accounts.ledger_account(session, bank)
        return bank


async def _owe(db: Database, institute: uuid.UUID, sme: uuid.UUID, amounts: list[int]) -> list[str]:
    numbers = []
    async with db.session_scope() as session:
        for amount in amounts:
            s = await settlements.owe(
                session,
                settlements.Owed(
                    source=SettlementSource.booking,
                    source_id=uuid.uuid4(),
                    provider_org_id=institute,
                    debtor_org_id=sme,
                    income_kind=IncomeKind.testing,
                    amount=amount,
                    currency="CNY",
                    description="扫描电镜测试服务",
                ),
            )
            assert s is not None
            numbers.append(s.number)
    return numbers


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _statement(path: Path, n: int, named: list[tuple[str, int]], by_payer: list[int], start: date) -> tuple[int, int]:
    """Write N lines (GBK); returns (closing balance, lines expected to match)."""
    rng = random.Random(n)
    special = {i * 100: ("named", k) for k, i in enumerate(range(len(named)))}
    special.update({i * 500 + 7: ("payer", k) for k, i in enumerate(range(len(by_payer)))})
    balance = 0
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    with path.open("wb") as f:
        f.write(out.getvalue().encode("gbk"))
        for i in range(n):
            out = io.StringIO()
            writer = csv.writer(out)
            day = (start + timedelta(days=i * 20 // max(n, 1))).strftime("%Y%m%d")
            serial = f"ICBC{n:06d}{i:08d}"
            kind = special.get(i)
            if kind and kind[0] == "named":
                number, amount = named[kind[1]]
                credit, debit, payer, memo, purpose = amount, 0, SME, "货款", f"付{number}"
            elif kind:
                credit, debit, payer, memo, purpose = by_payer[kind[1]], 0, SME, "服务费", ""
            elif rng.random() < 0.5:
                credit, debit = rng.randrange(1, 5_000_000) * 2 + 1, 0  # odd: no settlement has it
                payer, memo, purpose = rng.choice(OTHERS), "往来款", f"合同{rng.randrange(10**6)}"
            else:
                credit, debit = 0, rng.randrange(1, 500_000) * 2 + 1
                payer, memo, purpose = rng.choice(OTHERS), "代发工资" if rng.random() < 0.3 else "费用", ""
            balance += credit - debit
            writer.writerow(
                [
                    day,
                    serial,
                    "6222020000000000",
                    payer,
                    memo,
                    purpose,
                    _yuan(debit) if debit else "",
                    _yuan(credit) if credit else "",
                    f"{'-' if balance < 0 else ''}{_yuan(abs(balance))}",
                    "人民币",
                ]
            )
            f.write(out.getvalue().encode("gbk"))
    return balance, len(named) + len(by_payer)


async def one_size(db: Database, n: int, world: tuple[uuid.UUID, uuid.UUID, uuid.UUID], workdir: Path) -> dict:
    centre, institute, sme = world
    bank = await _bank(db, centre, n)
    base = 2 * (10_000_000 + n * 10)  # even, distinct per size
    named_amounts = [base + 2 * k for k in range(n // 100)]
    payer_amounts = [base + 2 * (n // 100) + 2 * k for k in range(n // 500)]
    t0 = time.perf_counter()
    numbers = await _owe(db, institute, sme, named_amounts + payer_amounts)
    owe_s = time.perf_counter() - t0
    path = workdir / f"statement-{n}.csv"
    closing, expected = _statement(
        path, n, list(zip(numbers, named_amounts, strict=False)), payer_amounts, clock.now().date() + timedelta(days=1)
    )
    size = path.stat().st_size
    t0 = time.perf_counter()
    async with db.session_scope() as session:
        with path.open("rb") as f:
            result = await reconciliation.import_into(
                session,
                bank,
                reconciliation.ImportInput(bank_account_id=bank.id, profile="icbc", filename=path.name),
                f,
                user_id=None,
                max_bytes=1 << 30,
            )
    elapsed = time.perf_counter() - t0
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    async with db.session_scope() as session:
        ledger = await checks.ledger_balance(session, bank, date(2100, 1, 1))
    matched = sum(result.matched.values())
    return {
        "lines": n,
        "file_bytes": size,
        "settlements": len(numbers),
        "owe_seconds": round(owe_s, 2),
        "import_and_match_seconds": round(elapsed, 3),
        "lines_per_second": round(n / elapsed),
        "peak_rss_mib": round(peak_rss / 1024, 1),
        "added": result.statement.added_count,
        "matched": result.matched,
        "expected_matches": expected,
        "matched_receipts_balance": ledger,
        "statement_closing": closing,
        "_ok": matched == expected
        and result.statement.added_count == n
        and ledger == sum(named_amounts) + sum(payer_amounts),
    }


async def child(size: int, settings: Settings) -> dict:
    db = Database(settings)
    clock.set(datetime(2026, 10, 1, 1, 0, tzinfo=UTC))
    try:
        world = await _world(db, settings)
        return await one_size(db, size, world, Path(tempfile.mkdtemp()))
    finally:
        await db.dispose()


def _settings(url: str, keys: Path) -> Settings:
    return Settings(
        env=Environment.test,
        database_url=url.replace("postgresql://", "postgresql+asyncpg://", 1),
        jwt_key_dir=keys,
        jwt_active_kid=next(keys.glob("*.pem")).stem,
        log_level="WARNING",
        log_json=False,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_IMPORT_DB", DEFAULT_URL))
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)  # one size, in its own process
    parser.add_argument("--keys", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        out = asyncio.run(child(args.child, _settings(args.database_url, Path(args.keys))))
        print("RESULT " + json.dumps(out, ensure_ascii=False))
        return
    settings = prepare(args.database_url)
    sizes = []
    for n in args.sizes:
        # Each size in its own process, so its peak resident memory is its own.
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.import_bench",
                "--database-url",
                args.database_url,
                "--child",
                str(n),
                "--keys",
                str(settings.jwt_key_dir),
            ],
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).resolve().parent.parent,
        )
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        if done.returncode or not lines:
            print(done.stdout, done.stderr, file=sys.stderr)
            sys.exit(1)
        sizes.append(json.loads(lines[-1][len("RESULT ") :]))
    out = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "note": "shared machine: 2 cores, several engineers' test suites running at the same time",
        },
        "sizes": sizes,
    }
    small, large = sizes[0], sizes[-1]
    ratio = large["import_and_match_seconds"] / small["import_and_match_seconds"]
    memory = large["peak_rss_mib"] / small["peak_rss_mib"]
    scale = large["lines"] / small["lines"]
    out["time_ratio"] = round(ratio, 2)
    out["peak_memory_ratio"] = round(memory, 2)
    ok = all(s.pop("_ok") for s in sizes)
    out["pass"] = ok and ratio <= 1.2 * scale and memory <= 1.5
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
    for s in sizes:
        print(
            f"{s['lines']:>7} lines ({s['file_bytes'] / 2**20:.1f} MiB GBK): import + auto-match "
            f"{s['import_and_match_seconds']:.1f} s ({s['lines_per_second']} lines/s), peak RSS "
            f"{s['peak_rss_mib']} MiB, matched {s['matched']} of {s['expected_matches']} expected"
        )
    print(
        f"{large['lines']} / {small['lines']}: time x{ratio:.2f} (limit {1.2 * scale:g}),",
        f"peak RSS x{memory:.2f} (limit 1.5)",
        "PASS" if out["pass"] else "FAIL",
    )
    sys.exit(0 if out["pass"] else 1)


if __name__ == "__main__":
    main()
