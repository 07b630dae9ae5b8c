"""``make_view``: a ``ChatView`` with sensible defaults, for the GUI tests.

The tests' own factory (the demo's rows are ``gui/demo.py``'s): a test names
the fields it is about and gets a view whose section, status and reason texts
agree with them, as ``sync.build_views`` would make them.
"""

from __future__ import annotations

from typing import Any

from komandor_desktop.domain import ChatStatus, ChatType, ProfileType, Reason
from komandor_desktop.texts import reason_texts
from komandor_desktop.texts import section_title as _title
from komandor_desktop.views import ChatView, Section, SectionKind


def _section(kind: SectionKind, company: str | None, company_id: str | None, lang: str) -> Section:
    if kind is SectionKind.COMPANY:
        return Section(kind, f"company:{company_id}", company or "")
    key = {SectionKind.PINNED: "pinned", SectionKind.GROUPS: "groups"}.get(kind, "no_company")
    return Section(kind, key, _title(key, lang))


def make_view(chat_id: str, name: str, *, lang: str = "ru", **fields: Any) -> ChatView:
    """A ChatView with sensible defaults; the section follows the fields given.

    ``reason`` fills ``reason_text``/``tooltip`` from texts.py and switches the
    chat off, like ``build_views`` does.
    """
    reason: Reason | None = fields.pop("reason", None)
    company, company_id = fields.get("company"), fields.get("company_id")
    chat_type = fields.get("chat_type", ChatType.PERSONAL)
    if fields.get("favorites") or fields.get("system"):
        kind = SectionKind.PINNED
    elif chat_type is not ChatType.PERSONAL:
        kind = SectionKind.GROUPS
    else:
        kind = SectionKind.COMPANY if company_id else SectionKind.NO_COMPANY
    line, tip = ("", "")
    if reason is not None:
        line, tip = reason_texts(
            reason, lang, name=name, cert_reason=fields.pop("cert_reason", None),
            message=fields.pop("message", ""),
        )
    base: dict[str, Any] = dict(
        id=chat_id, status=ChatStatus.SYNC if reason is None else ChatStatus.WAIT,
        enabled=reason is None, reason=reason, reason_text=line, tooltip=tip, name=name,
        company=None, company_id=None, title=None, phone=None, photo=None,
        profile_type=ProfileType.FL, verified=False, chat_type=ChatType.PERSONAL,
        favorites=False, system=False, unread=0, last_message=None,
        last_message_time=None, last_message_status=None,
        section=_section(kind, company, company_id, lang),
    )
    base.update(fields)
    return ChatView(**base)
