"""What every benchmark shares: the result record, medians, a spawned emulator."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RUNS = 3


@dataclass
class Result:
    """One row of the table: the median figures of ``runs`` and the verdict.

    ``ratio`` is measured / baseline when there is a baseline; otherwise the
    budget is on the measured figure itself (``budget_kind`` "absolute").
    """

    name: str
    unit: str
    measured: list[float]
    baseline: list[float] | None
    budget: float
    budget_kind: str = "ratio"  # or "absolute"
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def measured_median(self) -> float:
        return statistics.median(self.measured)

    @property
    def baseline_median(self) -> float | None:
        return None if self.baseline is None else statistics.median(self.baseline)

    @property
    def ratio(self) -> float | None:
        base = self.baseline_median
        return None if not base else self.measured_median / base

    @property
    def score(self) -> float:
        """The figure compared with the budget."""
        ratio = self.ratio
        return ratio if self.budget_kind == "ratio" and ratio is not None else self.measured_median

    @property
    def ok(self) -> bool:
        return self.score <= self.budget

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(measured_median=self.measured_median, baseline_median=self.baseline_median,
                   ratio=self.ratio, score=self.score, ok=self.ok)
        return out


def median(values: list[float]) -> float:
    return statistics.median(values)


READY = re.compile(r"listening on (http://\S+)")


class SpawnedEmulator:
    """``python -m komandor_desktop.emulator`` over a database, in its own process."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self.url = ""
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> SpawnedEmulator:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "komandor_desktop.emulator", "--db", self.db_url,
             "--port", "0"], stdout=subprocess.PIPE, text=True, env=env,
            cwd=Path(__file__).resolve().parent.parent)
        assert self._proc.stdout is not None
        deadline = time.monotonic() + 60
        for line in self._proc.stdout:
            found = READY.search(line)
            if found:
                self.url = found.group(1)
                return self
            if time.monotonic() > deadline:
                break
        self.__exit__(None, None, None)
        raise RuntimeError("the emulator did not start")

    def __exit__(self, *_exc: object) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None


def lift_body_cap(limit: int) -> None:
    """Let this process's client read response bodies up to ``limit`` bytes.

    A benchmark knob, not the product's: the client refuses bodies over
    ``protocol.MAX_BODY_BYTES`` (256 MB), both when reading them
    (``ApiClient.max_body_bytes``) and when decoding them (``parse_envelope``).
    ``bench.scale --lift-cap`` raises both to measure sizes past the cap.
    """
    from komandor_desktop.api import client
    from komandor_desktop.protocol import envelope

    envelope.MAX_BODY_BYTES = limit
    client.ApiClient.max_body_bytes = limit
