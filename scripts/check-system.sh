#!/bin/sh
# Qt's xcb platform plugin needs a few system libraries that a minimal Debian or
# Ubuntu lacks. Say exactly what to install (or install it when we are root).
[ -n "${QT_QPA_PLATFORM:-}" ] && [ "$QT_QPA_PLATFORM" != "xcb" ] && exit 0
missing=""
for pair in libxcb-cursor.so.0:libxcb-cursor0 libxkbcommon-x11.so.0:libxkbcommon-x11-0 \
            libxcb-icccm.so.4:libxcb-icccm4 libxcb-keysyms.so.1:libxcb-keysyms1 \
            libxcb-image.so.0:libxcb-image0 libxcb-render-util.so.0:libxcb-render-util0 \
            libxcb-shape.so.0:libxcb-shape0 libEGL.so.1:libegl1 libfontconfig.so.1:libfontconfig1 \
            libdbus-1.so.3:libdbus-1-3; do
  lib=${pair%%:*}; pkg=${pair##*:}
  ldconfig -p 2>/dev/null | grep -q "$lib" || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Qt's system libraries:$missing"
  apt-get install -y -q $missing >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q $missing; }
else
  echo "Qt needs system libraries that are missing. Install them with:"
  echo "    sudo apt-get install -y$missing"
  exit 1
fi
