"""The sync worker's contract: what the window asks of it and what it tells the window.

The sync engine runs in a worker (``python -m komandor_desktop.worker``: a
process of its own, so that HTTP, parsing, planning, crypto and store writes
never hold the window's interpreter). The window and the worker talk only in
the messages below, one JSON object per line over the worker's standard input
and output; each message is a frozen dataclass, and each outcome of a pass is
reported exactly once, as an event (the window never sees the engine's
exceptions).

Commands (window → worker):
    Open(home, passphrase)  the first line: the profile to sync (the passphrase
                            travels over the pipe, never in argv or the environment)
    SyncNow(phones)         run one sync pass (adding these normalised phones)
    Stop()                  finish the running pass's current step and exit 0

Events (worker → window):
    Ready(pid)              the profile is open; commands are taken
    Started()               a pass began
    Progress(done, total)   key entries prepared or sent in the running pass
    Retrying(message, delay) a request failed and is retried after ``delay`` s
    ChatsChanged(ids)       the store was refreshed; these chat ids changed
    Finished(at_ms, report) the pass succeeded (``report``: CLI.md ``sync --json``)
    Offline(message)        the server could not be reached after retries
    SignedOut(message)      neither the token nor the certificate sign-in worked
    Failed(message)         the pass stopped for another reason
    Stopped()               the worker is about to exit after ``Stop``

A worker that exits without ``Stopped`` crashed; the window restarts it
(``gui/worker.py``). A worker whose standard input closes (the window is gone,
even by SIGKILL) exits by itself, so no worker outlives its window.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any, ClassVar

VERSION = 1
MAX_LINE = 1 << 20  # one message; a changed-ids list of 10,000 chats is ~0.5 MB


class ContractError(ValueError):
    """A line that is not a message of this contract."""


@dataclass(frozen=True, slots=True)
class Message:
    """Base of every message; ``kind`` names it on the wire."""

    kind: ClassVar[str] = ""


# -- commands -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Open(Message):
    kind: ClassVar[str] = "open"
    home: str
    passphrase: str

    def __repr__(self) -> str:  # never print a passphrase, not even in a log
        return f"Open(home={self.home!r}, passphrase=<hidden>)"


@dataclass(frozen=True, slots=True)
class SyncNow(Message):
    kind: ClassVar[str] = "sync_now"
    phones: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Stop(Message):
    kind: ClassVar[str] = "stop"


# -- events -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ready(Message):
    kind: ClassVar[str] = "ready"
    pid: int


@dataclass(frozen=True, slots=True)
class Started(Message):
    kind: ClassVar[str] = "started"


@dataclass(frozen=True, slots=True)
class Progress(Message):
    kind: ClassVar[str] = "progress"
    done: int
    total: int


@dataclass(frozen=True, slots=True)
class Retrying(Message):
    kind: ClassVar[str] = "retrying"
    message: str
    delay: float


@dataclass(frozen=True, slots=True)
class ChatsChanged(Message):
    kind: ClassVar[str] = "chats_changed"
    ids: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Finished(Message):
    kind: ClassVar[str] = "finished"
    at_ms: int
    report: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Offline(Message):
    kind: ClassVar[str] = "offline"
    message: str


@dataclass(frozen=True, slots=True)
class SignedOut(Message):
    kind: ClassVar[str] = "signed_out"
    message: str


@dataclass(frozen=True, slots=True)
class Failed(Message):
    kind: ClassVar[str] = "failed"
    message: str


@dataclass(frozen=True, slots=True)
class Stopped(Message):
    kind: ClassVar[str] = "stopped"


COMMANDS: tuple[type[Message], ...] = (Open, SyncNow, Stop)
EVENTS: tuple[type[Message], ...] = (Ready, Started, Progress, Retrying, ChatsChanged,
                                     Finished, Offline, SignedOut, Failed, Stopped)
OUTCOMES: tuple[type[Message], ...] = (Finished, Offline, SignedOut, Failed)
_BY_KIND = {cls.kind: cls for cls in (*COMMANDS, *EVENTS)}


def encode(message: Message) -> bytes:
    """One line of the wire: ``{"v": 1, "kind": ..., <fields>}\\n`` (UTF-8 JSON)."""
    body = asdict(message)
    for name, value in body.items():
        if isinstance(value, frozenset | tuple):
            body[name] = sorted(value) if isinstance(value, frozenset) else list(value)
    return json.dumps({"v": VERSION, "kind": message.kind, **body},
                      ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


_TYPES: dict[str, type | tuple[type, ...]] = {
    "str": str, "int": int, "float": (int, float), "tuple[str, ...]": list,
    "frozenset[str]": list, "dict[str, Any]": dict,
}


def decode(line: bytes | str, allowed: tuple[type[Message], ...] | None = None) -> Message:
    """The message of one line; ``ContractError`` for anything else.

    Args:
        allowed: the message classes this side accepts (``COMMANDS`` or ``EVENTS``).
    """
    if len(line) > MAX_LINE:
        raise ContractError(f"a message of {len(line)} bytes is over the {MAX_LINE} cap")
    try:
        doc = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ContractError(f"not JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("v") != VERSION:
        raise ContractError("not a message of contract version 1")
    cls = _BY_KIND.get(doc.get("kind"))  # type: ignore[arg-type]
    if cls is None or (allowed is not None and cls not in allowed):
        raise ContractError(f"unexpected message kind {doc.get('kind')!r}")
    values: dict[str, Any] = {}
    for spec in fields(cls):
        if spec.name not in doc:
            if spec.default is MISSING and spec.default_factory is MISSING:
                raise ContractError(f"{cls.kind}: missing {spec.name!r}")
            continue
        value: Any = doc[spec.name]
        expected = _TYPES[str(spec.type)]
        if not isinstance(value, expected) or isinstance(value, bool):
            raise ContractError(f"{cls.kind}: {spec.name!r} is not {spec.type}")
        if isinstance(value, list):
            if not all(isinstance(item, str) for item in value):
                raise ContractError(f"{cls.kind}: {spec.name!r} holds a non-string")
            value = tuple(value) if spec.type == "tuple[str, ...]" else frozenset(value)
        values[spec.name] = value
    return cls(**values)
