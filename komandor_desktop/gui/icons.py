"""SVG icons of the window, tinted and rasterised at the screen's pixel ratio.

The SVGs are drawn in black; ``pixmap`` paints them in any colour (so one file
serves the light and the dark palette and the greyed rows) and caches the
result per name, size, colour and device pixel ratio.
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
ICONS = RESOURCES / "icons"

NAMES = (
    "lock", "shield", "star", "refresh", "add-contact", "verified", "menu", "search",
    "tick", "ticks", "chevron", "app",
)


@cache
def _renderer(name: str) -> QSvgRenderer:
    data = (ICONS / f"{name}.svg").read_bytes()
    renderer = QSvgRenderer(QByteArray(data))
    if not renderer.isValid():
        raise ValueError(f"icon {name!r} is not a valid SVG")
    return renderer


def preload() -> None:
    """Read and parse every icon now (the window's start), not at a row's first paint.

    Reading the files during the first paint of a sync's new rows cost 11-16 ms
    of the event loop in the responsiveness benchmark.
    """
    for name in NAMES:
        _renderer(name)


@lru_cache(maxsize=512)
def _pixmap(name: str, width: int, height: int, rgba: int, dpr: float) -> QPixmap:
    pix = QPixmap(max(1, round(width * dpr)), max(1, round(height * dpr)))
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    _renderer(name).render(painter, QRectF(0, 0, pix.width(), pix.height()))
    if rgba:
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
        painter.fillRect(pix.rect(), QColor.fromRgba(rgba))
    painter.end()
    pix.setDevicePixelRatio(dpr)
    return pix


def pixmap(name: str, size: int | QSize, color: QColor | None = None, dpr: float = 1.0) -> QPixmap:
    """The icon ``name`` as a pixmap of ``size`` logical pixels.

    Args:
        name: file stem in resources/icons.
        size: logical size (square when an int).
        color: tint; None keeps the SVG's own colours (the app icon).
        dpr: the target's device pixel ratio, so HiDPI screens get sharp edges.
    """
    qsize = QSize(size, size) if isinstance(size, int) else size
    rgba = 0 if color is None else color.rgba()
    return _pixmap(name, qsize.width(), qsize.height(), rgba, float(dpr))


def icon(name: str, color: QColor | None = None) -> QIcon:
    """A QIcon of the SVG ``name``, tinted with ``color``, at 1x and 2x for common sizes.

    A greyed copy is added for the disabled mode so disabled buttons stay legible
    in both palettes.
    """
    result = QIcon()
    faded = None
    if color is not None:
        faded = QColor(color)
        faded.setAlphaF(0.35)
    for size in (16, 20, 24, 32, 48):
        for dpr in (1.0, 2.0):
            result.addPixmap(pixmap(name, size, color, dpr), QIcon.Mode.Normal)
            if faded is not None:
                result.addPixmap(pixmap(name, size, faded, dpr), QIcon.Mode.Disabled)
    return result
