# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers for the reliability tests (tests/integration/test_reliability_*.py).

They read the emulator's full store (``GET /_emulator/streams``) and check the
invariants every run must keep, whatever fault it met: one passthrough per
name, no member without its passthrough, and nothing outside the run touched.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
PLAYBOOKS = HERE / "playbooks"
REPO_ROOT = HERE.parents[1]
IDENTITY = "name:"


def is_passthrough(stream):
    return stream.get("streamgroup") in (None, stream["id"])


def alive(stream):
    return stream.get("state") != "deleted"


def names_of(stream):
    return [t[len(IDENTITY):] for t in stream.get("tags") or [] if t.startswith(IDENTITY)]


def passthroughs_by_name(streams):
    """{name: [live-or-created passthroughs carrying name:<name>]} over the emulator store."""
    found = {}
    for stream in streams:
        if is_passthrough(stream) and alive(stream):
            for name in names_of(stream):
                found.setdefault(name, []).append(stream)
    return found


def stray_members(streams):
    """Members (transcodes) that are not deleted although their passthrough is gone or unknown."""
    groups = {s["id"]: s for s in streams if is_passthrough(s)}
    stray = []
    for stream in streams:
        if is_passthrough(stream) or not alive(stream):
            continue
        group = groups.get(stream.get("streamgroup"))
        if group is None or not alive(group):
            stray.append(stream)
    return stray


def dead_group_members(streams):
    """Passthroughs that are deleted while a member of theirs is not."""
    return [s for s in streams if is_passthrough(s) and not alive(s)
            and any(m.get("streamgroup") == s["id"] and m["id"] != s["id"] and alive(m) for m in streams)]


def check_store(streams, names, exact=True, untouched=()):
    """Assert the invariants over a store snapshot; return {name: passthrough}.

    ``names``: the names the run manages; each has at most one passthrough (exactly
    one when ``exact``). ``untouched``: snapshots (dicts) of streams that must be
    exactly as they were (same tags, state, not deleted).
    """
    by_name = passthroughs_by_name(streams)
    problems = []
    for name in names:
        count = len(by_name.get(name, []))
        if count > 1 or (exact and count != 1):
            problems.append("name %r has %d passthroughs: %s" % (
                name, count, [s["id"] for s in by_name.get(name, [])]))
    stray = stray_members(streams)
    if stray:
        problems.append("stray members: %s" % [(s["id"], s.get("streamgroup")) for s in stray])
    dead = dead_group_members(streams)
    if dead:
        problems.append("deleted passthroughs with undeleted members: %s" % [s["id"] for s in dead])
    current = {s["id"]: s for s in streams}
    for before in untouched:
        now = current.get(before["id"])
        if now is None:
            problems.append("stream %s vanished" % before["id"])
            continue
        for key in ("state", "tags", "updated_at"):
            if now.get(key) != before.get(key):
                problems.append("stream %s changed %s: %r -> %r" % (before["id"], key, before.get(key), now.get(key)))
    assert not problems, "; ".join(problems)
    return {name: by_name[name][0] for name in names if by_name.get(name)}


def members_of(streams, group_id):
    return [s for s in streams if s.get("streamgroup") == group_id and s["id"] != group_id and alive(s)]


def seed(emulator, tags, transcodes=None):
    """Create a stream directly through the API (as another tool would); return its stored snapshot."""
    body = {"tags": list(tags)}
    if transcodes:
        body["transcodes"] = [{"profile": p, "tags": []} for p in transcodes]
    resp = emulator.call("POST", "/stream", body)
    assert resp.status in (200, 201), resp
    stream_id = resp.json["id"]
    emulator.clear_requests()
    return next(s for s in emulator.streams() if s["id"] == stream_id)


def writes_to(log, stream_id):
    """Log entries that wrote to one stream id."""
    return [e for e in log if e["method"] in ("POST", "PUT", "PATCH", "DELETE")
            and (e["path"] == "/stream/%s" % stream_id or e["path"].startswith("/stream/%s/" % stream_id))]


# -- running ansible-playbook outside the function-scoped fixture -------------------

import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

ACTION_PLUGINS = PLAYBOOKS / "reliability_plugins" / "action"


class Run:
    """rc, stdout, stderr, out_dir and result(name) of one ansible-playbook run."""

    def __init__(self, proc, out_dir, cmd):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.out_dir = Path(out_dir)
        self.cmd = cmd

    @property
    def output(self):
        return self.stdout + self.stderr

    def result(self, name):
        return json.loads((self.out_dir / ("%s.json" % name)).read_text(encoding="utf-8"))


def playbook_env(emulator, env=None):
    """The environment the ansible_playbook fixture uses, plus the reliability action plugins."""
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("BINTU_")}
    run_env.update({"ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0",
                    "ANSIBLE_RETRY_FILES_ENABLED": "0", "ANSIBLE_LOCALHOST_WARNING": "False",
                    "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False", "ANSIBLE_ACTION_PLUGINS": str(ACTION_PLUGINS)})
    run_env.update(emulator.env())
    for key, value in (env or {}).items():
        if value is None:
            run_env.pop(key, None)
        else:
            run_env[key] = str(value)
    return run_env


def start_playbook(emulator, playbook, run_dir, extra_vars=None, env=None, args=()):
    """Start ansible-playbook (not waiting); returns (Popen, out_dir, cmd)."""
    run_dir = Path(run_dir)
    out_dir = run_dir / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    variables = dict(extra_vars or {})
    variables.setdefault("out_dir", str(out_dir))
    vars_file = run_dir / "extra_vars.json"
    vars_file.write_text(json.dumps(variables), encoding="utf-8")
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), str(playbook), "-e", "@%s" % vars_file]
    cmd.extend(args)
    proc = subprocess.Popen(cmd, cwd=str(run_dir), env=playbook_env(emulator, env), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    return proc, out_dir, cmd


def run_playbook(emulator, playbook, run_dir, extra_vars=None, env=None, args=(), timeout=900):
    proc, out_dir, cmd = start_playbook(emulator, playbook, run_dir, extra_vars, env, args)
    stdout, stderr = proc.communicate(timeout=timeout)
    proc.stdout, proc.stderr = stdout, stderr
    return Run(proc, out_dir, cmd)
