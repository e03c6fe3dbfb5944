#!/bin/sh
# Install the council bot from this offline bundle, with no package index (docs/DEPLOY.md):
#   ./install.sh [VENV]        (default /opt/council-bot/venv)
# Checks every wheel against SHA256SUMS first, then installs only from ./wheels.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
venv=${1:-/opt/council-bot/venv}
python=${PYTHON:-python3}
cd "$here"
sha256sum --check --quiet SHA256SUMS
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --no-index --find-links "$here/wheels" \
    -r "$here/requirements.txt" council-bot
echo "Installed in $venv. Check your configuration with:"
echo "  $venv/bin/python -m bot check-config --config /etc/council-bot/config.toml"
