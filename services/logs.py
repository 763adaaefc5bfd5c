"""JSON logs with the request id on every line."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
from datetime import UTC, datetime

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}
# One encoder for every line: `json.dumps` with options builds a new JSONEncoder per call.
_encode = json.JSONEncoder(ensure_ascii=False, default=str).encode


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and key not in entry and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return _encode(entry)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")


def configure(level: str = "INFO", *, json_lines: bool = True) -> None:
    """Route the root, uvicorn and SQLAlchemy loggers through one handler."""
    global _json_handler
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    # No formatter prints the thread or process a record came from: LogRecord need not look them up
    # on every line (about a tenth of an access line's cost).
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    _json_handler = handler if json_lines else None
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # Our middleware writes one access line per request with the request id; uvicorn's repeats it.
    # With no handler to reach (not propagating), uvicorn does not even build its line's arguments
    # per request (its protocol checks `hasHandlers()` once per connection).
    access = logging.getLogger("uvicorn.access")
    access.propagate = False
    access.disabled = True


# The access line, one per request (api/middleware.py): the hottest log line by far, so when it would
# reach only the JSON handler `configure` installed, it is written straight to that handler's stream
# (under its lock, flushed as the handler flushes) as the exact line JsonFormatter would make of the
# record; the LogRecord and the logging machinery around it cost ~0.02 ms of CPU per request
# (docs/benchmarks.md). With any other handler in the way (text lines, a test's capture, a handler or
# level added to these loggers) the record goes through logging as usual.
ACCESS = logging.getLogger("ttm.access")
_json_handler: logging.StreamHandler | None = None


def access(method: str, path: str, status: int, duration_ms: float, route: str) -> None:
    """Log one request at INFO on `ttm.access`: "GET /path 200", with status, duration and route."""
    if not ACCESS.isEnabledFor(logging.INFO):
        return
    handler = _json_handler
    if handler is None or not _only(handler):
        ACCESS.handle(
            # Made directly, as `info` would, without `findCaller` walking the stack for a source
            # line no formatter prints.
            ACCESS.makeRecord(
                ACCESS.name,
                logging.INFO,
                __file__,
                0,
                "%s %s %s",
                (method, path, status),
                None,
                extra={"status": status, "duration_ms": duration_ms, "route": route},
            )
        )
        return
    line = _encode(
        {
            "time": datetime.fromtimestamp(time.time(), UTC).isoformat(timespec="milliseconds"),
            "level": "INFO",
            "logger": ACCESS.name,
            "message": f"{method} {path} {status}",
            "request_id": request_id_var.get(),
            "status": status,
            "duration_ms": duration_ms,
            "route": route,
        }
    )
    handler.acquire()
    try:
        handler.stream.write(line + handler.terminator)
        handler.flush()
    finally:
        handler.release()


def _only(handler: logging.Handler) -> bool:
    """Whether an access record would reach `handler` alone, as configured (one RequestIdFilter, the
    JsonFormatter, no level of its own)."""
    if ACCESS.filters:
        return False
    logger: logging.Logger = ACCESS
    while logger.parent is not None:  # every logger up to the root: no handler, propagating
        if logger.handlers or not logger.propagate:
            return False
        logger = logger.parent
    return (
        logger.handlers == [handler]
        and type(handler.formatter) is JsonFormatter
        and handler.level <= logging.INFO
        and [type(f) for f in handler.filters] == [RequestIdFilter]
    )
