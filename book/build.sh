#!/usr/bin/env bash
# Set up and build the book on a fresh machine: _build/html/index.html.
#
#   bash book/build.sh
#
# Uses the active virtual environment, else .venv (made if missing, never deleted or
# replaced), installs requirements.txt, fetches the pinned MathJax with npm so the pages
# need no network (skipped, with a note, when npm is missing: the pages then load
# MathJax from a CDN), and builds with warnings as errors. Chapters whose execution
# failed in an earlier build are executed again (book/book_execution.py); the others
# come from the execution cache in _build/.jupyter_cache.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${VIRTUAL_ENV:-}" ]; then
    [ -d .venv ] || python3 -m venv .venv
    # shellcheck disable=SC1091
    source .venv/bin/activate
fi
python -m pip install -q -r requirements.txt
if command -v npm >/dev/null 2>&1; then
    npm ci --no-audit --no-fund --loglevel=error
    python book/vendor.py
else
    echo "npm not found: the book will load MathJax from a CDN."
fi
jupyter-book build . -W -n --keep-going
echo "Open _build/html/index.html"
