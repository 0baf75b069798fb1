"""Returning freed memory to the operating system after a large batch."""

from __future__ import annotations

import ctypes
import functools
from typing import Any


def release_freed_memory() -> None:
    """Hand heap pages freed since the last call back to the OS (glibc's ``malloc_trim``).

    A batch's KV cache is dozens of tensors of a few MB each; glibc serves such sizes from
    its heap once some have been freed (its mmap threshold adapts upwards) and keeps freed
    pages resident, so the resident size after a batch would say little about what is live.
    Elsewhere than glibc this does nothing.
    """
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


@functools.cache
def _glibc() -> Any:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim  # noqa: B018 - present only in glibc
    except (OSError, AttributeError):
        return None
    return libc
