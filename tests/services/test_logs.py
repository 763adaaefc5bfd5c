"""The access line (services/logs.py `access`): written straight to the JSON handler `configure`
installs, byte for byte the line JsonFormatter makes of the access record; through logging as
usual whenever anything else would see the record."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from services import logs


@pytest.fixture
def json_stdout() -> Iterator[io.StringIO]:
    """Logging configured as production configures it, its handler writing to a buffer."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, logs.ACCESS.level)
    logs.configure("INFO", json_lines=True)
    logs.ACCESS.setLevel(logging.NOTSET)  # the root's level decides, as configured
    buffer = io.StringIO()
    root.handlers[0].setStream(buffer)  # type: ignore[attr-defined]
    try:
        yield buffer
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logs.ACCESS.setLevel(saved[2])


def _formatted_record(method: str, path: str, status: int, duration_ms: float, route: str) -> str:
    """What the JSON handler writes for the record the general path makes."""
    record = logs.ACCESS.makeRecord(
        logs.ACCESS.name,
        logging.INFO,
        "x",
        0,
        "%s %s %s",
        (method, path, status),
        None,
        extra={"status": status, "duration_ms": duration_ms, "route": route},
    )
    logs.RequestIdFilter().filter(record)
    return logs.JsonFormatter().format(record)


def _no_record(*_args, **_kwargs) -> logging.LogRecord:
    raise AssertionError("the access line went through a LogRecord")


class TestAccessLine:
    def test_the_line_is_the_formatters(self, json_stdout, monkeypatch):
        token = logs.request_id_var.set("req-7")
        try:
            with monkeypatch.context() as m:
                m.setattr(logs.ACCESS, "makeRecord", _no_record)  # the direct path makes none
                # pytest adds its capturing handlers to the root while a test runs: without them
                m.setattr(logging.getLogger(), "handlers", [logs._json_handler])
                logs.access("GET", "/api/v1/pilot-results/电池", 200, 1.25, "/api/v1/pilot-results/{result_id}")
            expected = _formatted_record(
                "GET", "/api/v1/pilot-results/电池", 200, 1.25, "/api/v1/pilot-results/{result_id}"
            )
        finally:
            logs.request_id_var.reset(token)
        written = json_stdout.getvalue()
        assert written.endswith("\n") and written.count("\n") == 1
        line, wanted = json.loads(written), json.loads(expected)
        assert list(line) == list(wanted)  # the same keys in the same order
        assert line.pop("time")[:16] == wanted.pop("time")[:16]  # the same minute, UTC, milliseconds
        assert line == wanted
        assert "电池" in written  # UTF-8, not escaped, as the formatter writes it

    def test_anything_else_in_the_way_gets_the_record(self, json_stdout):
        records: list[logging.LogRecord] = []

        class Capture(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                records.append(record)

        capture = Capture()
        logs.ACCESS.addHandler(capture)
        try:
            logs.access("POST", "/api/v1/contracts", 201, 3.5, "/api/v1/contracts")
        finally:
            logs.ACCESS.removeHandler(capture)
        assert [(r.getMessage(), r.status, r.route) for r in records] == [  # type: ignore[attr-defined]
            ("POST /api/v1/contracts 201", 201, "/api/v1/contracts")
        ]
        assert json.loads(json_stdout.getvalue())["message"] == "POST /api/v1/contracts 201"  # and it propagated

    def test_text_lines_go_through_logging(self, json_stdout):
        logs.configure("INFO", json_lines=False)
        buffer = io.StringIO()
        logging.getLogger().handlers[0].setStream(buffer)  # type: ignore[attr-defined]
        logs.access("GET", "/health", 200, 0.5, "/health")
        assert buffer.getvalue().rstrip().endswith("INFO ttm.access [None] GET /health 200")

    def test_nothing_below_the_level(self, json_stdout):
        logging.getLogger().setLevel(logging.WARNING)
        logs.access("GET", "/health", 200, 0.5, "/health")
        assert json_stdout.getvalue() == ""
