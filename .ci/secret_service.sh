#!/usr/bin/env bash
# Runs the tests marked secret_service against a real gnome-keyring Secret Service.
# Called by .ci/run as: dbus-run-session -- bash .ci/secret_service.sh
set -euo pipefail
export XDG_RUNTIME_DIR
XDG_RUNTIME_DIR=$(mktemp -d)
chmod 700 "$XDG_RUNTIME_DIR"
mkdir -p "$HOME/.cache" "$HOME/.local/share/keyrings"
# Without --unlock the first write waits forever for a password prompt.
eval "$(printf 'x' | gnome-keyring-daemon --daemonize --unlock --components=secrets | sed 's/^/export /')"
.venv/bin/python -m pytest -m secret_service -q
