"""How `ttm serve` starts the API workers, and what each holds in memory before it serves
(docs/benchmarks.md, "Peak and steady memory"). Each check runs a fresh interpreter: what a
process has imported or allocated is the subject."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api import serving
from api.cli import app as cli

ROOT = Path(__file__).resolve().parents[1]


def fresh(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


class TestSeveralWorkers:
    def test_the_command_becomes_a_supervisor_program_that_workers_do_not_import(self, monkeypatch):
        started = []
        monkeypatch.setattr(serving.os, "execv", lambda program, args: started.append((program, args)))
        monkeypatch.setattr(serving, "run", lambda **options: started.append(("in process", options)))
        result = CliRunner().invoke(cli, ["serve", "--workers", "3", "--port", "8123"])
        assert result.exit_code == 0, result.output
        program, args = started[0]  # (the real execv does not return)
        assert program == sys.executable and args[:3] == [sys.executable, "-c", "from api.serving import main; main()"]
        options = json.loads(args[3])
        assert options == {"host": "127.0.0.1", "port": 8123, "workers": 3, "reload": False, "worker_start_timeout": 60}

    def test_one_worker_or_reload_serves_in_process(self, monkeypatch):
        started = []
        monkeypatch.setattr(serving.os, "execv", lambda program, args: started.append("exec"))
        monkeypatch.setattr(serving, "run", lambda **options: started.append(options["workers"]))
        assert CliRunner().invoke(cli, ["serve"]).exit_code == 0
        assert CliRunner().invoke(cli, ["serve", "--workers", "2", "--reload"]).exit_code == 0
        assert started == [1, 2]

    def test_a_spawned_worker_of_the_supervisor_program_imports_no_main_module(self):
        # multiprocessing's spawn makes each child import the parent's main module first (for
        # `ttm serve` that was the command line and typer); a `-c` program gives it none.
        code = (
            "import multiprocessing.spawn as spawn\n"
            "data = spawn.get_preparation_data('worker')\n"
            "print(sorted(k for k in data if k.startswith('init_main')))\n"
        )
        assert fresh(code).strip() == "[]"

    def test_the_supervisor_runs_uvicorn_with_the_asgi_factory(self, monkeypatch):
        import uvicorn

        calls = []
        monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append((app, kwargs)))
        options = {"host": "0.0.0.0", "port": 8000, "workers": 4, "reload": False, "worker_start_timeout": 60}
        monkeypatch.setattr(sys, "argv", ["-c", json.dumps(options)])
        serving.main()
        ((app, kwargs),) = calls
        assert app == "api.asgi:create_app" and kwargs["factory"] is True
        assert (kwargs["workers"], kwargs["host"], kwargs["ws"], kwargs["access_log"]) == (4, "0.0.0.0", "none", False)


def test_a_worker_loads_the_segmenter_before_the_application():
    code = (
        "import sys\n"
        "from services import segmentation\n"
        "load = segmentation._load\n"
        "def spy():\n"
        "    print('fastapi' in sys.modules, 'api.main' in sys.modules)\n"
        "    return load()\n"
        "segmentation._load = spy\n"
        "import api.asgi\n"
        "print(segmentation.loaded(), callable(api.asgi.create_app))\n"
    )
    assert fresh(code).split() == ["False", "False", "True", "True"]


MALLINFO = """
import ctypes, ctypes.util, sys
from services import allocator
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.mallinfo2.restype = Info
if sys.argv[1] == "fixed":
    assert allocator.keep_large_blocks_mapped()
big = bytearray(20 * 2**20)  # mapped, then freed: by default glibc raises its threshold to 20 MiB
del big
before = libc.mallinfo2().hblks
block = bytearray(2**20)
print(libc.mallinfo2().hblks - before)
"""


@pytest.mark.parametrize(("setting", "mapped"), [("fixed", "1"), ("default", "0")])
def test_after_a_large_block_is_freed_a_megabyte_is_still_mapped(setting, mapped):
    """With the threshold fixed (services/allocator.py) a 1 MiB block is mapped (given back when
    freed); with glibc's default it comes from the heap once a 20 MiB block has been freed."""
    done = subprocess.run(
        [sys.executable, "-c", MALLINFO, setting], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == mapped
