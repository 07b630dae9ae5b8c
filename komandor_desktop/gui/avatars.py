"""Avatars: the contact's photo, or initials on a colour derived from the chat id.

Photos arrive as bytes in every ChatView; decoding them on each paint would be
wasteful, so ``AvatarCache`` decodes lazily on first paint and keeps the
rounded pixmap per (chat id, photo hash, size, pixel ratio). A photo that does
not decode falls back to initials, silently: the server's bytes are untrusted.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPixmap

from ..views import ChatView
from . import icons

#: Pleasant mid-tone colours that keep white initials readable in both themes.
PALETTE = (
    "#e17076", "#eda86c", "#a695e7", "#7bc862", "#6ec9cb", "#65aadd", "#ee7aae", "#5b8def",
    "#d48a4f", "#4fae91",
)


def avatar_color(chat_id: str) -> QColor:
    """A stable colour per chat id (same on every run and machine)."""
    digest = hashlib.sha256(chat_id.encode()).digest()
    return QColor(PALETTE[digest[0] % len(PALETTE)])


def initials(name: str) -> str:
    """Up to two letters: first letters of the first two words, else two characters."""
    words = [w for w in name.replace("«", " ").replace("»", " ").split() if w[0].isalnum()]
    if not words:
        digits = [c for c in name if c.isdigit()]
        return "".join(digits[-2:]) or "?"
    if len(words) == 1:
        return words[0][:2].upper() if words[0].isalpha() else words[0][-2:]
    return (words[0][0] + words[1][0]).upper()


class AvatarCache:
    """Round avatar pixmaps, decoded on demand and kept in a small LRU."""

    def __init__(self, limit: int = 512) -> None:
        self._limit = limit
        self._items: OrderedDict[tuple[object, ...], QPixmap] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def pixmap(self, view: ChatView, size: int, dpr: float) -> QPixmap:
        """The avatar of ``view`` at ``size`` logical pixels for a ``dpr`` screen."""
        photo_id = hashlib.sha1(view.photo).hexdigest() if view.photo else None
        key = (view.id, photo_id, view.name, view.favorites, view.system, size, dpr)
        pix = self._items.get(key)
        if pix is None:
            pix = self._render(view, size, dpr)
            self._items[key] = pix
            if len(self._items) > self._limit:
                self._items.popitem(last=False)
        else:
            self._items.move_to_end(key)
        return pix

    def _render(self, view: ChatView, size: int, dpr: float) -> QPixmap:
        pix = QPixmap(round(size * dpr), round(size * dpr))
        pix.setDevicePixelRatio(dpr)
        pix.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pix)
        painter.setRenderHints(
            QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform
        )
        clip = QPainterPath()
        clip.addEllipse(QRectF(0, 0, size, size))
        painter.setClipPath(clip)
        photo = _decode(view.photo) if view.photo else None
        if photo is not None:
            scaled = photo.scaled(
                pix.size(), Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                Qt.TransformationMode.SmoothTransformation,
            )
            x = (scaled.width() - pix.width()) / 2 / dpr
            y = (scaled.height() - pix.height()) / 2 / dpr
            scaled.setDevicePixelRatio(dpr)
            painter.drawImage(QRectF(-x, -y, scaled.width() / dpr, scaled.height() / dpr), scaled)
        else:
            _paint_placeholder(painter, view, size, dpr)
        painter.end()
        return pix


def _decode(data: bytes) -> QImage | None:
    image = QImage.fromData(QByteArray(data))
    return None if image.isNull() else image


def _paint_placeholder(painter: QPainter, view: ChatView, size: int, dpr: float) -> None:
    """Initials on the id's colour; Favorites get a star, the system chat a shield."""
    if view.favorites:
        painter.fillRect(QRectF(0, 0, size, size), QColor("#3b82f6"))
        glyph = "star"
    elif view.system:
        painter.fillRect(QRectF(0, 0, size, size), QColor("#1e40af"))
        glyph = "shield"
    else:
        painter.fillRect(QRectF(0, 0, size, size), avatar_color(view.id))
        font = QFont(painter.font())
        font.setPixelSize(max(8, int(size * 0.38)))
        font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(font)
        painter.setPen(QColor("white"))
        box = QRectF(0, 0, size, size)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, initials(view.name))
        return
    inner = int(size * 0.5)
    offset = (size - inner) / 2
    glyph_pix = icons.pixmap(glyph, inner, QColor("white"), dpr)
    painter.drawPixmap(QRectF(offset, offset, inner, inner).toRect(), glyph_pix)
