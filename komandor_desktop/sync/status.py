"""Whether a chat can be read and written, and why not (for CLI and window).

Decided from the chat as stored plus the engine's last verdict
(``ChatState``); a chat never synced on this device still gets an answer from
its status alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from ..domain import CertReason, Chat, ChatState, ChatStatus, Identity, Reason
from ..texts import reason_texts
from ..views import ChatView, display_name, section_of, sort_views
from .states import ERROR_REASONS

_KEY_ERRORS = frozenset({Reason.KEY_SIGNATURE_INVALID, Reason.KEY_NOT_IMPORTABLE})


def explain(chat: Chat, state: ChatState | None, *,
            identity: Identity) -> tuple[bool, Reason | None, str | None]:
    """(enabled, reason, detail) of one chat.

    A ``sync`` chat is enabled unless its key is missing or failed its checks;
    ``new`` and ``wait`` chats are always switched off (section 6), with the
    engine's error reason when it has one, else the waiting reason.
    """
    reason = state.reason if state is not None else None
    detail = state.detail if state is not None else None
    if reason is Reason.INVALID_CHAT:
        return False, reason, detail
    if chat.status is ChatStatus.SYNC:
        if chat.chat_key is None:
            return False, Reason.KEY_MISSING, None
        if reason in _KEY_ERRORS:
            return False, reason, detail
        return True, None, None
    if reason in ERROR_REASONS:
        return False, reason, detail
    if chat.status is ChatStatus.NEW:
        if not chat.certificates and not chat.favorites:
            return False, Reason.CONTACT_NOT_REGISTERED, None
        return False, Reason.CREATING_KEYS, None
    if chat.chat_key is not None and any(c.cid != identity.cid for c in chat.wait_list):
        return False, Reason.EXPORTING_KEY, None
    return False, Reason.WAITING_FOR_KEY, None


def _cert_reason(detail: str | None) -> CertReason | str | None:
    """The first ``cid:reason`` of a CERTIFICATE_REJECTED detail, as a CertReason."""
    if not detail:
        return None
    first = detail.split(",")[0].rpartition(":")[2]
    try:
        return CertReason(first)
    except ValueError:
        return first


def build_view(chat: Chat, state: ChatState | None, *, identity: Identity,
               decrypt: Callable[[Chat], str | None], lang: str = "ru") -> ChatView:
    """One chat as the list and the CLI show it."""
    enabled, reason, detail = explain(chat, state, identity=identity)
    name = display_name(chat, lang)
    line = tip = ""
    if reason is not None:
        line, tip = reason_texts(reason, lang, name=name, cert_reason=_cert_reason(detail)
                                 if reason is Reason.CERTIFICATE_REJECTED else None,
                                 message=detail or "")
    return ChatView(
        id=chat.id, status=chat.status, enabled=enabled, reason=reason, reason_text=line,
        tooltip=tip, name=name, company=chat.profile_company, company_id=chat.profile_company_id,
        title=chat.profile_title, phone=chat.profile_phone, photo=chat.profile_photo,
        profile_type=chat.profile_type, verified=chat.profile_verified, chat_type=chat.chat_type,
        favorites=chat.favorites, system=chat.is_system, unread=chat.unread,
        last_message=decrypt(chat) if enabled else None,
        last_message_time=chat.last_message_time,
        last_message_status=chat.last_message_status, section=section_of(chat, lang),
    )


def build_views(chats: Iterable[Chat], states: Mapping[str, ChatState], *, identity: Identity,
                decrypt: Callable[[Chat], str | None], lang: str = "ru") -> list[ChatView]:
    """Every chat as a view, in the window's order (UI.md "Order")."""
    return sort_views(build_view(c, states.get(c.id), identity=identity, decrypt=decrypt,
                                 lang=lang) for c in chats)
