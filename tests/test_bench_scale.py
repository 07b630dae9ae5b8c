"""``bench.scale``: the log-log fit, the table, the JSON and the PNG, on synthetic figures.

No measurement and no time here: the figures are made from known laws (n², n,
n log n, a constant) so the fitted exponents are known.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from bench import scale

SIZES = (1000, 10_000, 50_000)


def test_fit_finds_the_exponent_of_a_power_law() -> None:
    for k in (0.0, 0.5, 1.0, 2.0):
        found = scale.fit(SIZES, [3e-6 * n ** k for n in SIZES])
        assert found is not None
        assert found.exponent == pytest.approx(k, abs=1e-9)
        assert found.coefficient == pytest.approx(3e-6, rel=1e-6)
        assert found.r2 == pytest.approx(1.0)
        assert found.at(20_000) == pytest.approx(3e-6 * 20_000 ** k, rel=1e-6)


def test_n_log_n_fits_a_little_over_one() -> None:
    linear = scale.fit(SIZES, [float(n) for n in SIZES])
    nlogn = scale.fit(SIZES, [n * math.log(n) for n in SIZES])
    assert linear is not None
    assert nlogn is not None
    assert 1.05 < nlogn.exponent < 1.2
    assert nlogn.exponent > linear.exponent
    assert nlogn.r2 > 0.999  # n log n looks straight on a log-log plot over this range


def test_fit_skips_missing_points_and_needs_two() -> None:
    found = scale.fit(SIZES, [1.0, None, 25.0])
    assert found is not None
    assert found.points == 2
    assert found.exponent == pytest.approx(math.log(25) / math.log(50))
    assert scale.fit(SIZES, [1.0, None, None]) is None
    assert scale.fit(SIZES, [0.0, -1.0, 2.0]) is None  # only positive figures have a log


def test_steps_are_the_local_exponents() -> None:
    values = [1.0, 10.0, 10.0 * 5 ** 2]  # linear, then quadratic
    assert scale.steps(SIZES, values) == pytest.approx([1.0, 2.0])
    assert scale.steps(SIZES, [1.0, None, 3.0]) == [None, None]


def _point(n: int) -> dict[str, Any]:
    """A measured size as ``measure_size`` returns it, from known laws."""
    figures = {
        "sync": [2e-4 * n * math.log(n), 2.1e-4 * n * math.log(n)],  # n log n, 2 runs
        "sync_base": [1e-4 * n],
        "store": [1e-8 * n ** 2],
        "store_base": [5e-5 * n],
        "window": [0.05],  # constant
        "window_base": [0.04],
        "mem_main": [100 + n / 100],
        "mem_main_growth": [n / 100],
        "mem_worker": [40.0 * n ** 0.5],
    }
    return {"n": n, "figures": figures, "notes": {"errors": {}, "step_s": {}}}


def _fake_measure(n: int, scratch: Path, runs: int, body_cap: int | None) -> dict[str, Any]:
    point = _point(n)
    if n == SIZES[-1] and body_cap is None:  # what a sync over the body cap leaves
        point["figures"].update(sync=[], sync_base=[], mem_main=[], mem_main_growth=[],
                                mem_worker=[])
        point["notes"]["errors"] = {
            "sync": "ResponseTooLarge: the response body is over 268435456 bytes",
            "memory": "skipped: the sync failed with ResponseTooLarge"}
    return point


def test_summary_exponents_and_ratios() -> None:
    summary = scale.summarise([_point(n) for n in SIZES])
    by_key = {c["key"]: c for c in summary["curves"]}
    assert by_key["store"]["exponent"] == pytest.approx(2.0)
    assert by_key["sync_base"]["exponent"] == pytest.approx(1.0)
    assert by_key["window"]["exponent"] == pytest.approx(0.0, abs=1e-9)
    assert by_key["mem_worker"]["exponent"] == pytest.approx(0.5)
    assert 1.05 < by_key["sync"]["exponent"] < 1.2
    assert by_key["sync"]["values"][0] == pytest.approx(2.05e-4 * 1000 * math.log(1000))
    ratios = {r["label"]: r for r in summary["ratios"]}
    assert ratios["store refresh, first time / baseline"]["exponent"] == pytest.approx(1.0)
    text = scale.table(summary)
    assert "50,000" in text
    assert "2.00" in text


def test_run_writes_json_and_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    points = scale.run(SIZES, 1, tmp_path / "scratch", None, measure=_fake_measure)
    png, out = tmp_path / "docs" / "scaling.png", tmp_path / "bench-scale.json"
    report = scale.write(points, json_path=out, png_path=png,
                         machine={"nproc": 2, "cpu": "test", "python": "3.11"},
                         extra={"runs": 1, "lift_cap": False})
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 20_000  # two panels, not an empty canvas
    saved = json.loads(out.read_text())
    assert saved == json.loads(json.dumps(report))
    by_key = {c["key"]: c for c in saved["curves"]}
    assert by_key["sync"]["values"][-1] is None
    assert by_key["sync"]["exponent"] is not None  # fitted on the two points measured
    assert by_key["store"]["exponent"] == pytest.approx(2.0)
    assert saved["points"][-1]["errors"]["sync"].startswith("ResponseTooLarge")
    text = scale.table(saved)
    assert "over cap" in text
    assert "failed" not in text


def test_sizes_flag() -> None:
    assert scale._sizes("50000,1000,10_000") == (1000, 10_000, 50_000)
    with pytest.raises(Exception, match="sizes"):
        scale._sizes("3")


def test_replot_draws_a_saved_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    points = scale.run(SIZES, 1, tmp_path / "scratch", None, measure=_fake_measure)
    out = tmp_path / "bench-scale.json"
    scale.write(points, json_path=out, png_path=tmp_path / "first.png",
                machine={"nproc": 2}, extra={"runs": 1, "lift_cap": False})
    again = tmp_path / "again.png"
    assert scale.main(["--replot", str(out), "--png", str(again)]) == 0
    assert again.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "exponent" in capsys.readouterr().out
