"""The real client over a world: profile, store, ApiClient and SyncEngine.

What ``session.Session`` wires, except that the server URL and transport are
the benchmark's (the identity remembers the in-process URL it logged in at).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from komandor_desktop.api import ApiClient
from komandor_desktop.identity import Profile
from komandor_desktop.session import STORE_FILE
from komandor_desktop.store import Store
from komandor_desktop.sync import SyncEngine

from .world import LOCAL, PASSPHRASE


class Client:
    """One signed-in device of the viewer over ``home``."""

    def __init__(self, home: Path, *, url: str = LOCAL,
                 transport: httpx.AsyncBaseTransport | None = None,
                 listener: Callable[[Any], None] | None = None) -> None:
        self.profile = Profile.load(home, PASSPHRASE)
        self.store = Store(home / STORE_FILE)
        self.client = ApiClient(url, transport=transport, token=self.profile.token,
                                reauth=self.profile.reauth, timeout=300.0)
        self.engine = SyncEngine(self.client, self.store, self.profile, listener=listener)

    async def aclose(self) -> None:
        self.engine.close()
        await self.client.aclose()
        self.store.close()
