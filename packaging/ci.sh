#!/usr/bin/env bash
# Build the Linux bundle and prove it runs: bash packaging/ci.sh
#
# Uses $PYTHON, else the python on PATH (the project's venv). Steps:
#   1. packaging/build.py -> dist/zmed-gui/ and dist/zmed-gui-<v>-linux-<arch>.tar.gz
#   2. every shared library in the bundle resolves (ldd, no "not found")
#   3. dist/zmed-gui/zmed-gui --self-test, offscreen (exit code and output checked)
#   4. dist/zmed-gui/zmed-upload --version (the CLI through the same bundle)
#   5. the tarball unpacks and install.sh installs into a throw-away HOME
# Prints build time, launch-to-first-window time, unpacked and tar.gz sizes, and checks
# the size targets (override with ZMED_MAX_UNPACKED_MB / ZMED_MAX_TARGZ_MB).
# Exits non-zero on the first failure.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
MAX_UNPACKED_MB=${ZMED_MAX_UNPACKED_MB:-150}
MAX_TARGZ_MB=${ZMED_MAX_TARGZ_MB:-60}
export QT_QPA_PLATFORM=offscreen
export QT_LOGGING_RULES=${QT_LOGGING_RULES:-"qt.qpa.*=false"}

fail() { echo "packaging/ci.sh: FAIL: $*" >&2; exit 1; }
ms_now() { date +%s%3N; }

echo "== build"
t0=$(ms_now)
"$PYTHON" packaging/build.py
build_ms=$(( $(ms_now) - t0 ))

BUNDLE=dist/zmed-gui
EXE=$BUNDLE/zmed-gui
VERSION=$("$PYTHON" -c 'import tomllib;print(tomllib.load(open("pyproject.toml","rb"))["project"]["version"])')
TARBALL=$(ls -1 dist/zmed-gui-"$VERSION"-linux-*.tar.gz 2>/dev/null | head -n1 || true)
[ -x "$EXE" ] || fail "$EXE was not built"
[ -n "$TARBALL" ] || fail "no dist/zmed-gui-$VERSION-linux-*.tar.gz was made"

echo
echo "== shared libraries"
missing=$(
    find "$BUNDLE" -type f \( -name '*.so' -o -name '*.so.*' \) -print0 |
    LD_LIBRARY_PATH="$BUNDLE/_internal:$BUNDLE/_internal/PySide6/Qt/lib" \
        xargs -0 -n 50 ldd 2>/dev/null | grep 'not found' | sort -u || true
)
if [ -n "$missing" ]; then
    # libgtk-3 etc. may legitimately be absent for optional plugins; anything else is fatal.
    echo "$missing"
    fail "bundled libraries need libraries that are neither bundled nor on this system (above)"
fi
echo "every bundled library resolves"

echo
echo "== self-test of the frozen app"
out=$(mktemp)
t0=$(ms_now)
set +e
"$EXE" --self-test >"$out" 2>&1
rc=$?
set -e
selftest_ms=$(( $(ms_now) - t0 ))
cat "$out"
[ $rc -eq 0 ] || fail "dist/zmed-gui/zmed-gui --self-test exited $rc"
grep -q '^FAIL' "$out" && fail "a self-test check failed"
grep -q '^ok   Qt platform plugin' "$out" || fail "the self-test did not report the Qt check"
first_window=$(sed -n 's/^startup: first window \([0-9]*\) ms$/\1/p' "$out")

echo
echo "== launch to first window (startup probe, cold-ish and warm)"
probe_ms=()
for i in 1 2 3; do
    t0=$(ms_now)
    "$EXE" --self-test --startup-probe >"$out" 2>&1 || { cat "$out"; fail "startup probe exited non-zero"; }
    probe_ms+=("$(( $(ms_now) - t0 ))")
    sed -n 's/^startup: //p' "$out"
done
rm -f "$out"

echo
echo "== keyring of the frozen app against a real Secret Service"
if command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
    kr_script=$(mktemp)
    cat >"$kr_script" <<'KR'
set -eu
export XDG_RUNTIME_DIR=$(mktemp -d) HOME=$(mktemp -d)
chmod 700 "$XDG_RUNTIME_DIR"
mkdir -p "$HOME/.cache" "$HOME/.local/share/keyrings"
# Without --unlock the first write waits forever for a password prompt.
eval "$(printf 'x' | gnome-keyring-daemon --daemonize --unlock --components=secrets | sed 's/^/export /')"
"$1" --self-test --keyring-write >"$2" 2>&1
KR
    kr_out=$(mktemp)
    set +e
    timeout 120 dbus-run-session -- sh "$kr_script" "$PWD/$EXE" "$kr_out" 2>/dev/null
    rc=$?
    set -e
    grep -E '^(ok|warn|FAIL) +keyring' "$kr_out" || true
    rm -f "$kr_script"
    [ $rc -eq 0 ] || { cat "$kr_out"; fail "the frozen app's self-test with --keyring-write exited $rc"; }
    grep -q '^ok   keyring backend: SecretService' "$kr_out" ||
        fail "the frozen app did not find the Secret Service keyring"
    grep -q '^ok   keyring write' "$kr_out" || fail "the frozen app could not store a secret"
    rm -f "$kr_out"
else
    echo "skipped: dbus-run-session or gnome-keyring-daemon is not installed"
fi

echo
echo "== CLI"
"$BUNDLE/zmed-upload" --version || fail "zmed-upload --version failed"

echo
echo "== install from the tarball into a throw-away HOME"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
tar -xzf "$TARBALL" -C "$scratch"
HOME="$scratch/home" XDG_DATA_HOME="$scratch/home/.local/share" \
    sh "$scratch/zmed-gui-$VERSION/install.sh"
inst="$scratch/home/.local/opt/zmed-gui"
[ -x "$inst/zmed-gui" ] || fail "install.sh did not install $inst/zmed-gui"
grep -q "^Exec=\"$inst/zmed-gui\"" "$scratch/home/.local/share/applications/zmed-gui.desktop" ||
    fail "the installed .desktop entry does not start $inst/zmed-gui"
HOME="$scratch/home" "$scratch/home/.local/bin/zmed-upload" --version >/dev/null ||
    fail "the installed zmed-upload does not run"
HOME="$scratch/home" XDG_DATA_HOME="$scratch/home/.local/share" \
    sh "$scratch/zmed-gui-$VERSION/install.sh" --uninstall
[ ! -e "$inst" ] || fail "install.sh --uninstall left $inst"

unpacked=$(du -sb "$BUNDLE" | cut -f1)
targz=$(stat -c %s "$TARBALL")
echo
echo "== figures"
printf 'build time (build.py):       %d.%01d s\n' $((build_ms / 1000)) $((build_ms % 1000 / 100))
printf 'self-test wall time:         %d ms\n' "$selftest_ms"
[ -n "$first_window" ] && printf 'first window (in self-test): %s ms after process start\n' "$first_window"
printf 'startup probe wall times:    %s ms (process start to exit, 3 runs)\n' "${probe_ms[*]}"
printf 'bundle unpacked:             %d.%01d MB (%s)\n' $((unpacked / 1000000)) $((unpacked % 1000000 / 100000)) "$BUNDLE"
printf 'download tar.gz:             %d.%01d MB (%s)\n' $((targz / 1000000)) $((targz % 1000000 / 100000)) "$TARBALL"

[ "$unpacked" -le $((MAX_UNPACKED_MB * 1000000)) ] ||
    fail "the bundle is over $MAX_UNPACKED_MB MB unpacked"
[ "$targz" -le $((MAX_TARGZ_MB * 1000000)) ] || fail "the tar.gz is over $MAX_TARGZ_MB MB"
echo "packaging/ci.sh: bundle OK"
