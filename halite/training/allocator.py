"""glibc malloc settings for training and inference on the CPU.

A training step allocates and frees hundreds of activation buffers of 1 to 100 MiB. glibc serves
a large request from a fresh ``mmap`` (every page of it then costs a page fault and zeroing on first
touch) and gives freed heap memory back to the system above its trim threshold; both thresholds
start small and adapt only to the sizes freed so far. Fixing them once (32 MiB, glibc's largest
mmap threshold, and 256 MiB of freed heap kept) halved the page faults of a GN2 training step and
made it about 5% faster at the same peak RSS (``bench/vs_salt.py``, one thread).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys

log = logging.getLogger(__name__)

#: mallopt parameters (glibc's malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: the values set: requests up to this size come from the heap
MMAP_THRESHOLD = 32 << 20
#: freed memory at the top of the heap kept for reuse
TRIM_THRESHOLD = 256 << 20
#: set to 0 to keep glibc's adaptive defaults
ENV = "HALITE_MALLOC_TUNING"
_done: bool | None = None


def tune_malloc() -> bool:
    """Set glibc's mmap and trim thresholds for this process, once; True when they are set.

    Skipped (False) off Linux, without glibc, with ``HALITE_MALLOC_TUNING=0``, or when the user set
    ``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_`` in the environment.
    """
    global _done
    if _done is not None:
        return _done
    _done = False
    if not sys.platform.startswith("linux") or os.environ.get(ENV, "1") == "0":
        return False
    if any(k in os.environ for k in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others: nothing to tune
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    _done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
    log.debug("glibc malloc thresholds %s", "set" if _done else "not set")
    return _done
