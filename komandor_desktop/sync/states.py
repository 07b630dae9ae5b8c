"""The engine's verdict on every chat after a sync: reason + detail.

Written to the store (``chat_states``) so that the CLI and the window can say
why a chat is switched off without redoing the crypto.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..domain import Chat, ChatState, ChatStatus, Reason
from .keyring import KeyRing
from .planner import Action, CreateKey, Rejected, Skip

# Reasons that are errors (CLI.md: `errors` lists them; waiting is not an error).
ERROR_REASONS = frozenset({
    Reason.CERTIFICATE_REJECTED, Reason.KEY_SIGNATURE_INVALID, Reason.KEY_NOT_IMPORTABLE,
    Reason.KEY_MISSING, Reason.REGISTRATION_REFUSED, Reason.INVALID_CHAT,
})


def rejected_detail(rejected: Iterable[Rejected]) -> str | None:
    """``cid:reason`` pairs of rejected certificates, comma-separated."""
    parts = [f"{r.certificate.cid}:{r.reason.value}" for r in rejected]
    return ",".join(parts) or None


def _key_state(chat: Chat, keyring: KeyRing) -> tuple[Reason, str | None] | None:
    verdict = keyring.verdict(chat)
    if verdict is None or verdict.reason is None:
        return None
    return verdict.reason, verdict.detail


def state_of(action: Action, keyring: KeyRing,
             refused: dict[str, str]) -> tuple[Reason | None, str | None]:
    """Reason and detail of one chat from its last planned action."""
    chat = action.chat
    if chat.id in refused:
        return Reason.REGISTRATION_REFUSED, refused[chat.id]
    if chat.chat_key is not None and chat.status is not ChatStatus.NEW:
        bad_key = _key_state(chat, keyring)
        if bad_key is not None:
            return bad_key
    if isinstance(action, Skip):
        if action.reason is Reason.CERTIFICATE_REJECTED:
            return action.reason, rejected_detail(action.rejected)
        return action.reason, action.detail
    if action.rejected and chat.status is ChatStatus.WAIT:
        return Reason.CERTIFICATE_REJECTED, rejected_detail(action.rejected)
    return (Reason.CREATING_KEYS if isinstance(action, CreateKey) else Reason.EXPORTING_KEY), None


def final_states(actions: Iterable[Action], keyring: KeyRing, refused: dict[str, str], *,
                 now_ms: int) -> dict[str, ChatState]:
    """The state of every planned chat; ``ExportKey``/``CreateKey`` left over
    mean the work is still pending (e.g. the round limit was reached)."""
    out: dict[str, ChatState] = {}
    for action in actions:
        reason, detail = state_of(action, keyring, refused)
        out[action.chat.id] = ChatState(action.chat.id, reason, detail, now_ms)
    return out
