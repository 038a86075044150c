#!/usr/bin/env bash
# Put nirdesk in the user's application menu and make a double-click on a .nirdesk project
# open it: a .desktop entry, the application/x-nirdesk-project MIME type and the icons, all
# under the user's data folder (no root needed). Run packaging/uninstall.sh to undo.
#
#   install.sh [--frozen [DIST_DIR] [--in-place] | --venv [NIRDESK]] [--data-home DIR] [--bin-dir DIR]
#
#   --frozen DIST_DIR  the built app folder (default: this folder when the script sits in it,
#                      else dist/nirdesk of the checkout). It is copied to
#                      DATA_HOME/nirdesk/app (replacing an older copy) unless --in-place, and
#                      BIN_DIR/nirdesk is linked to it when that name is free or our link.
#   --venv NIRDESK     a pip/venv install: the `nirdesk` console script to launch (default:
#                      .venv/bin/nirdesk of the checkout, else the one on PATH).
#   Default: --frozen when a built app is found, else --venv.
#   --data-home DIR    default ${XDG_DATA_HOME:-~/.local/share}; --bin-dir default ~/.local/bin.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
die() { echo "install.sh: $*" >&2; exit 2; }

# Where the desktop/MIME templates and icons are: a checkout, or a built app folder (the
# build copies this script next to the executable; PyInstaller keeps data in _internal/).
if [ -f "$HERE/nirdesk.desktop" ] && [ -d "$HERE/../resources/icons" ]; then
    ROOT="$(cd "$HERE/.." && pwd)"
    TEMPLATES="$HERE"; ICONS="$ROOT/resources/icons"; BUILT="$ROOT/dist/nirdesk"
elif [ -d "$HERE/_internal/packaging" ]; then
    ROOT=""; TEMPLATES="$HERE/_internal/packaging"; ICONS="$HERE/_internal/resources/icons"
    BUILT="$HERE"
else
    die "cannot find the .desktop template and icons next to $HERE"
fi

MODE=""; TARGET=""; IN_PLACE=0
DATA_HOME="${XDG_DATA_HOME:-$HOME/.local/share}"; BIN_DIR="$HOME/.local/bin"
while [ $# -gt 0 ]; do
    case "$1" in
        --frozen) MODE=frozen
                  if [ $# -gt 1 ] && [ "${2#--}" = "$2" ]; then TARGET="$2"; shift; fi ;;
        --venv) MODE=venv
                if [ $# -gt 1 ] && [ "${2#--}" = "$2" ]; then TARGET="$2"; shift; fi ;;
        --in-place) IN_PLACE=1 ;;
        --data-home) [ $# -gt 1 ] || die "--data-home needs a folder"; DATA_HOME="$2"; shift ;;
        --bin-dir) [ $# -gt 1 ] || die "--bin-dir needs a folder"; BIN_DIR="$2"; shift ;;
        -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
    shift
done
if [ -z "$MODE" ]; then
    if [ -x "$BUILT/nirdesk" ]; then MODE=frozen; else MODE=venv; fi
fi

if [ "$MODE" = frozen ]; then
    DIST="${TARGET:-$BUILT}"
    [ -x "$DIST/nirdesk" ] || die "no built app in $DIST (run packaging/build.sh first)"
    DIST="$(cd "$DIST" && pwd)"
    if [ "$IN_PLACE" = 1 ]; then
        APP_DIR="$DIST"
    else
        APP_DIR="$DATA_HOME/nirdesk/app"
        if [ "$DIST" != "$APP_DIR" ]; then
            mkdir -p "$DATA_HOME/nirdesk"
            rm -rf "$APP_DIR.new"
            cp -a "$DIST" "$APP_DIR.new"
            rm -rf "$APP_DIR"
            mv "$APP_DIR.new" "$APP_DIR"
        fi
    fi
    EXEC="$APP_DIR/nirdesk"
    mkdir -p "$BIN_DIR"
    if [ ! -e "$BIN_DIR/nirdesk" ] || [ -L "$BIN_DIR/nirdesk" ]; then
        ln -sfn "$EXEC" "$BIN_DIR/nirdesk"
    else
        echo "install.sh: $BIN_DIR/nirdesk exists and is not a link; left as it is" >&2
    fi
else
    EXEC="$TARGET"
    if [ -z "$EXEC" ] && [ -n "$ROOT" ] && [ -x "$ROOT/.venv/bin/nirdesk" ]; then
        EXEC="$ROOT/.venv/bin/nirdesk"
    fi
    [ -n "$EXEC" ] || EXEC="$(command -v nirdesk || true)"
    [ -n "$EXEC" ] && [ -x "$EXEC" ] || die "no nirdesk executable found: pip install nirdesk first, or pass --venv PATH"
    EXEC="$(cd "$(dirname "$EXEC")" && pwd)/$(basename "$EXEC")"
fi

# The Exec key: quote the path when it needs it (Desktop Entry spec: inside double quotes
# escape " ` $ \ with a backslash; the key-file format then doubles every backslash).
exec_value="$EXEC"
case "$EXEC" in
    *[[:space:]\"\`\$\\\'\>\<\~\|\&\;\*\?\#\(\)]*)
        q="${EXEC//\\/\\\\}"; q="${q//\"/\\\"}"; q="${q//\`/\\\`}"; q="${q//\$/\\\$}"
        q="\"$q\""; exec_value="${q//\\/\\\\}" ;;
esac

APPS="$DATA_HOME/applications"; MIME="$DATA_HOME/mime"; HICOLOR="$DATA_HOME/icons/hicolor"
mkdir -p "$APPS" "$MIME/packages"
# ${var//...} rather than sed: the path may hold any character sed treats specially
template="$(cat "$TEMPLATES/nirdesk.desktop")"
printf '%s\n' "${template//@EXEC@/$exec_value}" > "$APPS/nirdesk.desktop"
cp "$TEMPLATES/nirdesk-mime.xml" "$MIME/packages/nirdesk.xml"
for png in "$ICONS"/nirdesk-*.png; do
    size="$(basename "$png" .png)"; size="${size#nirdesk-}"
    for kind in apps mimetypes; do mkdir -p "$HICOLOR/${size}x${size}/$kind"; done
    cp "$png" "$HICOLOR/${size}x${size}/apps/nirdesk.png"
    cp "$png" "$HICOLOR/${size}x${size}/mimetypes/application-x-nirdesk-project.png"
done
if [ -f "$ICONS/nirdesk.svg" ]; then
    mkdir -p "$HICOLOR/scalable/apps"
    cp "$ICONS/nirdesk.svg" "$HICOLOR/scalable/apps/nirdesk.svg"
fi

# Refresh the caches when the tools are there (desktops also notice the files on their own).
command -v update-mime-database >/dev/null && update-mime-database "$MIME" || true
command -v update-desktop-database >/dev/null && update-desktop-database -q "$APPS" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t -f "$HICOLOR" 2>/dev/null || true
# Make nirdesk the default for projects only for a real user install (not a test folder).
if [ "$DATA_HOME" = "${XDG_DATA_HOME:-$HOME/.local/share}" ] && command -v xdg-mime >/dev/null; then
    xdg-mime default nirdesk.desktop application/x-nirdesk-project || true
fi

echo "installed nirdesk ($MODE): $APPS/nirdesk.desktop -> $EXEC"
