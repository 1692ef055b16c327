"""How the C library's allocator hands freed memory back: the ``--malloc`` option of the Lightning tools.

A CPU training step allocates and frees tensors of tens of MB: activations, their gradients,
matrix-product outputs. glibc's ``malloc`` serves blocks above its *mmap threshold* with fresh
``mmap`` pages and unmaps them on ``free``, so every step touches new pages and pays a page
fault (and the kernel's zeroing) per 4 KiB. glibc raises the threshold as it sees such blocks
freed, but a step whose sizes change from batch to batch (packed constituents, valid pairs)
keeps it moving, and the heap that serves the smaller blocks fragments and grows.

Policies (set once, at the start of a command; forked loader workers inherit them):

``system`` (the default)
    Leave glibc's own adaptive behaviour (and ``MALLOC_*`` / ``GLIBC_TUNABLES`` settings) alone.
``reuse``
    Every block below 1 GiB comes from the heap and the heap is never trimmed: after the first
    steps no page is faulted again. The resident memory stays at its peak, and a step whose sizes
    change from batch to batch fragments the heap further.
``release``
    Blocks of 128 KiB and more are mapped and unmapped each time (a fixed threshold): memory goes
    back to the system as soon as it is freed. Least memory; every large tensor costs page faults.

Measured (1 thread, a loaded 2-core machine, README "Memory: --malloc"): GN2 training the same
speed under ``system`` and ``reuse``, about 27% slower under ``release``; ParticleTransformer on 32
constituents (valid pairs only, sizes change every batch), 4 epochs: peak RSS 2916 MB (``system``),
3118 MB (``reuse``, 19% faster), 988 MB (``release``, 38% slower).

Where the C library is not glibc (macOS, musl) or the environment already sets glibc's malloc
tunables, nothing is changed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from typing import Literal

MallocPolicy = Literal["system", "reuse", "release"]
POLICIES: tuple[str, ...] = ("system", "reuse", "release")

# mallopt(3) parameters (glibc's malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3

#: ``reuse``: blocks below this come from the heap (glibc accepts up to half its heap limit on 64 bits)
REUSE_BYTES = 1 << 30
#: ``release``: glibc's initial mmap threshold, kept fixed
RELEASE_BYTES = 128 << 10

_ENV_TUNABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_")


def _glibc() -> ctypes.CDLL | None:
    """The process's glibc, or None for another C library."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version.restype = ctypes.c_char_p
        libc.gnu_get_libc_version()
    except (OSError, AttributeError):
        return None
    return libc


def user_tunables() -> list[str]:
    """The glibc malloc settings this process's environment already makes (they win over a policy)."""
    found = [name for name in _ENV_TUNABLES if name in os.environ]
    if "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", ""):
        found.append("GLIBC_TUNABLES")
    return found


def set_malloc_policy(policy: str) -> bool:
    """Apply ``policy`` (one of :data:`POLICIES`) to this process; True when glibc's settings changed.

    Raises
    ------
    ValueError
        For an unknown policy.
    """
    if policy not in POLICIES:
        msg = f"Unknown --malloc policy {policy!r}: use one of {', '.join(POLICIES)}."
        raise ValueError(msg)
    if policy == "system" or user_tunables():
        return False
    libc = _glibc()
    if libc is None:
        return False
    if policy == "reuse":
        ok = libc.mallopt(M_MMAP_THRESHOLD, REUSE_BYTES) and libc.mallopt(M_TRIM_THRESHOLD, REUSE_BYTES)
    else:
        ok = libc.mallopt(M_MMAP_THRESHOLD, RELEASE_BYTES)
    return bool(ok)
