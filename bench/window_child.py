"""Launcher of one Qt measurement in a fresh process: ``python -m bench.window_child MODE ARGS``.

Free of imports on purpose: the crypto pool's workers are spawned and import
the parent's main module (this file) again, so whatever it imports at the top
every worker loads too. The real entry points import no Qt at module level
either; the measurement and Qt live in ``bench.window_modes``, which only the
measuring process loads.
"""

if __name__ == "__main__":
    from bench.window_modes import run

    run()
