#!/usr/bin/env bash
# One command installs everything: the Python environment (pinned litellm[proxy] included) and,
# on Debian, the headless Chromium the parity-report test renders the HTML report in.
set -euo pipefail
cd "$(dirname "$0")"
python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[dev]'
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null
    else
        echo "install.sh: chromium not found; the parity-report browser test needs it (Debian: apt-get install chromium)" >&2
    fi
fi
echo "install.sh: ready. Run the offline contract suite with: .venv/bin/pytest"
