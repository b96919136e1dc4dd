#!/usr/bin/env bash
# make demo: roll out the example event against the bundled Bintu emulator,
# show the hand-off sheet, re-run (nothing changes), tear down (a live stream
# is kept), tear down with force. Needs nothing but Python 3.11: uses .venv
# when `make venv` built it, else creates a small venv (.venv-demo) with
# ansible-core and requests.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"

EVENT_VARS=playbooks/vars/example_event.yml
EVENT=$(sed -n 's/^event_rollout_event:[[:space:]]*//p' "$EVENT_VARS" | tr -d "\"'")
LIVE_STREAM="$EVENT/main-stage-en"

if [[ -t 1 ]]; then
    bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
    bold() { printf '\n== %s\n' "$*"; }
fi
info() { printf '   %s\n' "$*"; }

# --- Python environment ------------------------------------------------------
if [[ -x .venv/bin/ansible-playbook ]]; then
    VENV=.venv
else
    VENV=.venv-demo
    if [[ ! -x "$VENV/bin/ansible-playbook" ]]; then
        PYTHON=$(command -v python3.11 || command -v python3)
        bold "Creating $VENV (ansible-core, requests) - once"
        "$PYTHON" -m venv "$VENV"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check \
            'ansible-core>=2.18,<2.20' 'requests>=2.25' 2>&1 | grep -v '^WARNING: Location' || true
    fi
fi
PY="$REPO/$VENV/bin/python"
PLAYBOOK="$REPO/$VENV/bin/ansible-playbook"

# --- Work directory, collection path -------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bintu-demo.XXXXXX")
REPORTS="$WORK/reports"
LOGS="$WORK/logs"
mkdir -p "$LOGS"

# The repository is the collection root; make it importable as nanocosmos.bintu.
parent=$(dirname "$REPO")
if [[ "$(basename "$REPO")" == bintu && "$(basename "$parent")" == nanocosmos \
      && "$(basename "$(dirname "$parent")")" == ansible_collections ]]; then
    COLLECTIONS=$(dirname "$(dirname "$parent")")
else
    COLLECTIONS="$WORK/collections"
    mkdir -p "$COLLECTIONS/ansible_collections/nanocosmos"
    ln -s "$REPO" "$COLLECTIONS/ansible_collections/nanocosmos/bintu"
fi
export ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS"
export ANSIBLE_LOCALHOST_WARNING=False ANSIBLE_INVENTORY_UNPARSED_WARNING=False
export ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_NOCOLOR=1 ANSIBLE_CALLBACK_RESULT_FORMAT=yaml

# --- Emulator ----------------------------------------------------------------------
EMULATOR_PID=
cleanup() {
    local rc=$?
    if [[ -n "$EMULATOR_PID" ]] && kill -0 "$EMULATOR_PID" 2>/dev/null; then
        kill -TERM "$EMULATOR_PID" 2>/dev/null || true
        wait "$EMULATOR_PID" 2>/dev/null || true
        info "Emulator stopped."
    fi
    rm -rf "$WORK/collections"
    if [[ $rc -ne 0 ]]; then
        printf '\nThe demo failed (exit %s). Logs: %s\n' "$rc" "$LOGS" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bold "Starting the Bintu emulator"
"$PY" tests/emulator/bintu_emulator.py --host 127.0.0.1 --port 0 >"$LOGS/emulator.log" 2>&1 &
EMULATOR_PID=$!
URL=
for _ in $(seq 1 100); do
    URL=$(head -n 1 "$LOGS/emulator.log" 2>/dev/null || true)
    [[ "$URL" == http://* ]] && break
    if ! kill -0 "$EMULATOR_PID" 2>/dev/null; then
        cat "$LOGS/emulator.log" >&2
        exit 1
    fi
    sleep 0.1
done
if [[ "$URL" != http://* ]]; then
    echo "The emulator did not print its URL; see $LOGS/emulator.log" >&2
    exit 1
fi
info "Listening on $URL (pid $EMULATOR_PID): a local, in-memory Bintu; nothing leaves this machine"
info "Sheets go to $REPORTS"

# The emulator's built-in demo credentials; the playbooks read them from the
# environment, as they would read a real key.
export BINTU_API_URL="$URL"
export BINTU_API_KEY=emulator-api-key
CONTROL_TOKEN=emulator-control

# Emulator control API: ctl METHOD PATH [JSON-BODY] -> prints the JSON answer.
ctl() {
    "$PY" - "$URL" "$CONTROL_TOKEN" "$@" <<'PYEOF'
import json, sys, urllib.request
url, token, method, path = sys.argv[1:5]
body = sys.argv[5].encode() if len(sys.argv) > 5 else None
req = urllib.request.Request(url + path, data=body, method=method,
                             headers={"X-Emulator-Control": token, "Content-Type": "application/json"})
with urllib.request.urlopen(req, timeout=10) as resp:
    sys.stdout.write(resp.read().decode() or "{}")
PYEOF
}

# Writes (POST/PUT/DELETE) the Bintu API received since the log was cleared.
api_writes() {
    ctl GET /_emulator/requests | "$PY" -c '
import json, sys
print(sum(1 for r in json.load(sys.stdin)["requests"] if r["method"] in ("POST", "PUT", "DELETE")))'
}

# Print the run summary stored in a JSON sheet.
summary() {
    "$PY" - "$1" <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
keys = ("created", "updated", "unchanged", "recreated", "deleted", "kept_live", "failed")
total = s.get("total", 0)
print("   %d stream%s: %s" % (total, "" if total == 1 else "s",
                           ", ".join("%s %d" % (k.replace("_", " "), s.get(k, 0)) for k in keys)))
PYEOF
}

# run STEP PLAYBOOK [ARGS...]: run with the output in a log (shown on failure).
run() {
    local step=$1 playbook=$2
    shift 2
    info "\$ ansible-playbook $playbook -e @$EVENT_VARS${*:+ $*}"
    if ! "$PLAYBOOK" "$playbook" -e "@$EVENT_VARS" -e "event_rollout_report_dir=$REPORTS" "$@" \
            >"$LOGS/$step.log" 2>&1; then
        tail -n 30 "$LOGS/$step.log" >&2
        return 1
    fi
}

# --- 1. Roll out ---------------------------------------------------------------------
bold "1. Roll out event $EVENT ($EVENT_VARS)"
ctl DELETE /_emulator/requests >/dev/null
run 1-rollout playbooks/event_rollout.yml
summary "$REPORTS/$EVENT-handoff.json"
info "API writes: $(api_writes)"

bold "The hand-off sheet for the encoder operators"
info "Markdown: $REPORTS/$EVENT-handoff.md"
info "CSV:      $REPORTS/$EVENT-handoff.csv"
info "JSON:     $REPORTS/$EVENT-handoff.json"
info "(mode $(stat -c %a "$REPORTS/$EVENT-handoff.md"), directory mode $(stat -c %a "$REPORTS"))"
echo
sed 's/^/   | /' "$REPORTS/$EVENT-handoff.md"

# --- 2. Re-run -----------------------------------------------------------------------
bold "2. Run it again: nothing to change"
ctl DELETE /_emulator/requests >/dev/null
run 2-rerun playbooks/event_rollout.yml
summary "$REPORTS/$EVENT-handoff.json"
info "API writes: $(api_writes) (the run only looked the streams up)"

# --- 3. Teardown while a stream is live -------------------------------------------------
bold "3. The encoder of $LIVE_STREAM goes live; tear the event down"
LIVE_ID=$("$PY" - "$REPORTS/$EVENT-handoff.json" "$LIVE_STREAM" <<'PYEOF'
import json, sys
print(next(s["id"] for s in json.load(open(sys.argv[1]))["streams"] if s["name"] == sys.argv[2]))
PYEOF
)
ctl PUT "/_emulator/streams/$LIVE_ID/state" '{"state": "live"}' >/dev/null
info "$LIVE_STREAM is now live (emulator control API)"
run 3-teardown playbooks/event_teardown.yml
summary "$REPORTS/$EVENT-teardown.json"
info "Teardown sheet: $REPORTS/$EVENT-teardown.md"
info "Kept because live:"
grep -E '\| kept_live \|' "$REPORTS/$EVENT-teardown.md" | sed 's/^/   /' || true

# --- 4. Teardown with force ---------------------------------------------------------
bold "4. Tear down with event_rollout_force=true"
run 4-teardown-force playbooks/event_teardown.yml -e event_rollout_force=true
summary "$REPORTS/$EVENT-teardown.json"

bold "Done"
info "Sheets: $REPORTS"
info "Playbook logs: $LOGS"
