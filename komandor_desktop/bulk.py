"""Helpers for building many small objects at once (the chat list of 10,000 chats).

Allocating tens of thousands of tuples sets off the cyclic garbage collector
again and again, and each full pass walks the whole heap (Qt wrappers,
pydantic schemas, SQLAlchemy metadata): measured, that cost more than the
list read itself and made its time swing by a factor of four.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """No automatic garbage collection inside; as before afterwards.

    Only for code that makes acyclic data (tuples, strings, frozen records):
    nothing it makes waits for the collector, so pausing frees nothing late.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
