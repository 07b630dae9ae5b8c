"""Row painting of the chat list: section headers and chat rows.

A chat row: round avatar · name (bold when unread) · verified badge · type
badge · time on the right; below, the preview or title · company, and on the
right the status ticks or the unread badge. A switched-off row is greyed, shows
a lock instead of the ticks, and its reason line instead of the preview.
Heights are fixed per kind, so the list scrolls evenly.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from ..domain import MessageStatus, ProfileType
from ..texts import format_time
from ..views import ChatView, MessageSide, counts_as_unread, last_message_side
from . import icons
from .avatars import AvatarCache
from .chatmodel import ChatRole, second_line
from .i18n import current_language

ROW_HEIGHT = 64
HEADER_HEIGHT = 34
AVATAR = 44
PAD = 12
ACCENT = QColor("#2f7de1")
MUTED_BADGE = QColor("#9aa4b2")

Index = QModelIndex | QPersistentModelIndex


def mix(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` blended towards ``b`` by ``t`` (0..1): secondary text from the palette."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * t,
        a.greenF() + (b.greenF() - a.greenF()) * t,
        a.blueF() + (b.blueF() - a.blueF()) * t,
    )


class ChatDelegate(QStyledItemDelegate):
    """Paints the section tree's rows.

    Args:
        is_expanded: tells whether a header index is expanded (the view knows).
        clock: "now" for the time column; injectable so tests pin it.
        is_header: tells whether an index is a section header without asking
            for its data (the section model knows); default: ``ChatRole.IsSection``.
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        is_expanded: Callable[[Index], bool] | None = None,
        clock: Callable[[], datetime] | None = None,
        is_header: Callable[[Index], bool] | None = None,
    ) -> None:
        super().__init__(parent)
        self._is_expanded = is_expanded or (lambda _i: True)
        self._is_header = is_header or (lambda i: bool(i.data(ChatRole.IsSection)))
        self._sizes = {True: QSize(200, HEADER_HEIGHT), False: QSize(200, ROW_HEIGHT)}
        self._clock = clock or (lambda: datetime.now().astimezone())
        self.avatars = AvatarCache()
        self._accent = ACCENT

    def type_badge(self, profile_type: ProfileType | None) -> str:
        """Short text of the profile type badge; empty for none and the system chat."""
        return {
            ProfileType.FL: self.tr("IND"),
            ProfileType.IP: self.tr("SP"),
            ProfileType.UL: self.tr("CO"),
        }.get(profile_type, "") if profile_type is not None else ""

    @staticmethod
    def shows_ticks(view: ChatView) -> bool:
        """Status ticks go with messages that may be yours, never with incoming ones."""
        return (view.last_message_time is not None and view.last_message_status is not None
                and last_message_side(view) is not MessageSide.INCOMING)

    def time_text(self, view: ChatView) -> str:
        return format_time(view.last_message_time, now=self._clock(), lang=current_language())

    # -- QStyledItemDelegate ------------------------------------------------

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        """One size per row kind, from a cache.

        Header and chat rows differ in height, so the tree cannot use uniform
        row heights and asks this for every row at each layout (10,000 calls):
        no data() lookup here. The width is only a minimum (the single column
        stretches to the viewport).
        """
        return self._sizes[self._is_header(index)]

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        painter.save()
        painter.setRenderHints(
            QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
        )
        try:
            if index.data(ChatRole.IsSection):
                self._paint_header(painter, option, index)
            else:
                view = index.data(ChatRole.View)
                if isinstance(view, ChatView):
                    self._paint_row(painter, option, view)
        finally:
            painter.restore()

    # -- headers ------------------------------------------------------------

    def _paint_header(self, p: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        pal = option.palette
        rect = option.rect
        fg = mix(pal.color(QPalette.ColorRole.Text), pal.color(QPalette.ColorRole.Base), 0.45)
        if option.state & QStyle.StateFlag.State_MouseOver:
            p.fillRect(rect, mix(pal.color(QPalette.ColorRole.Base), fg, 0.06))
        dpr = _dpr(option)
        chevron = icons.pixmap("chevron", 14, fg, dpr)
        cy = rect.center().y()
        p.save()
        p.translate(rect.left() + PAD + 7, cy + 1)
        if not self._is_expanded(index):
            p.rotate(-90)
        p.drawPixmap(-7, -7, chevron)
        p.restore()
        font = QFont(option.font)
        font.setWeight(QFont.Weight.DemiBold)
        fm = QFontMetrics(font)
        count = int(index.data(ChatRole.SectionCount) or 0)
        unread = int(index.data(ChatRole.SectionUnread) or 0)
        right = rect.right() - PAD
        if unread:
            right = self._pill(p, font, str(unread), right, cy, MUTED_BADGE) - 8
        p.setFont(font)
        left = rect.left() + PAD + 22
        count_text = f"  {count}"
        title_w = right - left - fm.horizontalAdvance(count_text)
        title = fm.elidedText(str(index.data()), Qt.TextElideMode.ElideRight, max(0, title_w))
        p.setPen(mix(pal.color(QPalette.ColorRole.Text), fg, 0.35))
        text_rect = QRect(left, rect.top(), right - left, rect.height())
        p.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter, title)
        p.setPen(fg)
        count_left = left + fm.horizontalAdvance(title)
        count_rect = QRect(count_left, rect.top(), right - count_left, rect.height())
        p.drawText(count_rect, Qt.AlignmentFlag.AlignVCenter, count_text)

    # -- chat rows ----------------------------------------------------------

    def _paint_row(self, p: QPainter, option: QStyleOptionViewItem, view: ChatView) -> None:
        pal = option.palette
        rect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        base = pal.color(QPalette.ColorRole.Base)
        text = pal.color(QPalette.ColorRole.Text)
        bg = base
        if selected:
            text = pal.color(QPalette.ColorRole.HighlightedText)
            bg = pal.color(QPalette.ColorRole.Highlight)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(bg)
            p.drawRoundedRect(QRectF(rect).adjusted(4, 1, -4, -1), 8, 8)
        elif option.state & QStyle.StateFlag.State_MouseOver:
            p.fillRect(rect, mix(base, text, 0.05))
        soft = mix(text, bg, 0.42)
        self._accent = text if selected else ACCENT
        if not view.enabled:  # greyed, but still legible on the selection colour
            text = mix(text, bg, 0.2) if selected else soft
            soft = mix(text, bg, 0.15 if selected else 0.2)
        dpr = _dpr(option)
        top = rect.top() + (rect.height() - AVATAR) // 2
        p.save()
        if not view.enabled:
            p.setOpacity(0.45)
        p.drawPixmap(rect.left() + PAD, top, self.avatars.pixmap(view, AVATAR, dpr))
        p.restore()
        left = rect.left() + PAD + AVATAR + 12
        right = rect.right() - PAD
        mid = rect.top() + rect.height() // 2
        self._first_line(p, option, view, QRect(left, mid - 22, right - left, 22), text, soft)
        line2 = QRect(left, mid + 1, right - left, 22)
        self._second_line(p, option, view, line2, soft, selected, dpr)

    def _first_line(
        self, p: QPainter, option: QStyleOptionViewItem, view: ChatView, box: QRect,
        text: QColor, soft: QColor,
    ) -> None:
        small = QFont(option.font)
        small.setPointSizeF(small.pointSizeF() * 0.86)
        when = self.time_text(view)
        right = box.right()
        if when:
            p.setFont(small)
            fm = QFontMetrics(small)
            p.setPen(self._accent if view.unread and view.enabled else soft)
            p.drawText(box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom, when)
            right -= fm.horizontalAdvance(when) + 10
        name_font = QFont(option.font)
        name_font.setPointSizeF(name_font.pointSizeF() * 1.04)
        name_font.setWeight(QFont.Weight.Bold if counts_as_unread(view) else QFont.Weight.Medium)
        badge = "" if view.favorites else self.type_badge(view.profile_type)
        extra = (18 if view.verified else 0) + (_badge_width(small, badge) + 6 if badge else 0)
        fm = QFontMetrics(name_font)
        room = max(0, right - box.left() - extra)
        name = fm.elidedText(view.name, Qt.TextElideMode.ElideRight, room)
        p.setFont(name_font)
        p.setPen(text)
        p.drawText(box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, name)
        x = box.left() + fm.horizontalAdvance(name) + 5
        cy = box.bottom() - fm.descent() - fm.ascent() // 2 + 1
        if view.verified:
            color = self._accent if view.enabled else soft
            p.drawPixmap(x, cy - 7, icons.pixmap("verified", 15, color, _dpr(option)))
            x += 18
        if badge:
            self._type_badge(p, small, badge, x, cy, soft)

    def _second_line(
        self, p: QPainter, option: QStyleOptionViewItem, view: ChatView, box: QRect,
        soft: QColor, selected: bool, dpr: float,
    ) -> None:
        font = QFont(option.font)
        font.setPointSizeF(font.pointSizeF() * 0.94)
        right = box.right()
        cy = box.top() + box.height() // 2
        if not view.enabled:
            p.drawPixmap(right - 15, cy - 8, icons.pixmap("lock", 16, soft, dpr))
            right -= 24
            font.setItalic(True)
        elif view.unread:
            color = ACCENT if not selected else option.palette.color(QPalette.ColorRole.Base)
            right = self._pill(p, font, _unread_text(view.unread), right, cy, color) - 8
        elif self.shows_ticks(view) and view.last_message_status is not None:
            right = self._ticks(p, view.last_message_status, right, cy, soft, dpr) - 6
        p.setFont(font)
        p.setPen(soft)
        line = QFontMetrics(font).elidedText(
            second_line(view).replace("\n", " "), Qt.TextElideMode.ElideRight,
            max(0, right - box.left()),
        )
        p.drawText(QRect(box.left(), box.top(), right - box.left(), box.height()),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, line)

    # -- small shapes -------------------------------------------------------

    def _ticks(
        self, p: QPainter, status: int, right: int, cy: int, soft: QColor, dpr: float
    ) -> int:
        """Draw ✓ sent, ✓✓ delivered, blue ✓✓ read; unknown codes draw nothing."""
        if status not in tuple(MessageStatus):
            return right
        name = "tick" if status == MessageStatus.SENT else "ticks"
        color = self._accent if status == MessageStatus.READ else soft
        p.drawPixmap(right - 18, cy - 9, icons.pixmap(name, 18, color, dpr))
        return right - 18

    def _pill(self, p: QPainter, font: QFont, text: str, right: int, cy: int, bg: QColor) -> int:
        """A rounded count badge ending at ``right``; returns its left edge."""
        f = QFont(font)
        f.setWeight(QFont.Weight.DemiBold)
        f.setPointSizeF(f.pointSizeF() * 0.86)
        fm = QFontMetrics(f)
        height = fm.height() + 4
        width = max(height, fm.horizontalAdvance(text) + 12)
        box = QRectF(right - width, cy - height / 2, width, height)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(bg)
        p.drawRoundedRect(box, height / 2, height / 2)
        p.setFont(f)
        p.setPen(QColor("white") if bg.lightnessF() < 0.8 else ACCENT)
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        return int(box.left())

    def _type_badge(
        self, p: QPainter, font: QFont, text: str, x: int, cy: int, color: QColor
    ) -> None:
        f = QFont(font)
        f.setPointSizeF(f.pointSizeF() * 0.82)
        f.setWeight(QFont.Weight.DemiBold)
        fm = QFontMetrics(f)
        box = QRectF(x, cy - fm.height() / 2 - 1, fm.horizontalAdvance(text) + 8, fm.height() + 2)
        p.setPen(color)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(box.adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
        p.setFont(f)
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


def _badge_width(font: QFont, text: str) -> int:
    f = QFont(font)
    f.setPointSizeF(f.pointSizeF() * 0.82)
    return QFontMetrics(f).horizontalAdvance(text) + 8


def _unread_text(count: int) -> str:
    return str(count) if count < 1000 else "999+"


def _dpr(option: QStyleOptionViewItem) -> float:
    widget: Any = option.widget
    return float(widget.devicePixelRatioF()) if widget is not None else 1.0
