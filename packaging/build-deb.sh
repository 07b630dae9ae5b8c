#!/bin/sh
# Build the .deb from the PyInstaller folder (make bundle), with dpkg-deb only.
#
#   packaging/build-deb.sh [BUNDLE_DIR] [OUT_DIR]
#
# BUNDLE_DIR defaults to build/dist/komandor-desktop, OUT_DIR to build/deb (make
# package: dist/); the staging tree is build/deb/stage.
# Layout: /opt/komandor-desktop (the bundle), /usr/bin launchers (symlinks),
# the .desktop file and AppStream metainfo, hicolor icons (SVG + PNG), the
# copyright, changelog.gz, man pages and the lintian overrides (with reasons).
# Depends: the system libraries the bundle links to and did not bring along
# (the Qt xcb libraries, fontconfig, GL, ...), found with ldd and dpkg -S on the
# build host; so build on the oldest Debian you support, with those installed.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUNDLE=${1:-$ROOT/build/dist/komandor-desktop}
OUT=${2:-$ROOT/build/deb}
PKG=komandor-desktop
APP_ID=ru.komandor.Desktop
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/pyproject.toml")
ARCH=$(dpkg --print-architecture)
MAINTAINER="Komandor Desktop maintainers <maintainers@users.noreply.r-seed-784cabdd.example>"

[ -x "$BUNDLE/komandor-desktop" ] || { echo "no bundle in $BUNDLE: run make bundle" >&2; exit 1; }
for tool in dpkg-deb help2man; do
    command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install dpkg-dev help2man)" >&2; exit 1; }
done

WORK=$ROOT/build/deb
STAGE=$WORK/stage
rm -rf "$STAGE"
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin"
cp -a "$BUNDLE" "$STAGE/opt/$PKG"
# dpkg and lintian want plain permissions: no group/other write, data not executable
find "$STAGE/opt/$PKG" -type d -exec chmod 0755 {} +
find "$STAGE/opt/$PKG" -type f -exec chmod go-w {} +
find "$STAGE/opt/$PKG" -type f \( -name '*.py' -o -name '*.svg' -o -name '*.qm' \
    -o -name '*.ini' -o -name '*.mako' -o -name '*.txt' -o -name '*.json' -o -name '*.pem' \
    -o -name '*.typed' -o -name 'METADATA' -o -name 'RECORD' -o -name 'WHEEL' \
    -o -name 'LICENSE*' -o -name '*.so' -o -name '*.so.*' \) -exec chmod 0644 {} +
for program in komandor-desktop komandor-emulator; do
    ln -s "/opt/$PKG/$program" "$STAGE/usr/bin/$program"
done

SHARE=$STAGE/usr/share
install -D -m 0644 "$ROOT/resources/$APP_ID.desktop" "$SHARE/applications/$APP_ID.desktop"
install -D -m 0644 "$ROOT/resources/$APP_ID.metainfo.xml" "$SHARE/metainfo/$APP_ID.metainfo.xml"
(cd "$ROOT/resources/icons" && find hicolor -type f) | while read -r icon; do
    install -D -m 0644 "$ROOT/resources/icons/$icon" "$SHARE/icons/$icon"
done

DOC=$SHARE/doc/$PKG
mkdir -p "$DOC"
cat > "$DOC/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: Komandor Desktop
Upstream-Contact: $MAINTAINER

Files: *
Copyright: 2026 Komandor Desktop maintainers
License: proprietary
 All rights reserved. This package bundles third-party software (Python, Qt
 and PySide6 under the LGPL-3, cryptography, SQLAlchemy, FastAPI, uvicorn and
 others); their licence texts are in /opt/$PKG/_internal, next to each
 bundled distribution (*.dist-info).
EOF
DATE=$(date -R -d "@${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)}")
cat > "$WORK/changelog" <<EOF
$PKG ($VERSION) unstable; urgency=medium

  * First packaged release: the window, the sync worker and the emulator in
    one PyInstaller folder under /opt/$PKG, with a self-test
    (komandor-desktop --self-test).

 -- $MAINTAINER  $DATE
EOF
gzip -9n -c "$WORK/changelog" > "$DOC/changelog.gz"

MAN=$SHARE/man/man1
mkdir -p "$MAN"
help2man --no-info --no-discard-stderr --version-string="$VERSION" \
    --name="desktop client of the Komandor end-to-end-encrypted messenger" \
    --include="$ROOT/packaging/man-extra.h2m" \
    "$BUNDLE/komandor-desktop" | gzip -9n > "$MAN/komandor-desktop.1.gz"
help2man --no-info --no-discard-stderr --version-string="$VERSION" \
    --name="the Komandor messenger's emulator server (tests and demos)" \
    "$BUNDLE/komandor-emulator" | gzip -9n > "$MAN/komandor-emulator.1.gz"

install -D -m 0644 "$ROOT/packaging/lintian-overrides" "$SHARE/lintian/overrides/$PKG"

# Depends: every system library that a bundled ELF file links to, by package
DEPENDS=$(find "$STAGE/opt/$PKG" -type f \( -name '*.so*' -o -perm -u+x \) -print0 \
    | xargs -0 ldd 2>/dev/null | awk '/=> \// {print $3}' | grep -v "^$STAGE/" | sort -u \
    | xargs -r readlink -f | xargs -r dpkg -S 2>/dev/null | cut -d: -f1 | sort -u \
    | grep -v '^libc6$' | paste -sd, | sed 's/,/, /g')
DEPENDS="libc6 (>= 2.34)${DEPENDS:+, $DEPENDS}"

INSTALLED_KB=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
cat > "$STAGE/DEBIAN/control" <<EOF
Package: $PKG
Version: $VERSION
Architecture: $ARCH
Maintainer: $MAINTAINER
Installed-Size: $INSTALLED_KB
Depends: $DEPENDS
Section: net
Priority: optional
Description: desktop client of the Komandor encrypted business messenger
 Komandor Desktop shows the chats of the Komandor business messenger, whose
 messages are encrypted end to end; it makes and checks the chat keys on this
 computer. It includes a demo mode with a built-in server
 (komandor-desktop --demo), the emulator server itself (komandor-emulator) and
 a self-test of the installation (komandor-desktop --self-test).
EOF

mkdir -p "$OUT"
DEB=$OUT/${PKG}_${VERSION}_${ARCH}.deb
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$DEB" >/dev/null
echo "$DEB"
