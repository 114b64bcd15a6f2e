#!/usr/bin/env bash
# Make the macOS download: a compressed disk image holding zmed-gui.app and a link to
# /Applications, so users drag the app across.
#
#   bash packaging/macos/make_dmg.sh dist/zmed-gui.app dist/zmed-gui-0.1.0-macos.dmg 0.1.0
#
# Signs the app first when ZMED_CODESIGN_IDENTITY is set ("Developer ID Application: ...").
# Notarisation needs an Apple account and is left to the release manager:
#   xcrun notarytool submit DMG --keychain-profile PROFILE --wait && xcrun stapler staple DMG
set -euo pipefail

APP=${1:?usage: make_dmg.sh APP_BUNDLE OUT_DMG VERSION}
OUT=${2:?usage: make_dmg.sh APP_BUNDLE OUT_DMG VERSION}
VERSION=${3:?usage: make_dmg.sh APP_BUNDLE OUT_DMG VERSION}

[ -d "$APP" ] || { echo "make_dmg.sh: $APP is not an app bundle" >&2; exit 1; }
command -v hdiutil >/dev/null || { echo "make_dmg.sh: hdiutil (macOS) is needed" >&2; exit 1; }

if [ -n "${ZMED_CODESIGN_IDENTITY:-}" ]; then
    codesign --force --deep --options runtime --timestamp \
        --sign "$ZMED_CODESIGN_IDENTITY" "$APP"
    codesign --verify --deep --strict "$APP"
fi

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
ditto "$APP" "$STAGE/$(basename "$APP")"   # ditto keeps symlinks, resource forks, signatures
ln -s /Applications "$STAGE/Applications"

rm -f "$OUT"
hdiutil create -volname "zmed-gui $VERSION" -srcfolder "$STAGE" -fs HFS+ \
    -format UDZO -imagekey zlib-level=9 -ov "$OUT"
if [ -n "${ZMED_CODESIGN_IDENTITY:-}" ]; then
    codesign --sign "$ZMED_CODESIGN_IDENTITY" --timestamp "$OUT"
fi
echo "make_dmg.sh: $OUT"
