#!/usr/bin/env bash
# Build the double-click app: dist/nirdesk/nirdesk (one folder; see packaging/nirdesk.spec).
# Usage: packaging/build.sh [PYTHON]   (default: .venv/bin/python if present, else python3)
# Needs the "build" extra: pip install -e '.[build]'. Prints the build time and bundle size.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${1:-}"
if [ -z "$PY" ]; then
    if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
if ! "$PY" -c "import PyInstaller" 2>/dev/null; then
    echo "build.sh: PyInstaller is not installed for $PY; run: $PY -m pip install -e '.[build]'" >&2
    exit 2
fi
start=$(date +%s)
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$ROOT/dist" --workpath "$ROOT/build/pyinstaller" packaging/nirdesk.spec
end=$(date +%s)
if [ ! -x dist/nirdesk/nirdesk ] && [ ! -x dist/nirdesk/nirdesk.exe ]; then
    echo "build.sh: no executable in dist/nirdesk" >&2
    exit 1
fi
# the menu/file-association installer travels with the app folder (see install.sh)
cp packaging/install.sh packaging/uninstall.sh dist/nirdesk/
size=$(du -sm dist/nirdesk | cut -f1)
echo "built dist/nirdesk in $((end - start)) s: ${size} MB"
