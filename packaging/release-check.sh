#!/usr/bin/env bash
# Release check of the double-click app (not part of the default CI: it builds for minutes).
#   packaging/release-check.sh [--no-build]
# 1. packaging/build.sh (unless --no-build): dist/nirdesk/, build time and size printed;
# 2. dist/nirdesk/nirdesk --version equals pyproject's version;
# 3. dist/nirdesk/nirdesk --self-test exits 0 (window offscreen on the demo data, the demo
#    pipeline on 2 frozen worker processes, compared with an in-process run);
# 4. the engine inside the bundle: run (registry names, a dotted sklearn path, Optuna with
#    SQLite storage) --save, info and predict on the demo data;
# 5. the frozen window under Xvfb: --screenshot gives a PNG (when xvfb-run is installed);
# 6. install.sh / uninstall.sh into a scratch data folder; the generated .desktop file passes
#    desktop-file-validate (when installed) and the MIME database knows *.nirdesk.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
APP=dist/nirdesk/nirdesk
fail() { echo "release-check: FAILED: $*" >&2; exit 1; }
step() { echo; echo "== $*"; }

if [ "${1:-}" != "--no-build" ]; then
    step "build"
    packaging/build.sh
fi
[ -x "$APP" ] || fail "no $APP (run without --no-build)"

step "version"
want="$(sed -n 's/^version *= *"\(.*\)"/\1/p' pyproject.toml | head -1)"
got="$("$APP" --version)"
echo "$got"
[ "$got" = "nirdesk $want" ] || fail "--version says '$got', pyproject says $want"

step "self-test"
t0=$(date +%s%N)
"$APP" --self-test || fail "self-test exited $?"
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
echo "self-test wall time: $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s"

step "engine in the bundle: dynamic imports (registry, dotted sklearn path, Optuna + its
SQLite storage, skops model files) through run --save, info and predict"
work="$(mktemp -d)"
cat > "$work/pipeline.json" <<'JSON'
{"name": "release check", "steps": [
  {"branch": {"_or_": ["SNV", "MSC"]}, "n_jobs": 2},
  {"branch": [
    [{"class": "RandomForestRegressor", "params": {"n_estimators": 20, "random_state": 0}}],
    [{"class": "sklearn.linear_model.Ridge", "params": {"alpha": 1.0}}],
    [{"model": {"class": "Ridge"},
      "finetune_params": {"n_trials": 4, "model_params": {"alpha": ["float_log", 0.0001, 10]}}}]
  ]}
]}
JSON
demo="$(ls -d dist/nirdesk/_internal/resources/demo/tecator)"
"$APP" run "$work/pipeline.json" --data "$demo" --parallel-branches 2 \
    --study-storage "sqlite:///$work/study.db" --save "$work/p.nirdesk" --out "$work/r.json" \
    || fail "nirdesk run in the bundle exited $?"
if grep -q '"status": "failed"' "$work/r.json"; then fail "a branch failed: see $work/r.json"; fi
"$APP" info "$work/p.nirdesk" >/dev/null || fail "nirdesk info on the saved project"
"$APP" predict "$work/p.nirdesk" --data "$demo" --out "$work/pred.csv" || fail "nirdesk predict"
[ "$(wc -l < "$work/pred.csv")" -gt 215 ] || fail "predictions missing in $work/pred.csv"
rm -rf "$work"

if command -v xvfb-run >/dev/null; then
    step "window under Xvfb"
    shot="$(mktemp -d)/frozen.png"
    xvfb-run -a -s "-screen 0 1280x800x24" "$APP" --screenshot "$shot" || fail "--screenshot failed"
    [ -s "$shot" ] || fail "no screenshot written"
    echo "screenshot: $shot (look at it)"
else
    echo "(xvfb-run not installed: window check skipped)"
fi

step "install / uninstall"
scratch="$(mktemp -d)"
packaging/install.sh --frozen dist/nirdesk --data-home "$scratch/share" --bin-dir "$scratch/bin"
desktop="$scratch/share/applications/nirdesk.desktop"
grep -q "^Exec=$scratch/share/nirdesk/app/nirdesk %f$" "$desktop" || fail "unexpected Exec in $desktop"
"$scratch/bin/nirdesk" --version >/dev/null || fail "the installed link does not start"
if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate "$desktop" || fail "desktop-file-validate: $desktop"
    echo "desktop-file-validate: ok"
fi
if [ -f "$scratch/share/mime/globs2" ]; then
    grep -q "application/x-nirdesk-project:\*.nirdesk" "$scratch/share/mime/globs2" \
        || fail "the MIME database does not map *.nirdesk"
    echo "MIME database: *.nirdesk -> application/x-nirdesk-project"
fi
packaging/uninstall.sh --data-home "$scratch/share" --bin-dir "$scratch/bin"
[ ! -e "$desktop" ] && [ ! -e "$scratch/bin/nirdesk" ] || fail "uninstall left files behind"
rm -rf "$scratch"

step "release check passed"
