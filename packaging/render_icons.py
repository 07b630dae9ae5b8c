"""Render the application icon for the installers: PNG sizes, .ico and .icns.

The one source is the SVG the program itself uses
(``komandor_desktop/resources/icons/app.svg``). Qt renders it at each size
(offscreen: no screen needed); Pillow writes the Windows ``.ico`` and the
macOS ``.icns`` from those renderings. Everything lands in ``resources/``
(top level), which holds what only the installers ship:

    resources/icons/hicolor/<N>x<N>/apps/ru.komandor.Desktop.png
    resources/icons/hicolor/scalable/apps/ru.komandor.Desktop.svg
    resources/icons/komandor-desktop.ico
    resources/icons/komandor-desktop.icns

Run ``python packaging/render_icons.py`` (``make icons``) after changing the
SVG; the output is committed. Needs PySide6 and Pillow (the ``packaging`` extra).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "komandor_desktop" / "resources" / "icons" / "app.svg"
OUT = ROOT / "resources" / "icons"
APP_ID = "ru.komandor.Desktop"
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512)


def render(svg: Path, size: int) -> bytes:
    """The SVG as a ``size``×``size`` RGBA PNG (Qt's renderer)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QColor, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"not a valid SVG: {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(QColor(0, 0, 0, 0))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication(sys.argv[:1])  # noqa: F841 - QImage/QPainter want an app
    pngs: dict[int, Path] = {}
    for size in SIZES:
        path = OUT / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(render(SOURCE, size))
        pngs[size] = path
    scalable = OUT / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SOURCE, scalable)
    largest = Image.open(pngs[512])
    largest.save(OUT / "komandor-desktop.ico", format="ICO",
                 sizes=[(s, s) for s in ICO_SIZES])
    largest.save(OUT / "komandor-desktop.icns", format="ICNS",
                 append_images=[Image.open(pngs[s]) for s in ICNS_SIZES if s != 512])
    print(f"rendered {len(SIZES)} PNG sizes, .ico and .icns into {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
