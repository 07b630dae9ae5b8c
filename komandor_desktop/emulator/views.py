"""``GET /api/v2/chats/`` as one viewer sees it (PROTOCOL.md §2-§3).

``chat`` builds one chat as a ``domain.Chat``, serialised with
``protocol.chat_to_wire``, the same function the client's tests use, so the
emulator cannot send a shape the client's parser does not know. A listing of
thousands of chats (``chat_list``) writes the same objects directly instead,
with each certificate's entry made once per listing (a member's certificate
appears in every chat they are in): building 20,000 domain certificates to
serialise them again cost more than the rest of the request.
``tests/test_emulator_listing.py`` holds the two to the same bytes. What differs
per viewer: the ``profile*`` fields and ``certificates`` (the other side of a
personal chat; oneself in Favorites; "Командор" in the system chat; the
other members in groups), ``chatKey`` (the export to the viewer's current
certificate, with its signer) and ``unreadMessages``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from komandor_desktop.domain import (
    Certificate,
    Chat,
    ChatKey,
    ChatStatus,
    ChatType,
    ProfileType,
)
from komandor_desktop.protocol import chat_to_wire

from . import wire
from .db import CertificateRow, Message, Profile
from .keytools import to_domain
from .rules import ChatFacts, chats_of, load_facts

SYSTEM_NAME = wire.SYSTEM_NAME


def chat_list(session: Session, viewer_pid: str, viewer_cid: str,
              system_pid: str, *, direct: bool = True) -> list[dict[str, Any]]:
    """Every chat of the viewer, oldest first, as wire JSON objects.

    ``direct=False`` goes through ``domain.Chat`` and ``chat_to_wire`` (the
    reference the direct writer is tested against).
    """
    ids = chats_of(session, viewer_pid)
    facts = load_facts(session, ids, member=viewer_pid)
    # only personal chats show a profile (the viewer's own in Favorites), not groups
    pids = {viewer_pid} | {m.pid for f in facts.values() if f.chat.chat_type == ChatType.PERSONAL
                           for m in f.members}
    profiles = {p.id: p for p in session.scalars(select(Profile).where(Profile.id.in_(pids)))}
    last = _last_messages(session, ids)
    signers = _signer_certificates(session, facts.values(), viewer_cid)
    context = _Context(viewer_pid, viewer_cid, system_pid, profiles, signers)
    if not direct:
        return [chat_to_wire(_build(facts[i], last.get(i), context)) for i in ids]
    writer = wire.ListingWriter()
    return [writer.chat(facts[i], last.get(i), context) for i in ids]


class _Context:
    """What every chat of one listing needs besides its own facts."""

    def __init__(self, viewer_pid: str, viewer_cid: str, system_pid: str,
                 profiles: dict[str, Profile], signers: dict[str, CertificateRow]) -> None:
        self.viewer_pid = viewer_pid
        self.viewer_cid = viewer_cid
        self.system_pid = system_pid
        self.profiles = profiles
        self.signers = signers


def _build(facts: ChatFacts, last: Message | None, ctx: _Context) -> Chat:
    status = facts.status()
    me = next(m for m in facts.members if m.pid == ctx.viewer_pid)
    others = [pid for pid in facts.member_pids if pid != ctx.viewer_pid]
    fields = _kind_fields(facts, others, ctx)
    return Chat(
        id=facts.chat.id,
        status=status,
        chat_type=ChatType(facts.chat.chat_type),
        favorites=facts.chat.favorites,
        wait_list=() if status is ChatStatus.SYNC
        else tuple(to_domain(c) for c in facts.wait_list()),
        chat_key=_chat_key(facts, ctx),
        last_message_text=None if last is None else last.ciphertext,
        last_message_status=None if last is None else last.status,
        last_message_time=None if last is None else last.time_ms,
        unread=max(0, me.unread),
        **fields,
    )


def _kind_fields(facts: ChatFacts, others: list[str], ctx: _Context) -> dict[str, Any]:
    """profile*, chatName and certificates by the kind of chat (§2's table)."""
    chat = facts.chat
    if chat.chat_type != ChatType.PERSONAL:
        certs = tuple(to_domain(c) for pid in others for c in facts.certs.get(pid, ()))
        return {"chat_name": chat.name or "", "certificates": certs}
    if chat.favorites:
        return {**_profile_fields(ctx.profiles[ctx.viewer_pid]), "certificates": ()}
    other = others[0] if others else ctx.viewer_pid
    certs = tuple(to_domain(c) for c in facts.certs.get(other, ()))
    if other == ctx.system_pid:
        return {"profile_name": SYSTEM_NAME, "profile_type": ProfileType.SYS,
                "profile_verified": True, "certificates": certs}
    return {**_profile_fields(ctx.profiles[other]), "certificates": certs}


def _profile_fields(profile: Profile) -> dict[str, Any]:
    return {
        "profile_name": profile.name,
        "profile_company": profile.company,
        "profile_company_id": profile.company_id,
        "profile_title": profile.title,
        "profile_phone": profile.phone,
        "profile_photo": profile.photo,
        "profile_type": ProfileType(profile.type),
        "profile_verified": bool(profile.verified),
    }


def _chat_key(facts: ChatFacts, ctx: _Context) -> ChatKey | None:
    """The export for the viewer's current certificate, with who signed it."""
    export = facts.exports.get(ctx.viewer_cid)
    if export is None or facts.record is None:
        return None
    signer = ctx.signers.get(export.signer_cid)
    signer_cert: Certificate | None = None if signer is None else to_domain(signer)
    return ChatKey(id=facts.record.key_id, key=export.key, signer_pid=export.signer_pid,
                   signer_cid=export.signer_cid, signer_certificate=signer_cert,
                   sign=export.sign)


def _signer_certificates(session: Session, facts: Any,
                         viewer_cid: str) -> dict[str, CertificateRow]:
    """Signers' certificates, whether still active or not: keys outlive certificates."""
    cids = {f.exports[viewer_cid].signer_cid for f in facts if viewer_cid in f.exports}
    if not cids:
        return {}
    rows = session.scalars(select(CertificateRow).where(CertificateRow.cid.in_(cids)))
    return {c.cid: c for c in rows}


def _last_messages(session: Session, chat_ids: list[str]) -> dict[str, Message]:
    if not chat_ids:
        return {}
    newest = (select(func.max(Message.id)).where(Message.chat_id.in_(chat_ids))
              .group_by(Message.chat_id))
    return {m.chat_id: m for m in session.scalars(select(Message).where(Message.id.in_(newest)))}
