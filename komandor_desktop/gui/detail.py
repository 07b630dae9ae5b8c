"""The right pane: the profile of the selected chat.

For a chat that is switched on: photo, name, badges, job, company, phone,
certificates with their checks, and the decrypted last message. For a
switched-off chat the same profile plus a card that says the state, the
reason and what happens next, in the words of UI.md.

The certificate list comes from the same plain dict the inspector shows
(``inspector_data``), so the pane holds no business rules.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ..domain import ChatType, MessageStatus, ProfileType
from ..texts import cert_owner, format_phone, format_time, status_text
from ..views import ChatView, MessageSide, last_message_side
from . import icons
from .avatars import AvatarCache
from .i18n import current_language

InspectorData = Callable[[str], dict[str, Any]]


def _label(parent: QWidget, *, wrap: bool = True, selectable: bool = True) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(wrap)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class DetailPanel(QScrollArea):
    """Profile and state of one chat.

    Signals:
        inspectorRequested(str): the "Chat inspector" button, with the chat id.
    """

    inspectorRequested = Signal(str)

    def __init__(
        self, parent: QWidget | None = None, *, inspector_data: InspectorData | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(parent)
        self._data = inspector_data
        self._clock = clock or (lambda: datetime.now().astimezone())
        self._view: ChatView | None = None
        self._avatars = AvatarCache(limit=16)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self._build()
        self.show_view(None)

    def _build(self) -> None:
        body = QWidget(self)
        body.setObjectName("detailBody")
        self.avatar = QLabel(body)
        self.avatar.setFixedSize(88, 88)
        self.name = _label(body)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.45)
        font.setWeight(QFont.Weight.Bold)
        self.name.setFont(font)
        self.badges = _label(body)
        self.job = _label(body)
        self.phone = _label(body)
        self.state_card = QFrame(body)
        self.state_card.setObjectName("stateCard")
        self.state_icon = QLabel(self.state_card)
        self.state_title = _label(self.state_card)
        bold = QFont(self.font())
        bold.setWeight(QFont.Weight.DemiBold)
        self.state_title.setFont(bold)
        self.state_text = _label(self.state_card)
        card = QHBoxLayout(self.state_card)
        card.setContentsMargins(14, 12, 14, 12)
        card.setSpacing(12)
        card.addWidget(self.state_icon, 0, Qt.AlignmentFlag.AlignTop)
        texts = QVBoxLayout()
        texts.addWidget(self.state_title)
        texts.addWidget(self.state_text)
        card.addLayout(texts, 1)
        self.message_caption = _label(body, selectable=False)
        self.message = _label(body)
        self.message.setObjectName("messageBubble")
        self.certs_caption = _label(body, selectable=False)
        self.certs = _label(body)
        self.inspect = QPushButton(body)
        self.inspect.clicked.connect(self._on_inspect)
        self.placeholder = _label(body, selectable=False)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._layout(body)
        self.setWidget(body)

    def _layout(self, body: QWidget) -> None:
        head = QHBoxLayout()
        head.setSpacing(16)
        head.addWidget(self.avatar, 0, Qt.AlignmentFlag.AlignTop)
        who = QVBoxLayout()
        who.setSpacing(4)
        for w in (self.name, self.badges, self.job, self.phone):
            who.addWidget(w)
        who.addStretch(1)
        head.addLayout(who, 1)
        col = QVBoxLayout(body)
        col.setContentsMargins(28, 24, 28, 24)
        col.setSpacing(14)
        col.addLayout(head)
        col.addWidget(self.state_card)
        for w in (self.message_caption, self.message, self.certs_caption, self.certs):
            col.addWidget(w)
        col.addWidget(self.inspect, 0, Qt.AlignmentFlag.AlignLeft)
        col.addWidget(self.placeholder, 1)
        col.addStretch(1)
        for caption in (self.message_caption, self.certs_caption):
            font = QFont(caption.font())
            font.setWeight(QFont.Weight.DemiBold)
            caption.setFont(font)

    # -- content ------------------------------------------------------------

    @property
    def view(self) -> ChatView | None:
        return self._view

    def show_view(self, view: ChatView | None) -> None:
        """Show one chat, or the empty-state hint when ``view`` is None."""
        self._view = view
        self.inspect.setAccessibleName(self.tr("Chat inspector"))
        parts: tuple[QWidget, ...] = (
            self.avatar, self.name, self.badges, self.job, self.phone, self.inspect
        )
        for w in parts:
            w.setVisible(view is not None)
        self.placeholder.setVisible(view is None)
        if view is None:
            for w in (self.state_card, self.message_caption, self.message, self.certs_caption,
                      self.certs):
                w.hide()
            self.placeholder.setText(self.tr("Select a chat to see its profile."))
            return
        dpr = self.devicePixelRatioF()
        self.avatar.setPixmap(self._avatars.pixmap(view, 88, dpr))
        self.name.setText(view.name)
        self.badges.setText(self._badges(view))
        self.job.setText(" · ".join(p for p in (view.title, view.company) if p))
        self.job.setVisible(bool(view.title or view.company))
        self.phone.setText(format_phone(view.phone))
        self.phone.setVisible(bool(view.phone))
        self._show_state(view)
        self._show_message(view)
        self._show_certificates(view)
        self.inspect.setText(self.tr("Chat inspector"))

    def _badges(self, view: ChatView) -> str:
        words = []
        if view.chat_type == ChatType.GROUP:
            words.append(self.tr("Group"))
        elif view.chat_type == ChatType.CHANNEL:
            words.append(self.tr("Channel"))
        elif view.profile_type is not None:
            words.append({
                ProfileType.SYS: self.tr("System"),
                ProfileType.FL: self.tr("Individual"),
                ProfileType.IP: self.tr("Sole proprietor"),
                ProfileType.UL: self.tr("Company"),
            }[view.profile_type])
        if view.verified:
            words.append("✔ " + self.tr("Verified profile"))
        return " · ".join(words)

    def _show_state(self, view: ChatView) -> None:
        self.state_card.setVisible(not view.enabled)
        if view.enabled:
            return
        soft = self.palette().color(QPalette.ColorRole.Text)
        self.state_icon.setPixmap(icons.pixmap("lock", 22, soft, self.devicePixelRatioF()))
        self.state_title.setText(view.reason_text or self.tr("Switched off"))
        words = status_text(view.status.value, current_language())
        status = self.tr("Server status: {status}.").format(status=words)
        self.state_text.setText(f"{view.tooltip}\n\n{status}".strip())

    def _show_message(self, view: ChatView) -> None:
        has = view.enabled and view.last_message is not None
        self.message_caption.setVisible(has)
        self.message.setVisible(has)
        if not has:
            return
        when = format_time(view.last_message_time, now=self._clock(), lang=current_language())
        caption = self.tr("Last message")
        extra = " · ".join(p for p in (when, self._author(view)) if p)
        self.message_caption.setText(f"{caption} · {extra}" if extra else caption)
        self.message.setText(view.last_message or "")

    def _author(self, view: ChatView) -> str:
        """"from {name}" for an incoming message, else the status word of your own."""
        if last_message_side(view) is not MessageSide.INCOMING:
            return self._status_word(view.last_message_status)
        if view.chat_type == ChatType.PERSONAL:  # a group's sender is not in the chat data
            return self.tr("from {name}").format(name=view.name)
        return ""

    def _status_word(self, status: int | None) -> str:
        words: dict[int, str] = {
            MessageStatus.SENT: self.tr("sent"),
            MessageStatus.DELIVERED: self.tr("delivered"),
            MessageStatus.READ: self.tr("read"),
        }
        return words.get(status, "") if status is not None else ""

    def _show_certificates(self, view: ChatView) -> None:
        data = self._data(view.id) if self._data else {}
        certs = list(data.get("certificates") or []) + [
            {**c, "waiting": True} for c in data.get("wait_list") or []
        ]
        self.certs_caption.setVisible(bool(certs))
        self.certs.setVisible(bool(certs))
        if not certs:
            return
        self.certs_caption.setText(self.tr("Certificates"))
        self.certs.setText("\n".join(self._cert_line(view, c) for c in certs))

    def _cert_line(self, view: ChatView, cert: dict[str, Any]) -> str:
        """"Whose · hash… · checks · waiting": the owner first (``texts.cert_owner``)."""
        check = cert.get("check") or "ok"
        mark = "✔ " + self.tr("checks passed") if check == "ok" else "✖ " + str(check)
        waiting = " · " + self.tr("waiting for a key") if cert.get("waiting") else ""
        digest = str(cert.get("hash") or "")[:16]
        personal = view.chat_type == ChatType.PERSONAL and not view.favorites
        owner = cert_owner(own=bool(cert.get("own")), this_device=bool(cert.get("this_device")),
                           contact=view.name if personal else None,
                           pid=str(cert.get("pid") or cert.get("cid") or "?"),
                           lang=current_language())
        return f"{owner} · {digest}… · {mark}{waiting}"

    def _on_inspect(self) -> None:
        if self._view is not None:
            self.inspectorRequested.emit(self._view.id)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.show_view(self._view)
        super().changeEvent(event)
