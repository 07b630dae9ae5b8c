"""Key sync of 10,000 keys: in process (ASGITransport) and over loopback (uvicorn).

Each run starts from a fresh copy of the world; the bare-crypto baseline runs
right before each measured sync, so both see the same machine load. The process
is tuned as the sync worker tunes its own (``runtime.tune_process``), outside
the measured time.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from komandor_desktop.emulator.asgi import create_asgi_app
from komandor_desktop.emulator.config import EmulatorConfig
from komandor_desktop.runtime import tune_process

from . import baseline
from .client import Client
from .common import RUNS, Result, SpawnedEmulator
from .world import World


async def _sync(world: World, *, url: str | None) -> tuple[float, float]:
    """(wall, cpu) seconds of one whole first sync, refetch and store refresh included."""
    app = None
    if url is None:
        app = create_asgi_app(EmulatorConfig(db_url=world.db_url()))
        client = Client(world.home, transport=httpx.ASGITransport(app=app))
    else:
        client = Client(world.home, url=url)
    tune_process()  # as the sync worker's main does (runtime.py)
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        report = await client.engine.sync()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        await client.aclose()
        if app is not None:
            app.state.emulator.close()
    if report.registered != world.keys or report.errors:
        raise RuntimeError(f"the sync did not register every key: {report}")
    return wall, cpu


def _run(template: World, scratch: Path, *, loopback: bool, runs: int) -> Result:
    name = "key sync, loopback (own process)" if loopback else "key sync, in process"
    walls, cpus, bases = [], [], []
    for _ in range(runs):
        world = template.fresh(scratch)
        bases.append(baseline.run(baseline.load_work(world)))
        if loopback:
            with SpawnedEmulator(world.db_url()) as server:
                wall, cpu = asyncio.run(_sync(world, url=server.url))
        else:
            wall, cpu = asyncio.run(_sync(world, url=None))
        walls.append(wall)
        cpus.append(cpu)
    return Result(name, "s", walls, bases, 2.5 if loopback else 2.0,
                  notes={"keys": template.keys, "client_cpu_s": cpus,
                         "baseline": "bare crypto (cryptography, tight loop)"})


def in_process(template: World, scratch: Path, runs: int = RUNS) -> Result:
    return _run(template, scratch, loopback=False, runs=runs)


def loopback(template: World, scratch: Path, runs: int = RUNS) -> Result:
    return _run(template, scratch, loopback=True, runs=runs)
