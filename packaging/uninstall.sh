#!/usr/bin/env bash
# Undo packaging/install.sh: remove the menu entry, the MIME type, the icons, the copied app
# (DATA_HOME/nirdesk/app) and the ~/.local/bin/nirdesk link when it points there.
#   uninstall.sh [--data-home DIR] [--bin-dir DIR]   (same defaults as install.sh)
set -euo pipefail
DATA_HOME="${XDG_DATA_HOME:-$HOME/.local/share}"; BIN_DIR="$HOME/.local/bin"
while [ $# -gt 0 ]; do
    case "$1" in
        --data-home) [ $# -gt 1 ] || { echo "uninstall.sh: --data-home needs a folder" >&2; exit 2; }
                     DATA_HOME="$2"; shift ;;
        --bin-dir) [ $# -gt 1 ] || { echo "uninstall.sh: --bin-dir needs a folder" >&2; exit 2; }
                   BIN_DIR="$2"; shift ;;
        -h|--help) sed -n '2,4p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "uninstall.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done
APPS="$DATA_HOME/applications"; MIME="$DATA_HOME/mime"; HICOLOR="$DATA_HOME/icons/hicolor"
rm -f "$APPS/nirdesk.desktop" "$MIME/packages/nirdesk.xml" "$HICOLOR/scalable/apps/nirdesk.svg"
rm -f "$HICOLOR"/*/apps/nirdesk.png "$HICOLOR"/*/mimetypes/application-x-nirdesk-project.png
if [ -L "$BIN_DIR/nirdesk" ]; then
    case "$(readlink "$BIN_DIR/nirdesk")" in
        "$DATA_HOME/nirdesk/app/"*) rm -f "$BIN_DIR/nirdesk" ;;
    esac
fi
rm -rf "$DATA_HOME/nirdesk/app"
rmdir "$DATA_HOME/nirdesk" 2>/dev/null || true
if [ -d "$MIME/packages" ] && command -v update-mime-database >/dev/null; then
    update-mime-database "$MIME" || true
fi
if [ -d "$APPS" ] && command -v update-desktop-database >/dev/null; then
    update-desktop-database -q "$APPS" || true
fi
if [ -d "$HICOLOR" ] && command -v gtk-update-icon-cache >/dev/null; then
    gtk-update-icon-cache -q -t -f "$HICOLOR" 2>/dev/null || true
fi
echo "removed nirdesk from $DATA_HOME"
