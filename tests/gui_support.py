"""Constants shared by the window tests (the fixtures are in conftest.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

NOW = datetime(2025, 6, 18, 15, 40, tzinfo=timezone(timedelta(hours=3)))
NOW_MS = int(NOW.timestamp() * 1000)
