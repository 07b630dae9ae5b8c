"""The key-sync planner: chats + identity -> actions, each with its reason.

A pure function of its inputs (PROTOCOL.md §4, the table "What the client
does"): no I/O, no private key. The executor carries the actions out. Keeping
the decision here, in one place, is what lets the CLI, the window and the
inspector all say the same thing about a chat.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .. import crypto
from ..domain import (
    Certificate,
    CertReason,
    Chat,
    ChatStatus,
    Identity,
    OutboxEntry,
    Reason,
)
from ..errors import CertificateRejected


@dataclass(frozen=True, slots=True)
class Rejected:
    """A target certificate that failed its checks and gets no key."""

    certificate: Certificate
    reason: CertReason


@dataclass(frozen=True, slots=True)
class CreateKey:
    """Make the chat's first key and export it to ``targets`` (a ``new`` chat).

    ``outbox`` is set when an earlier attempt left its entries in the outbox:
    then the same key is re-sent instead of a new one being made.
    """

    chat: Chat
    targets: tuple[Certificate, ...]
    rejected: tuple[Rejected, ...] = ()
    outbox: OutboxEntry | None = None
    reason: Reason = Reason.CREATING_KEYS


@dataclass(frozen=True, slots=True)
class ExportKey:
    """Export the key this certificate holds to the wait list (a ``wait`` chat)."""

    chat: Chat
    targets: tuple[Certificate, ...]
    rejected: tuple[Rejected, ...] = ()
    reason: Reason = Reason.EXPORTING_KEY


@dataclass(frozen=True, slots=True)
class Skip:
    """Nothing to send for this chat; ``reason`` None means it is usable."""

    chat: Chat
    reason: Reason | None
    detail: str | None = None
    rejected: tuple[Rejected, ...] = ()


Action = CreateKey | ExportKey | Skip


def own_certificate(identity: Identity) -> Certificate:
    """The current certificate of the viewer, as a target like any other."""
    return Certificate(pid=identity.pid, cid=identity.cid, pem=identity.certificate_pem,
                       hash=crypto.certificate_hash(crypto.load_certificate(identity.certificate_pem)))


def unique_by_cid(certs: Iterable[Certificate]) -> list[Certificate]:
    """Each certificate once, by ``cid``, first occurrence first."""
    seen: set[str] = set()
    out: list[Certificate] = []
    for cert in certs:
        if cert.cid not in seen:
            seen.add(cert.cid)
            out.append(cert)
    return out


def _hash_of(cert: Certificate) -> str | None:
    try:
        return crypto.parse_certificate(cert.pem).hash
    except CertificateRejected:
        return None


def _misclaims_own(cert: Certificate, own: Certificate) -> bool:
    """Whether the server lists the viewer's current certificate wrongly.

    Our ``cid`` with another pid or another certificate would make us encrypt
    to a key the server chose while skipping every check (own is trusted);
    our certificate under another cid or pid is a lie about who holds it.
    """
    if cert.cid == own.cid:
        return cert.pid != own.pid or _hash_of(cert) != own.hash
    return _hash_of(cert) == own.hash


def check_targets(
    certs: Iterable[Certificate], *, identity: Identity, trust_anchor: Any, now: datetime | None,
    own: Certificate | None = None, members: set[str] | None = None,
) -> tuple[list[Certificate], list[Rejected]]:
    """Split certificates into those a key may be exported to and the rejected.

    The viewer's own current certificate is trusted as it is (it came from our
    own login), but only in our own copy: a listed entry that misuses it is
    rejected as WRONG_OWNER. With ``members`` (the pids of the chat), an entry
    of any other pid is rejected as NOT_A_MEMBER before its checks.
    """
    own = own or own_certificate(identity)
    good: list[Certificate] = []
    bad: list[Rejected] = []
    for cert in unique_by_cid(certs):
        if _misclaims_own(cert, own):
            bad.append(Rejected(cert, CertReason.WRONG_OWNER))
            continue
        if cert.cid == identity.cid:
            good.append(own)
            continue
        if members is not None and cert.pid not in members:
            bad.append(Rejected(cert, CertReason.NOT_A_MEMBER))
            continue
        try:
            crypto.check_recipient(cert, trust_anchor=trust_anchor, now=now)
        except CertificateRejected as exc:
            bad.append(Rejected(cert, exc.reason))
        else:
            good.append(cert)
    return good, bad


def members_of(chat: Chat, identity: Identity) -> set[str]:
    """The chat's profiles as far as the client can tell: the viewer and every pid
    of ``certificates``.

    ``waitList`` is a subset of the members' certificates (PROTOCOL.md §3), so
    a wait-list entry of any other pid is a certificate the server slipped in;
    it is refused even when it chains to the anchor (decision for §4, which
    says "export to every certificate in waitList": only members' are meant).
    """
    return {c.pid for c in chat.certificates} | {identity.pid}


def _plan_new(chat: Chat, *, identity: Identity, own: Certificate, trust_anchor: Any,
              outbox: OutboxEntry | None, now: datetime | None) -> Action:
    if not chat.certificates and not chat.favorites:
        return Skip(chat, Reason.CONTACT_NOT_REGISTERED)
    good, bad = check_targets((*chat.certificates, *chat.wait_list, own),
                              identity=identity, trust_anchor=trust_anchor, now=now, own=own,
                              members=members_of(chat, identity))
    if all(c.cid != own.cid for c in good):
        good.append(own)  # a misclaimed entry of our cid came first and was refused
    others = [c for c in good if c.pid != identity.pid]
    if bad and not others and not chat.favorites:
        return Skip(chat, Reason.CERTIFICATE_REJECTED, rejected=tuple(bad))
    if outbox is not None and outbox.own_cid != identity.cid:
        outbox = None
    return CreateKey(chat, tuple(good), tuple(bad), outbox)


def _plan_wait(chat: Chat, *, identity: Identity, own: Certificate, trust_anchor: Any,
               now: datetime | None) -> Action:
    if chat.chat_key is None:
        return Skip(chat, Reason.WAITING_FOR_KEY)
    good, bad = check_targets(chat.wait_list, identity=identity, trust_anchor=trust_anchor,
                              now=now, own=own, members=members_of(chat, identity))
    wanted = [c for c in good if c.cid != identity.cid]
    if not wanted:
        if bad:
            return Skip(chat, Reason.CERTIFICATE_REJECTED, rejected=tuple(bad))
        return Skip(chat, Reason.WAITING_FOR_KEY)
    return ExportKey(chat, tuple(wanted), tuple(bad))


def plan(
    chats: Iterable[Chat],
    *,
    identity: Identity,
    trust_anchor: Any,
    outbox: Mapping[str, OutboxEntry],
    now: datetime | None = None,
    own: Certificate | None = None,
) -> list[Action]:
    """Decide, for every chat, what this device does in this pass.

    Args:
        chats: the chats of the last refresh.
        identity: the viewer; its current certificate is always a target of a
            new key (PROTOCOL.md §4).
        trust_anchor: the CA certificate handed out at login, or None.
        outbox: pending creations of this client, by chat id.
        now: the time certificates are checked at (tests fix it).
        own: the viewer's current certificate, when the caller already has it.
    """
    own = own or own_certificate(identity)
    actions: list[Action] = []
    for chat in chats:
        if chat.status is ChatStatus.NEW and chat.chat_key is None:
            actions.append(_plan_new(chat, identity=identity, own=own, trust_anchor=trust_anchor,
                                     outbox=outbox.get(chat.id), now=now))
        elif chat.status is ChatStatus.WAIT:
            actions.append(_plan_wait(chat, identity=identity, own=own,
                                      trust_anchor=trust_anchor, now=now))
        elif chat.status is ChatStatus.SYNC and chat.chat_key is None:
            actions.append(Skip(chat, Reason.KEY_MISSING))
        else:
            actions.append(Skip(chat, None))
    return actions
