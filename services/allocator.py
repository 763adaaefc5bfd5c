"""The C allocator's settings for long-running processes (glibc; elsewhere nothing changes)."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)
MMAP_THRESHOLD = 128 * 1024  # glibc's own starting value


@functools.cache
def keep_large_blocks_mapped() -> bool:
    """Fix glibc's mmap threshold at its 128 KiB default; False where there is no `mallopt`.

    By default glibc raises the threshold to the size of any mapped block that is freed (up to
    32 MiB). A password check is one: argon2 takes 19 MiB (services/security.py) and frees it, and
    from then on every block under 19 MiB, the next checks' included, comes from the heap, which
    does not shrink. Measured (`bench.memory --sign-ins 12`, docs/benchmarks.md "Peak and steady
    memory"): after a dozen failed sign-ins a worker held 166 MB instead of 147 MB, for good. With
    the threshold set, that adjustment is off: large blocks are mapped, grow in place and go back
    to the system when freed.
    """
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    mallopt = getattr(ctypes.CDLL(name), "mallopt", None)
    if mallopt is None:
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
