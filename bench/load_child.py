"""One first full sync of a load world; prints wall seconds and the peak RSS as JSON.

The client is imported inside ``_sync``, not at the top: the crypto pool's
workers are spawned and import this main module again, and ``.client`` pulls
in the whole client and, through ``.world``, the emulator (FastAPI): 55 MB of
modules in every worker that it never uses (90 MB a worker instead of 35).
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from pathlib import Path


async def _sync(home: Path, url: str) -> object:
    from komandor_desktop.runtime import tune_process

    from .client import Client

    client = Client(home, url=url)
    tune_process()  # as the sync worker's main does
    try:
        return await client.engine.sync()
    finally:
        await client.aclose()


def main() -> int:
    home, url, keys = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    started = time.perf_counter()
    report = asyncio.run(_sync(home, url))
    wall = time.perf_counter() - started
    if report.registered != keys or report.errors:  # type: ignore[attr-defined]
        print(f"incomplete sync: {report}", file=sys.stderr)
        return 1
    # the pool's worker processes count too: they hold the client's crypto
    peak_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(json.dumps({"wall_s": wall, "peak_rss_mb": peak_kb / 1024}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
