"""Process-wide tuning for a process whose event loop must stay responsive beside a sync.

Settings that change the whole interpreter belong to the program that owns
the process, not to a library that happens to run in it: the sync worker's
``main`` calls ``tune_process`` once its session is open, ``komandor-desktop
sync`` before its sync, and the benchmarks that run the engine in their own
process call it explicitly so that their figures are the worker's.
"""

from __future__ import annotations

import gc
import logging
import sys

log = logging.getLogger(__name__)

SWITCH_INTERVAL_S = 0.001  # longest wait of a thread for the GIL while another runs Python


def tune_process() -> None:
    """Bound the GIL hand-over and take what exists now out of the collector's reach.

    A sync runs its heavy steps in threads (parsing, the store, planning) next
    to an event loop, and each time the loop wants the GIL back from a thread
    that runs Python it waits out the switch interval (5 ms by default; one
    event can cost several such waits): 1 ms bounds that.

    A sync also allocates enough to set off full collections, which hold the
    GIL while they walk every tracked object (the modules, classes and schemas
    of the client are about 150,000: 60-90 ms per collection on a small
    machine). Call this once those long-lived objects exist (imports done,
    session open): what is garbage is collected first, the rest is frozen
    (``gc.freeze``: never walked again; reference counting still frees it).
    """
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
    log.debug("process tuned: %d objects frozen, switch interval %.1f ms",
              gc.get_freeze_count(), sys.getswitchinterval() * 1000)
