"""What the sync engine tells its listener and its caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class EventKind(StrEnum):
    """Kinds of engine events; the GUI bridge re-emits each as a Signal."""

    STARTED = "started"  # a sync began
    REFRESHED = "refreshed"  # the store was refreshed; `changed` ids
    PROGRESS = "progress"  # `done` of `total` key entries prepared or sent
    RETRY = "retry"  # a request failed and is retried after `delay` s (`message` says why)
    DONE = "done"  # the sync finished; `report` is set
    ERROR = "error"  # the sync stopped with an error (`message`)
    OFFLINE = "offline"  # the server could not be reached after retries
    SIGNED_OUT = "signed_out"  # neither the token nor the certificate sign-in worked


@dataclass(frozen=True, slots=True)
class SyncEvent:
    """One event of the engine, delivered to ``listener(event)``."""

    kind: EventKind
    done: int = 0
    total: int = 0
    message: str = ""
    delay: float = 0.0
    changed: frozenset[str] = frozenset()
    report: SyncReport | None = None


@dataclass(frozen=True, slots=True)
class SyncReport:
    """The outcome of ``SyncEngine.sync`` (CLI.md `sync --json`)."""

    registered: int
    rounds: int
    status: dict[str, int]
    errors: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {"registered": self.registered, "rounds": self.rounds,
                "status": dict(self.status), "errors": list(self.errors)}
