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
from functools import lru_cache
from typing import Any

from sqlalchemy import select
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
    """Everything the status rules need about one chat."""

    chat: ChatRow
    members: list[Member] = field(default_factory=list)
    certs: dict[str, list[CertificateRow]] = field(default_factory=dict)  # active, by pid
    record: ChatKeyRecord | None = None
    exports: dict[str, KeyExport] = field(default_factory=dict)  # by cid

    @property
    def member_pids(self) -> list[str]:
        return [m.pid for m in self.members]

    def targets(self) -> list[CertificateRow]:
        """Active certificates of members that can receive keys, in member order."""
        return [c for pid in self.member_pids for c in self.certs.get(pid, ())
                if _can_receive(c.pem)]

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
    """
    table = entity.__table__
    return list(session.execute(select(table).where(*where).order_by(*order_by)).all())


def active_certificates(session: Session, pids: Iterable[str],
                        at_ms: int) -> dict[str, list[CertificateRow]]:
    """Active certificates of the given profiles, oldest first (read-only rows)."""
    wanted = list(set(pids))
    found: dict[str, list[CertificateRow]] = defaultdict(list)
    if not wanted:
        return found
    for cert in _rows(session, CertificateRow, CertificateRow.pid.in_(wanted),
                      order_by=(CertificateRow.created_at, CertificateRow.cid)):
        if is_active(cert, at_ms):
            found[cert.pid].append(cert)
    return found


def load_facts(session: Session, chat_ids: Iterable[str],
               at_ms: int | None = None) -> dict[str, ChatFacts]:
    """The facts of the given chats (unknown ids are simply absent), as read-only rows."""
    ids = list(dict.fromkeys(chat_ids))
    if not ids:
        return {}
    at_ms = now_ms() if at_ms is None else at_ms
    facts = {c.id: ChatFacts(c) for c in _rows(session, ChatRow, ChatRow.id.in_(ids))}
    for member in _rows(session, Member, Member.chat_id.in_(ids),
                        order_by=(Member.joined_at, Member.pid)):
        facts[member.chat_id].members.append(member)
    certs = active_certificates(session, (m.pid for f in facts.values() for m in f.members), at_ms)
    for fact in facts.values():
        fact.certs = {pid: certs.get(pid, []) for pid in fact.member_pids}
    for record in _rows(session, ChatKeyRecord, ChatKeyRecord.chat_id.in_(ids)):
        facts[record.chat_id].record = record
    for export in _rows(session, KeyExport, KeyExport.chat_id.in_(ids)):
        facts[export.chat_id].exports[export.cid] = export
    return facts


def chats_of(session: Session, pid: str) -> list[str]:
    """Ids of the chats a profile is a member of, in order of creation."""
    return list(session.scalars(
        select(ChatRow.id).join(Member, Member.chat_id == ChatRow.id)
        .where(Member.pid == pid).order_by(ChatRow.created_at, ChatRow.id)
    ))
