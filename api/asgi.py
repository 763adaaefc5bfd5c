"""What `ttm serve` gives uvicorn in every worker process: `api.asgi:create_app`, a factory.

This module loads the segmenter's dictionary before it imports the application. The dictionary
raises resident memory for a moment ~6 MB above what it keeps (its arrays grow as words are
added). Loaded first, that moment comes while the process is still small, so it is no longer what
sets a worker's peak (docs/benchmarks.md, "Peak and steady memory"). The allocator setting
(services/allocator.py) comes before both.
"""

from __future__ import annotations

from services import allocator, segmentation

allocator.keep_large_blocks_mapped()
segmentation.initialise()

from api.main import create_app  # noqa: E402  (after the dictionary, on purpose)

__all__ = ["create_app"]
