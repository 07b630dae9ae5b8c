"""What the chat inspector shows: every check, redone on the stored chat.

A plain dict (see ``gui/inspector.py`` for the keys) so that testers can copy
it as JSON into a bug report. It never contains a plaintext key: only ids,
hashes, check results and the raw JSON the server sent.
"""

from __future__ import annotations

from typing import Any

from .. import crypto
from ..domain import Certificate, Chat, ChatState, ChatType, Identity, OutboxEntry
from ..errors import CertificateRejected
from ..texts import cert_owner, cert_reason_text, status_text
from ..views import ChatView
from .keyring import KeyRing


def _cert_check(cert: Certificate, *, identity: Identity, trust_anchor: Any, lang: str) -> str:
    if cert.cid == identity.cid:
        return "ok"
    try:
        crypto.check_recipient(cert, trust_anchor=trust_anchor)
    except CertificateRejected as exc:
        return cert_reason_text(exc.reason, lang)
    return "ok"


def cert_row(cert: Certificate, check: str, *, identity: Identity, contact: str | None,
             lang: str) -> dict[str, Any]:
    """One certificate line: ids, hash, check, and whose it is (``texts.cert_owner``)."""
    own, this_device = cert.pid == identity.pid, cert.cid == identity.cid
    owner = cert_owner(own=own, this_device=this_device, contact=contact, pid=cert.pid,
                       lang=lang)
    return {"pid": cert.pid, "cid": cert.cid, "hash": cert.hash, "check": check,
            "own": own, "this_device": this_device, "owner": owner}


def _certs(certs: tuple[Certificate, ...], contact: str | None, **kw: Any) -> list[dict[str, Any]]:
    return [cert_row(c, _cert_check(c, **kw), identity=kw["identity"], contact=contact,
                     lang=kw["lang"]) for c in certs]


def _key(chat: Chat, keyring: KeyRing) -> dict[str, Any] | None:
    ck = chat.chat_key
    if ck is None:
        return None
    verdict = keyring.verdict(chat)
    check = "ok" if verdict is not None and verdict.reason is None else (
        f"{verdict.reason}: {verdict.detail}" if verdict is not None else "—")
    return {"id": ck.id, "signer_pid": ck.signer_pid, "signer_cid": ck.signer_cid,
            "check": check}


def _outbox(entry: OutboxEntry | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {"created_at": entry.created_at, "own_cid": entry.own_cid,
            "targets": [e.cid for e in entry.exports]}


def inspect_chat(chat: Chat, view: ChatView, state: ChatState | None, *, raw: str | None,
                 outbox: OutboxEntry | None, identity: Identity, trust_anchor: Any,
                 keyring: KeyRing, lang: str = "ru") -> dict[str, Any]:
    """The inspector's dict for one chat (status, why, checks, key, outbox, raw)."""
    kw = {"identity": identity, "trust_anchor": trust_anchor, "lang": lang}
    # a personal chat's other certificates are the contact's; a group's members are not named
    personal = chat.chat_type == ChatType.PERSONAL and not chat.favorites
    contact = view.name if personal else None
    return {
        "chat_id": chat.id, "name": view.name, "status": chat.status.value,
        "status_text": status_text(chat.status.value, lang),
        "enabled": view.enabled, "reason": view.reason.value if view.reason else None,
        "reason_text": view.reason_text, "tooltip": view.tooltip,
        "state_detail": state.detail if state is not None else None,
        "certificates": _certs(chat.certificates, contact, **kw),
        "wait_list": _certs(chat.wait_list, contact, **kw),
        "key": _key(chat, keyring), "outbox": _outbox(outbox), "raw": raw,
    }
