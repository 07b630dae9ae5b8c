"""The chat inspector: everything the client knows about one chat, for support.

It is fed a plain dict built by the lead's code (``inspector_data(chat_id)``)
so it can show switched-off chats too and holds no logic. Known keys::

    chat_id, name, status, enabled, reason, reason_text, tooltip,
    status_text: the status in words (``texts.status_text``),
    certificates: [{pid, cid, hash, check ("ok" or the failure text), own?, this_device?,
                    owner? (whose: "Вы", "Вы · это устройство", the contact, the pid)}],
    wait_list:    [the same],
    key:    {id, signer_pid, signer_cid, check} | None,
    outbox: {created_at, own_cid, targets: [cid, ...]} | None,
    raw: the chat's JSON text as the server sent it | None

Unknown keys are kept: "Copy as JSON" copies the whole dict.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)


def as_json(data: dict[str, Any]) -> str:
    """The inspector data as pretty, stable JSON (bytes and enums as text)."""
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str)


def _value(label: QLabel, value: Any) -> None:
    label.setText("—" if value in (None, "") else str(value))


class InspectorDialog(QDialog):
    """A non-modal window showing one chat's inspector data."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data: dict[str, Any] = {}
        self.setMinimumSize(640, 560)
        self.fields: dict[str, QLabel] = {}
        self.captions: dict[str, QLabel] = {}
        form = QFormLayout()
        self._form = form
        for key in ("chat_id", "status", "enabled", "reason", "explanation", "key_id",
                    "signer", "key_check", "outbox"):
            label = QLabel(self)
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fields[key] = label
            # a caption widget of its own: addRow("", …) makes no label at all,
            # so retranslate() had nothing to put the words in
            caption = QLabel(self)
            caption.setBuddy(label)
            self.captions[key] = caption
            form.addRow(caption, label)
        self.certs = QTreeWidget(self)
        self.certs.setRootIsDecorated(False)
        self.certs.setColumnCount(5)
        self.raw = QPlainTextEdit(self)
        self.raw.setReadOnly(True)
        self.raw.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.copy = QPushButton(self)
        self.copy.clicked.connect(self.copy_json)
        self.close_button = QPushButton(self)
        self.close_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        self.certs_caption = QLabel(self)
        self.raw_caption = QLabel(self)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.certs_caption)
        layout.addWidget(self.certs, 1)
        layout.addWidget(self.raw_caption)
        layout.addWidget(self.raw, 1)
        layout.addLayout(buttons)
        self.retranslate()

    @property
    def data(self) -> dict[str, Any]:
        return self._data

    def set_data(self, data: dict[str, Any]) -> None:
        """Show ``data`` (see the module docstring for the keys)."""
        self._data = dict(data)
        d = self._data
        name = d.get("name") or d.get("chat_id") or ""
        self.setWindowTitle(f"{self.tr('Chat inspector')} — {name}")
        _value(self.fields["chat_id"], d.get("chat_id"))
        status, words = d.get("status"), d.get("status_text")
        _value(self.fields["status"], f"{words} ({status})" if words and status else status)
        enabled = d.get("enabled")
        _value(self.fields["enabled"], None if enabled is None else
               (self.tr("yes") if enabled else self.tr("no")))
        reason = d.get("reason")
        _value(self.fields["reason"], f"{reason} — {d.get('reason_text', '')}" if reason else None)
        _value(self.fields["explanation"], d.get("tooltip"))
        key = d.get("key") or {}
        _value(self.fields["key_id"], key.get("id"))
        signer = " / ".join(str(key[k]) for k in ("signer_pid", "signer_cid") if key.get(k))
        _value(self.fields["signer"], signer)
        _value(self.fields["key_check"], key.get("check"))
        _value(self.fields["outbox"], self._outbox_text(d.get("outbox")))
        self._fill_certificates(d)
        raw = d.get("raw")
        self.raw.setPlainText(_pretty(raw) if raw else "")

    def _outbox_text(self, outbox: Any) -> str | None:
        if not outbox:
            return None
        targets = ", ".join(str(t) for t in outbox.get("targets", []))
        text = self.tr("pending since {time}").format(time=outbox.get("created_at", "?"))
        return f"{text}: {targets}" if targets else text

    def _fill_certificates(self, d: dict[str, Any]) -> None:
        self.certs.clear()
        rows = [(c, False) for c in d.get("certificates") or []]
        rows += [(c, True) for c in d.get("wait_list") or []]
        for cert, waiting in rows:
            check = cert.get("check") or "ok"
            pid = str(cert.get("pid", ""))
            owner = cert.get("owner")
            item = QTreeWidgetItem([
                f"{owner} ({pid})" if owner and owner != pid else pid, str(cert.get("cid", "")),
                str(cert.get("hash", ""))[:16],
                "✔" if check == "ok" else f"✖ {check}",
                self.tr("waiting for a key") if waiting else "",
            ])
            self.certs.addTopLevelItem(item)
        for column in range(self.certs.columnCount()):
            self.certs.resizeColumnToContents(column)

    def copy_json(self) -> str:
        """Put the whole data as JSON on the clipboard; returns the text."""
        text = as_json(self._data)
        QGuiApplication.clipboard().setText(text)
        return text

    def retranslate(self) -> None:
        labels = {
            "chat_id": self.tr("Chat"), "status": self.tr("Server status"),
            "enabled": self.tr("Switched on"), "reason": self.tr("Reason"),
            "explanation": self.tr("Explanation"), "key_id": self.tr("Key id"),
            "signer": self.tr("Key signer"), "key_check": self.tr("Key check"),
            "outbox": self.tr("Outbox"),
        }
        for key, caption in self.captions.items():
            caption.setText(labels[key])
            self.fields[key].setAccessibleName(labels[key])
        self.certs.setHeaderLabels([
            "pid", "cid", self.tr("hash"), self.tr("check"), self.tr("wait list"),
        ])
        self.certs_caption.setText(self.tr("Certificates and the wait list"))
        self.raw_caption.setText(self.tr("Raw JSON from the server"))
        self.copy.setText(self.tr("Copy as JSON"))
        self.close_button.setText(self.tr("Close"))
        if self._data:
            self.set_data(self._data)
        else:
            self.setWindowTitle(self.tr("Chat inspector"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def _pretty(raw: str) -> str:
    try:
        return json.dumps(json.loads(raw), ensure_ascii=False, indent=2)
    except (ValueError, TypeError):
        return str(raw)
