"""The Komandor emulator: the project's reference server (PROTOCOL.md §6-§7).

A FastAPI app over its own SQLAlchemy database (all state, so several
workers can share one PostgreSQL), with a CA, JWT tokens, a demo world and
simulated contacts. It imports only ``protocol``, ``crypto``, ``domain`` and
``errors`` of the client, never the client's api, sync, store or gui.
"""

from .asgi import create_asgi_app
from .config import EmulatorConfig
from .seed import DEMO_CODE, DEMO_PHONE, UNREGISTERED_PHONE
from .server import EmulatorServer

__all__ = [
    "DEMO_CODE",
    "DEMO_PHONE",
    "UNREGISTERED_PHONE",
    "EmulatorConfig",
    "EmulatorServer",
    "create_asgi_app",
]
