"""The server `ttm serve` runs: uvicorn with `api.asgi:create_app` in each worker.

Nothing of the application is imported here: with several workers this is uvicorn's supervisor
process, which never builds the app (each worker does, through api/asgi.py).
"""

from __future__ import annotations

import json
import os
import sys
from typing import NoReturn


def run(*, host: str, port: int, workers: int, reload: bool, worker_start_timeout: int) -> None:
    import uvicorn

    uvicorn.run(
        "api.asgi:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        log_config=None,
        # The app writes the access log (api/middleware.py, with the request id); uvicorn's is off
        # (services/logs.py also leaves its logger without a handler).
        access_log=False,
        # No route is a WebSocket: without this each worker imports the websockets package (2.6 MB).
        ws="none",
        timeout_worker_healthcheck=worker_start_timeout,
    )


def main() -> None:
    """`python -c "from api.serving import main; main()" '<options as JSON>'` (see `supervise`)."""
    run(**json.loads(sys.argv[1]))


def supervise(*, host: str, port: int, workers: int, worker_start_timeout: int) -> NoReturn:
    """Become the supervisor of several workers: this process is replaced by a `python -c` program
    that calls `run`. uvicorn starts each worker as a spawned process, which imports its parent's
    main module again first; the command line's (typer, 1.4 MB in every worker) is left behind,
    and a `-c` program has no module to import again."""
    options = {
        "host": host,
        "port": port,
        "workers": workers,
        "reload": False,
        "worker_start_timeout": worker_start_timeout,
    }
    code = "from api.serving import main; main()"
    os.execv(sys.executable, [sys.executable, "-c", code, json.dumps(options)])  # noqa: S606 (no shell: fixed program)
