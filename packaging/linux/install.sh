#!/bin/sh
# Per-user install of zmed-gui from the unpacked download (no root, no virtual environment).
#
#   tar xzf zmed-gui-<version>-linux-x86_64.tar.gz && ./zmed-gui-<version>/install.sh
#
# Copies the app to ~/.local/opt/zmed-gui, the menu entry to ~/.local/share/applications,
# the icon to ~/.local/share/icons/hicolor, and links zmed-gui / zmed-upload into
# ~/.local/bin. Run it again to update; `install.sh --uninstall` removes it all again
# (your settings, upload journal and saved passwords stay).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
PREFIX=${ZMED_PREFIX:-$HOME/.local/opt/zmed-gui}
BIN=$HOME/.local/bin
APPS=$DATA/applications
ICONS=$DATA/icons/hicolor

uninstall() {
    rm -rf "$PREFIX"
    rm -f "$APPS/zmed-gui.desktop" "$ICONS/256x256/apps/zmed-gui.png" "$ICONS/scalable/apps/zmed-gui.svg"
    for exe in zmed-gui zmed-upload; do
        # only remove links that point into our folder
        if [ -L "$BIN/$exe" ] && case $(readlink "$BIN/$exe") in "$PREFIX"/*) true ;; *) false ;; esac; then
            rm -f "$BIN/$exe"
        fi
    done
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$APPS" || true
    echo "zmed-gui removed."
}

if [ "${1:-}" = "--uninstall" ]; then
    uninstall
    exit 0
fi

if [ ! -x "$HERE/zmed-gui/zmed-gui" ]; then
    echo "install.sh: $HERE/zmed-gui/zmed-gui is missing; run this script from the unpacked download." >&2
    exit 1
fi

# Copy into a fresh folder first, then swap, so a failed copy never leaves half an app.
mkdir -p "$(dirname "$PREFIX")"
rm -rf "$PREFIX.new"
cp -a "$HERE/zmed-gui" "$PREFIX.new"
rm -rf "$PREFIX"
mv "$PREFIX.new" "$PREFIX"

mkdir -p "$BIN" "$APPS" "$ICONS/256x256/apps" "$ICONS/scalable/apps"
ln -sf "$PREFIX/zmed-gui" "$BIN/zmed-gui"
[ -x "$PREFIX/zmed-upload" ] && ln -sf "$PREFIX/zmed-upload" "$BIN/zmed-upload"
cp "$HERE/zmed-gui.png" "$ICONS/256x256/apps/zmed-gui.png"
[ -f "$HERE/zmed-gui.svg" ] && cp "$HERE/zmed-gui.svg" "$ICONS/scalable/apps/zmed-gui.svg"

# Absolute paths in the menu entry: ~/.local/bin is not on every desktop session's PATH.
sed -e "s|^Exec=zmed-gui|Exec=\"$PREFIX/zmed-gui\"|" \
    -e "s|^TryExec=zmed-gui|TryExec=$PREFIX/zmed-gui|" \
    "$HERE/zmed-gui.desktop" > "$APPS/zmed-gui.desktop"
chmod 644 "$APPS/zmed-gui.desktop"

command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$APPS" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$ICONS" 2>/dev/null || true

echo "zmed-gui is installed in $PREFIX."
echo "Start it from your applications menu (\"zmed-gui\"), or run: $PREFIX/zmed-gui"
case ":$PATH:" in
    *":$BIN:"*) ;;
    *) echo "(zmed-gui and zmed-upload are linked in $BIN, which is not on your PATH yet.)" ;;
esac
