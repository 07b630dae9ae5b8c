"""Key synchronisation (section 6.1): planner, engine, chat status."""

from .engine import SyncEngine
from .events import EventKind, SyncEvent, SyncReport
from .keyring import KeyRing
from .planner import Action, CreateKey, ExportKey, Skip, plan
from .status import ChatListing, build_view, build_views, explain, list_entries

__all__ = [
    "Action", "ChatListing", "CreateKey", "EventKind", "ExportKey", "KeyRing", "Skip", "SyncEngine",
    "SyncEvent", "SyncReport", "build_view", "build_views", "explain", "list_entries", "plan",
]
