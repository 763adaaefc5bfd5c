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
    32 MiB). The 19 MiB argon2 hash made at start-up (services/security.py) is one: afterwards
    every block under 19 MiB comes from the heap, where a block that grows is copied and its old
    place stays behind as a hole. The segmenter's dictionary grows its arrays that way, and each
    worker kept 14 MB more than the dictionary needs (docs/benchmarks.md, "Peak and steady
    memory"). Setting the threshold turns that adjustment off: large blocks stay mapped, grow in
    place and go back to the system when freed.
    """
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    mallopt = getattr(ctypes.CDLL(name), "mallopt", None)
    if mallopt is None:
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
