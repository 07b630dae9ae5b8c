"""Chat status as the server computes it (PROTOCOL.md §3).

*targets(chat)* = every active certificate of every member that can receive
keys; ``new`` = no key record; ``sync`` = every target holds an export;
``wait`` otherwise. The facts of many chats are loaded with a handful of
queries (members, certificates, key records, exports) so a list of a thousand
chats costs the same few round trips as a list of one.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from komandor_desktop.domain import ChatStatus

from .db import CertificateRow, ChatKeyRecord, ChatRow, KeyExport, Member
from .keytools import can_receive_pem


def now_ms() -> int:
    """Current Unix time in milliseconds (the unit of every time column)."""
    return int(time.time() * 1000)


def is_active(cert: CertificateRow, at_ms: int) -> bool:
    """§3: issued by us, within validity, neither revoked nor replaced."""
    return (
        cert.active
        and not cert.revoked
        and cert.replaced_at is None
        and cert.not_before <= at_ms <= cert.not_after
    )


@lru_cache(maxsize=4096)
def _can_receive(pem: str) -> bool:
    """Pure function of the PEM text; the cache only saves parsing time."""
    return can_receive_pem(pem)


@dataclass
class ChatFacts:
    """Everything the status rules need about one chat.

    Read-only once ``load_facts`` has filled it: the member pids and the targets
    are worked out on first use and kept, since a listing or a registration
    asks for them once per chat and again per entry.
    """

    chat: ChatRow
    members: list[Member] = field(default_factory=list)
    certs: dict[str, list[CertificateRow]] = field(default_factory=dict)  # active, by pid
    record: ChatKeyRecord | None = None
    exports: dict[str, KeyExport] = field(default_factory=dict)  # by cid
    _targets: tuple[CertificateRow, ...] | None = field(default=None, repr=False)

    @cached_property
    def member_pids(self) -> list[str]:
        return [m.pid for m in self.members]

    def targets(self) -> tuple[CertificateRow, ...]:
        """Active certificates of members that can receive keys, in member order."""
        if self._targets is None:
            self._targets = tuple(c for pid in self.member_pids for c in self.certs.get(pid, ())
                                  if _can_receive(c.pem))
        return self._targets

    @cached_property
    def target_ids(self) -> frozenset[tuple[str, str]]:
        """(cid, pid) of every target: rule 5 asks this once per entry."""
        return frozenset((c.cid, c.pid) for c in self.targets())

    def status(self) -> ChatStatus:
        if self.record is None:
            return ChatStatus.NEW
        if all(c.cid in self.exports for c in self.targets()):
            return ChatStatus.SYNC
        return ChatStatus.WAIT

    def wait_list(self) -> list[CertificateRow]:
        """Targets lacking a key (empty for sync chats)."""
        return [c for c in self.targets() if c.cid not in self.exports]


def _rows(session: Session, entity: type[Any], *where: Any,
          order_by: tuple[Any, ...] = ()) -> list[Any]:
    """Plain rows of an entity's table, read with the same attribute names.

    The facts are read-only, and listing thousands of chats would otherwise
    build (and track) tens of thousands of ORM objects: N x the cost of the query.
    The statement runs on the session's connection as plain Core (its ORM
    attributes would route even a table select through the ORM's row loading);
    pending ORM changes are flushed first, as the session's own execute would.
    """
    table = entity.__table__
    session.flush()
    return list(session.connection().execute(
        select(table).where(*where).order_by(*order_by)).all())


def active_certificates(session: Session, pids: Iterable[str] | Select[Any],
                        at_ms: int) -> dict[str, list[CertificateRow]]:
    """Active certificates of the given profiles (ids, or a query of ids), oldest
    first (read-only rows)."""
    wanted = pids if isinstance(pids, Select) else list(set(pids))
    found: dict[str, list[CertificateRow]] = defaultdict(list)
    if not isinstance(wanted, Select) and not wanted:
        return found
    for cert in _rows(session, CertificateRow, CertificateRow.pid.in_(wanted),
                      order_by=(CertificateRow.created_at, CertificateRow.cid)):
        if is_active(cert, at_ms):
            found[cert.pid].append(cert)
    return found


def load_facts(session: Session, chat_ids: Iterable[str], at_ms: int | None = None, *,
               member: str | None = None) -> dict[str, ChatFacts]:
    """The facts of the given chats (unknown ids are simply absent), as read-only rows.

    ``member``: the ids are every chat of this profile (a listing). The queries
    then select by membership instead of naming thousands of ids, which SQLite
    would first have to sort into a temporary index, once per query.
    """
    ids = list(dict.fromkeys(chat_ids))
    if not ids:
        return {}
    at_ms = now_ms() if at_ms is None else at_ms
    scope: list[str] | Select[Any] = ids
    if member is not None:
        scope = select(Member.chat_id).where(Member.pid == member)
    facts = {c.id: ChatFacts(c) for c in _rows(session, ChatRow, ChatRow.id.in_(scope))}
    for member_row in _rows(session, Member, Member.chat_id.in_(scope),
                            order_by=(Member.joined_at, Member.pid)):
        facts[member_row.chat_id].members.append(member_row)
    pids: Iterable[str] | Select[Any] = (m.pid for f in facts.values() for m in f.members)
    if member is not None:
        pids = select(Member.pid).where(Member.chat_id.in_(scope))
    certs = active_certificates(session, pids, at_ms)
    for fact in facts.values():
        fact.certs = {pid: certs.get(pid, []) for pid in fact.member_pids}
    for record in _rows(session, ChatKeyRecord, ChatKeyRecord.chat_id.in_(scope)):
        facts[record.chat_id].record = record
    for export in _rows(session, KeyExport, KeyExport.chat_id.in_(scope)):
        facts[export.chat_id].exports[export.cid] = export
    return facts


def chats_of(session: Session, pid: str) -> list[str]:
    """Ids of the chats a profile is a member of, in order of creation."""
    return list(session.scalars(
        select(ChatRow.id).join(Member, Member.chat_id == ChatRow.id)
        .where(Member.pid == pid).order_by(ChatRow.created_at, ChatRow.id)
    ))
