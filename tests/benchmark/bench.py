# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Performance benchmark of nanocosmos.bintu against the bundled Bintu emulator.

Starts its own emulator (default: 50 ms latency per API request, a WAN API)
and measures, side by side in one run, for N streams with a 2-profile ladder:

* ``rollout``: the event_rollout role (one bintu_streams call), cold and warm;
* ``uri``: tests/benchmark/uri_baseline.yml, the hand-written
  ansible.builtin.uri playbook a user writes without the collection;
* ``loop``: tests/benchmark/stream_loop.yml, one bintu_stream task per stream;
* ``limit``: the latency-bound limit, requests sent x latency / concurrency
  plus one ansible-playbook start (the wall time of tests/benchmark/empty.yml);

then the rollout alone at a larger N (cold and warm once), and the cost of one
bintu_stream task on an unchanged stream against a module that does nothing.

Usage (from the repository root)::

    python tests/benchmark/bench.py                 # full run (make bench)
    python tests/benchmark/bench.py --smoke         # N=5, no latency, 1 run (make test)
    python tests/benchmark/bench.py --n 200 --runs 3 --baseline-runs 1 --json out.json

Prints a Markdown table and writes the results as JSON. Exits non-zero only if
something errored (a playbook failed, the emulator did not start, a cold run did
not create the streams); a missed target is reported, not an error, unless
``--strict`` is given.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH_DIR = os.path.join(REPO, "tests", "benchmark")
EMULATOR = os.path.join(REPO, "tests", "emulator", "bintu_emulator.py")
ROLE_DEFAULTS = os.path.join(REPO, "roles", "event_rollout", "defaults", "main.yml")

LADDER = ["vtrans2-852x480x800x25", "vtrans2-640x360x400x25"]
EVENT = "bench"
SINGLE_EVENT = "single"
WRITE_METHODS = ("POST", "PUT", "DELETE", "PATCH")
CONTROL_HEADER = "X-Emulator-Control"
CALLBACK_DIR = os.path.join(BENCH_DIR, "callback_plugins")

TARGETS = {
    "cold_vs_uri": 15.0,
    "cold_vs_loop": 10.0,
    "cold_vs_limit": 1.5,
    "warm_writes": 0,
    "warm_requests_per_stream": 1.0,
    "warm_vs_uri": 20.0,
    "large_scaling": 10.0,
    "large_rss_mb": 100.0,
    "single_requests_per_task": 1.0,
}


class BenchError(Exception):
    """Something in the benchmark itself went wrong (not a missed target)."""


# --------------------------------------------------------------------------
# collection path, environment


def collections_root(workdir):
    """Return a directory that holds ansible_collections/nanocosmos/bintu -> this repo."""
    parts = REPO.split(os.sep)
    if len(parts) > 3 and parts[-3:-1] == ["ansible_collections", "nanocosmos"] and parts[-1] == "bintu":
        return os.sep.join(parts[:-3])
    root = os.path.join(workdir, "collections")
    ns = os.path.join(root, "ansible_collections", "nanocosmos")
    os.makedirs(ns, exist_ok=True)
    link = os.path.join(ns, "bintu")
    if not os.path.islink(link):
        os.symlink(REPO, link)
    return root


def ansible_playbook_bin():
    candidate = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    if os.path.exists(candidate):
        return candidate
    found = shutil.which("ansible-playbook")
    if not found:
        raise BenchError("ansible-playbook not found next to %s nor on PATH" % sys.executable)
    return found


def ansible_version():
    try:
        from ansible.release import __version__  # pylint: disable=import-outside-toplevel
        return __version__
    except ImportError:
        return None


def git_commit():
    if os.environ.get("BINTU_BENCH_COMMIT"):
        return os.environ["BINTU_BENCH_COMMIT"]
    try:
        out = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=False, timeout=10)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def role_concurrency():
    """The role's default event_rollout_concurrency (what a user gets), else 4."""
    try:
        with open(ROLE_DEFAULTS, encoding="utf-8") as handle:
            match = re.search(r"^event_rollout_concurrency:\s*(\d+)\s*$", handle.read(), re.M)
        if match:
            return int(match.group(1))
    except OSError:
        pass
    return 4


# --------------------------------------------------------------------------
# emulator


class Emulator:
    """The emulator process started by the benchmark, and its control API."""

    def __init__(self, workdir, latency_ms, script=EMULATOR):
        self.script = script
        self.api_key = "bench-" + secrets.token_hex(12)
        self.control_token = "ctl-" + secrets.token_hex(12)
        self.latency_ms = latency_ms
        self.url = None
        self.log_path = os.path.join(workdir, "emulator.log")
        self.proc = None

    def start(self):
        if not os.path.exists(self.script):
            raise BenchError("emulator not found: %s" % self.script)
        cmd = [sys.executable, self.script, "--host", "127.0.0.1", "--port", "0",
               "--api-key", self.api_key, "--control-token", self.control_token]
        if self.latency_ms:
            cmd += ["--latency-ms", str(self.latency_ms)]
        with open(self.log_path, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)  # pylint: disable=consider-using-with
        line = self.proc.stdout.readline().decode("utf-8", "replace").strip()
        if not line.startswith("http"):
            self.stop()
            raise BenchError("emulator did not print its URL (got %r); see %s" % (line, self.log_path))
        self.url = line.rstrip("/")
        self.set_latency(self.latency_ms)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()

    def control(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header(CONTROL_HEADER, self.control_token)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise BenchError("emulator control %s %s answered %s" % (method, path, exc.code)) from exc
        except urllib.error.URLError as exc:
            raise BenchError("emulator control %s %s failed: %s" % (method, path, exc.reason)) from exc
        return json.loads(raw) if raw.strip() else None

    def set_latency(self, latency_ms):
        config = self.control("PATCH", "/_emulator/config", {"latency_ms": latency_ms})
        if config is not None and isinstance(config, dict) and "latency_ms" in config:
            if int(config["latency_ms"] or 0) != int(latency_ms or 0):
                raise BenchError("emulator did not take latency_ms=%s (config says %r)"
                                 % (latency_ms, config["latency_ms"]))
        self.latency_ms = latency_ms

    def reset(self):
        """Drop all streams and the log; keep the benchmark's latency."""
        latency = self.latency_ms
        self.control("POST", "/_emulator/reset")
        self.set_latency(latency)
        self.clear_requests()

    def clear_requests(self):
        self.control("DELETE", "/_emulator/requests")

    def requests(self):
        body = self.control("GET", "/_emulator/requests")
        return body.get("requests", []) if isinstance(body, dict) else (body or [])

    def streams(self):
        body = self.control("GET", "/_emulator/streams")
        if isinstance(body, dict):
            for key in ("streams", "data"):
                if isinstance(body.get(key), list):
                    return body[key]
            return []
        return body or []

    def api_create(self, tags, transcodes):
        """Create one stream through the Bintu API (setup only, not measured)."""
        body = {"tags": tags, "transcodes": [{"profile": p, "tags": []} for p in transcodes]}
        req = urllib.request.Request(self.url + "/stream", data=json.dumps(body).encode("utf-8"), method="POST")
        req.add_header("X-BINTU-APIKEY", self.api_key)
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())


def count_requests(log):
    by_method = {}
    for entry in log:
        method = str(entry.get("method", "?")).upper()
        by_method[method] = by_method.get(method, 0) + 1
    writes = sum(n for m, n in by_method.items() if m in WRITE_METHODS)
    server_s = sum(float(e.get("duration_ms") or 0) for e in log) / 1000.0
    errors = sum(1 for e in log if int(e.get("status") or 0) >= 400)
    return {"total": len(log), "by_method": dict(sorted(by_method.items())), "writes": writes,
            "errors": errors, "server_seconds": round(server_s, 3)}


def is_deleted(stream):
    return bool(stream.get("deleted")) or str(stream.get("state", "")).lower() == "deleted"


def check_event_streams(emulator, names, ladder_len):
    """Each name has exactly one live passthrough with name:<n> and its ladder."""
    wanted = {"name:" + n for n in names}
    found = {}
    for stream in emulator.streams():
        if is_deleted(stream):
            continue
        for tag in stream.get("tags") or []:
            if tag in wanted:
                found.setdefault(tag, []).append(stream)
    problems = []
    missing = sorted(wanted - set(found))
    if missing:
        problems.append("%d of %d streams missing (e.g. %s)" % (len(missing), len(wanted), missing[0]))
    dup = sorted(t for t, s in found.items() if len(s) > 1)
    if dup:
        problems.append("%d names with more than one stream (e.g. %s)" % (len(dup), dup[0]))
    bad_ladder = 0
    for streams in found.values():
        h5live = ((streams[0].get("playout") or {}).get("h5live")) or []
        if h5live and len(h5live) != ladder_len + 1:
            bad_ladder += 1
    if bad_ladder:
        problems.append("%d streams without a %d-profile ladder" % (bad_ladder, ladder_len))
    return problems


# --------------------------------------------------------------------------
# running ansible-playbook with timing and memory


def _children(pid):
    kids = []
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return kids
    for tid in tasks:
        try:
            with open("/proc/%d/task/%s/children" % (pid, tid), encoding="ascii") as handle:
                kids.extend(int(x) for x in handle.read().split())
        except (OSError, ValueError):
            continue
    return kids


def _read_hwm_kb(pid):
    try:
        with open("/proc/%d/status" % pid, encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _module_name(pid, cache):
    if pid in cache:
        return cache[pid]
    name = None
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            args = handle.read().split(b"\0")
        for arg in args:
            base = os.path.basename(arg.decode("utf-8", "replace"))
            if base.startswith("AnsiballZ_") and base.endswith(".py"):
                name = base[len("AnsiballZ_"):-3]
                break
    except OSError:
        return None  # gone; try again next time if it comes back
    cache[pid] = name
    return name


class TreeSampler(threading.Thread):
    """Samples the process tree of one ansible-playbook run every ``interval`` s.

    Records, per Ansible module (the Python process running AnsiballZ_<module>.py),
    the highest VmHWM (peak resident set size) seen and how many such processes ran.
    """

    def __init__(self, root_pid, interval=0.02):
        super().__init__(daemon=True)
        self.root_pid = root_pid
        self.interval = interval
        self.done = threading.Event()
        self.modules = {}
        self.pids = {}

    def run(self):
        names = {}
        while not self.done.is_set():
            stack = [self.root_pid]
            seen = set()
            while stack:
                pid = stack.pop()
                if pid in seen:
                    continue
                seen.add(pid)
                stack.extend(_children(pid))
                if pid == self.root_pid:
                    continue
                module = _module_name(pid, names)
                if module:
                    hwm = _read_hwm_kb(pid)
                    if hwm:
                        self.modules[module] = max(self.modules.get(module, 0), hwm)
                    self.pids.setdefault(module, set()).add(pid)
            self.done.wait(self.interval)


def read_timings(path):
    """Per-task wall times written by the bench_timer callback, largest first."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    tasks = sorted(data.get("tasks", []), key=lambda t: -t.get("seconds", 0))
    return {"playbook_s": data.get("playbook_s"),
            "tasks": [{"task": t.get("task"), "action": t.get("action"), "seconds": t.get("seconds"),
                       "items": t.get("items")} for t in tasks]}


class Runner:
    """Runs playbooks of tests/benchmark with the benchmark's environment."""

    def __init__(self, workdir, emulator, verbose=False):
        self.workdir = workdir
        self.emulator = emulator
        self.verbose = verbose
        self.playbook_bin = ansible_playbook_bin()
        self.env = dict(os.environ)
        for key in list(self.env):
            if key.startswith("BINTU_") or key == "ANSIBLE_CONFIG":
                del self.env[key]
        self.env.update({
            "ANSIBLE_COLLECTIONS_PATH": collections_root(workdir),
            "ANSIBLE_HOST_KEY_CHECKING": "False",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_LOCALHOST_WARNING": "False",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
            "ANSIBLE_DEPRECATION_WARNINGS": "False",
            "BINTU_API_URL": emulator.url,
            "BINTU_API_KEY": emulator.api_key,
            "PWD": workdir,
            # private temporary directories, so nothing else on the machine touches them
            "ANSIBLE_LOCAL_TEMP": os.path.join(workdir, "ansible-local"),
            "ANSIBLE_REMOTE_TMP": os.path.join(workdir, "ansible-remote"),
            # per-task wall times (callback_plugins/bench_timer.py)
            "ANSIBLE_CALLBACK_PLUGINS": CALLBACK_DIR,
            "ANSIBLE_CALLBACKS_ENABLED": "bench_timer",
        })
        self.count = 0

    def redact(self, text):
        return text.replace(self.emulator.api_key, "********").replace(self.emulator.control_token, "********")

    def run(self, playbook, extra_vars=None, label=None, timeout=3600):
        """Run one playbook; return wall seconds, CPU seconds and memory figures."""
        self.count += 1
        label = label or os.path.splitext(os.path.basename(playbook))[0]
        log_path = os.path.join(self.workdir, "%03d-%s.log" % (self.count, label))
        cmd = [self.playbook_bin, os.path.join(BENCH_DIR, playbook)]
        if extra_vars is not None:
            vars_path = os.path.join(self.workdir, "%03d-%s.vars.json" % (self.count, label))
            with open(vars_path, "w", encoding="utf-8") as handle:
                json.dump(extra_vars, handle)
            cmd += ["-e", "@" + vars_path]
        timings_path = os.path.join(self.workdir, "%03d-%s.timings.json" % (self.count, label))
        env = dict(self.env, BINTU_BENCH_TIMINGS=timings_path)
        load_before = loadavg()
        with open(log_path, "wb") as log:
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,  # pylint: disable=consider-using-with
                                    stdin=subprocess.DEVNULL, env=env, cwd=self.workdir)
            sampler = TreeSampler(proc.pid)
            sampler.start()
            timer = threading.Timer(timeout, proc.kill)
            timer.start()
            try:
                _pid, status, usage = os.wait4(proc.pid, 0)
            finally:
                timer.cancel()
                wall = time.perf_counter() - start
                sampler.done.set()
                sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        result = {
            "wall_s": round(wall, 3),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
            "rc": proc.returncode,
            # ru_maxrss of the waited-for tree: the largest single process among
            # ansible-playbook, its workers and the module processes (Linux: KiB).
            "tree_peak_rss_mb": round(usage.ru_maxrss / 1024.0, 1),
            "module_peak_rss_mb": {m: round(kb / 1024.0, 1) for m, kb in sorted(sampler.modules.items())},
            "module_processes": {m: len(p) for m, p in sorted(sampler.pids.items())},
            "tasks": read_timings(timings_path),
            "loadavg_before": load_before,
        }
        if proc.returncode != 0:
            with open(log_path, encoding="utf-8", errors="replace") as handle:
                tail = handle.read()[-3000:]
            raise BenchError("%s failed (rc=%s) after %.1f s; log %s:\n%s"
                             % (playbook, proc.returncode, wall, log_path, self.redact(tail)))
        if self.verbose:
            print("    %-28s %7.2f s" % (label, wall), file=sys.stderr)
        return result


# --------------------------------------------------------------------------
# scenarios


def stream_names(n, event=EVENT):
    width = max(4, len(str(n)))
    return ["s%0*d" % (width, i + 1) for i in range(n)], event


def rollout_vars(n, workdir, concurrency=None):
    names, event = stream_names(n)
    data = {
        "event_rollout_event": event,
        "event_rollout_streams": [{"name": name, "transcodes": list(LADDER)} for name in names],
        "event_rollout_report_dir": os.path.join(workdir, "reports", event),
    }
    if concurrency:
        data["event_rollout_concurrency"] = concurrency
    return data, ["%s/%s" % (event, name) for name in names]


def uri_vars(n):
    names, event = stream_names(n)
    full = ["%s/%s" % (event, name) for name in names]
    return {"streams": [{"name": f, "tags": ["event:" + event],
                         "transcodes": [{"profile": p, "tags": []} for p in LADDER]} for f in full]}, full


def loop_vars(n):
    names, event = stream_names(n)
    full = ["%s/%s" % (event, name) for name in names]
    return {"streams": [{"name": f, "tags": ["event:" + event], "transcodes": list(LADDER)} for f in full]}, full


SCENARIOS = {
    "rollout": ("rollout.yml", "event_rollout role (bintu_streams)"),
    "uri": ("uri_baseline.yml", "ansible.builtin.uri playbook (baseline)"),
    "loop": ("stream_loop.yml", "loop of bintu_stream tasks"),
    # variants of the rollout that show where its time goes (not part of the targets)
    "rollout_nosheet": ("rollout.yml", "variant: rollout without hand-off sheet files (event_rollout_report_formats: [])"),
    "rollout_c16": ("rollout.yml", "variant: rollout with event_rollout_concurrency 16"),
}
MAIN_MODULE = {"rollout": "bintu_streams", "uri": "uri", "loop": "bintu_stream",
               "rollout_nosheet": "bintu_streams", "rollout_c16": "bintu_streams"}
VARIANT_CONCURRENCY = {"rollout_c16": 16}


def scenario_vars(scenario, n, workdir, concurrency=None):
    """Extra vars of a scenario and the full names of the streams it must converge."""
    if scenario.startswith("rollout"):
        extra, names = rollout_vars(n, workdir, VARIANT_CONCURRENCY.get(scenario, concurrency))
        if scenario == "rollout_nosheet":
            extra["event_rollout_report_formats"] = []
        return extra, names
    if scenario == "uri":
        return uri_vars(n)
    return loop_vars(n)


def run_pair(runner, emulator, scenario, n, workdir, concurrency=None):
    """One cold run (after a reset) and one warm run of a scenario."""
    playbook = SCENARIOS[scenario][0]
    extra, names = scenario_vars(scenario, n, workdir, concurrency)
    out = {}
    emulator.reset()
    for phase in ("cold", "warm"):
        emulator.clear_requests()
        res = runner.run(playbook, extra, label="%s-%s-n%d" % (scenario, phase, n))
        res["requests"] = count_requests(emulator.requests())
        if phase == "cold":
            problems = check_event_streams(emulator, names, len(LADDER))
            if problems:
                raise BenchError("%s cold run did not converge: %s" % (scenario, "; ".join(problems)))
        out[phase] = res
    return out


def module_rss(res, module):
    return res["module_peak_rss_mb"].get(module)


def summarise(runs, module):
    """Median wall time and the figures of the run closest to it."""
    if not runs:
        return None
    walls = [r["wall_s"] for r in runs]
    med = statistics.median(walls)
    rss = [module_rss(r, module) for r in runs if module_rss(r, module) is not None]
    req_totals = [r["requests"]["total"] for r in runs]
    by_method = {}
    for r in runs:
        for m, c in r["requests"]["by_method"].items():
            by_method.setdefault(m, []).append(c)
    return {
        "runs": len(runs),
        "wall_s": walls,
        "median_s": round(med, 3),
        "min_s": min(walls),
        "max_s": max(walls),
        "cpu_s_median": round(statistics.median(r["cpu_s"] for r in runs), 3),
        "requests_median": statistics.median(req_totals),
        "requests_by_method": {m: statistics.median(c) for m, c in sorted(by_method.items())},
        "writes_max": max(r["requests"]["writes"] for r in runs),
        "request_errors_max": max(r["requests"]["errors"] for r in runs),
        "server_seconds_median": round(statistics.median(r["requests"]["server_seconds"] for r in runs), 3),
        "module": module,
        "module_peak_rss_mb": max(rss) if rss else None,
        "module_processes": runs[0]["module_processes"].get(module),
        "tree_peak_rss_mb": max(r["tree_peak_rss_mb"] for r in runs),
        "loadavg_1m_max": max((r.get("loadavg_before") or [0])[0] for r in runs),
        "tasks_of_median_run": (min(runs, key=lambda r: abs(r["wall_s"] - med)).get("tasks") or {}),
    }


def ratio(num, den):
    if num is None or den in (None, 0):
        return None
    return round(num / den, 2)


def single_stream(runner, emulator, task_count, runs, with_ping=True):
    """Per-task cost of bintu_stream on an unchanged stream vs a do-nothing module."""
    name = "%s/unchanged" % SINGLE_EVENT
    tags = ["event:" + SINGLE_EVENT]
    emulator.reset()
    emulator.api_create(["name:" + name] + tags, LADDER)
    out = {"task_count": task_count, "latency_ms": emulator.latency_ms}
    cases = [
        ("bintu_stream", "single_stream.yml", {"stream": {"name": name, "tags": tags, "transcodes": LADDER}}),
        ("noop", "noop_loop.yml", {}),
        ("ping", "ping_loop.yml", {}),
    ]
    if not with_ping:
        cases = cases[:2]
    empties = []
    empty_cpus = []
    for case, _pb, _ev in cases:
        out[case] = {"runs": []}
    for _i in range(runs):
        empty_run = runner.run("empty.yml", label="single-empty")
        empties.append(empty_run["wall_s"])
        empty_cpus.append(empty_run["cpu_s"])
        for case, playbook, extra in cases:
            emulator.clear_requests()
            extra = dict(extra, task_count=task_count)
            res = runner.run(playbook, extra, label="single-%s-k%d" % (case, task_count))
            res["requests"] = count_requests(emulator.requests())
            out[case]["runs"].append(res)
    empty = statistics.median(empties)
    empty_cpu = statistics.median(empty_cpus)
    out["empty_playbook_s"] = round(empty, 3)
    out["empty_playbook_cpu_s"] = round(empty_cpu, 3)
    for case, _pb, _ev in cases:
        runs_ = out[case]["runs"]
        med = statistics.median(r["wall_s"] for r in runs_)
        cpu = statistics.median(r["cpu_s"] for r in runs_)
        out[case].update({
            "median_s": round(med, 3),
            "per_task_ms": round((med - empty) * 1000.0 / task_count, 1),
            "cpu_s_median": round(cpu, 3),
            "per_task_cpu_ms": round((cpu - empty_cpu) * 1000.0 / task_count, 1),
            "requests_per_task": round(statistics.median(r["requests"]["total"] for r in runs_) / task_count, 3),
            "writes_max": max(r["requests"]["writes"] for r in runs_),
            "module_peak_rss_mb": max((r["module_peak_rss_mb"].get(case) or 0) for r in runs_) or None,
        })
    out["extra_ms_per_task_vs_noop"] = round(out["bintu_stream"]["per_task_ms"] - out["noop"]["per_task_ms"], 1)
    out["extra_cpu_ms_per_task_vs_noop"] = round(
        out["bintu_stream"]["per_task_cpu_ms"] - out["noop"]["per_task_cpu_ms"], 1)
    return out


# --------------------------------------------------------------------------
# report


def fmt(value, digits=1, suffix=""):
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return ("%.*f" % (digits, value)) + suffix
    return str(value) + suffix


def fmt_methods(by_method):
    if not by_method:
        return "0"
    return " ".join("%s %s" % (m, fmt(c, 0) if isinstance(c, float) else c) for m, c in by_method.items())


def build_targets(res):
    targets = []
    sc = res["scenarios"]
    rollout = sc.get("rollout", {})
    cold, warm = rollout.get("cold"), rollout.get("warm")
    n = res["meta"]["n"]

    def add(name, value, target, met, note=""):
        targets.append({"name": name, "value": value, "target": target,
                        "met": (None if value is None else bool(met)), "note": note})

    r = res["ratios"]
    add("cold: rollout vs uri playbook (x faster)", r.get("cold_uri_over_rollout"), ">= %g" % TARGETS["cold_vs_uri"],
        r.get("cold_uri_over_rollout") is not None and r["cold_uri_over_rollout"] >= TARGETS["cold_vs_uri"])
    add("cold: rollout vs bintu_stream loop (x faster)", r.get("cold_loop_over_rollout"),
        ">= %g" % TARGETS["cold_vs_loop"],
        r.get("cold_loop_over_rollout") is not None and r["cold_loop_over_rollout"] >= TARGETS["cold_vs_loop"])
    add("cold: rollout / latency-bound limit", r.get("cold_rollout_over_limit"), "<= %g" % TARGETS["cold_vs_limit"],
        r.get("cold_rollout_over_limit") is not None and r["cold_rollout_over_limit"] <= TARGETS["cold_vs_limit"])
    if warm:
        add("warm: writes", warm["writes_max"], "= 0", warm["writes_max"] == 0)
        per = round(warm["requests_median"] / n, 3) if n else None
        add("warm: requests per stream", per, "<= 1", per is not None and per <= TARGETS["warm_requests_per_stream"])
    add("warm: rollout vs uri playbook (x faster)", r.get("warm_uri_over_rollout"), ">= %g" % TARGETS["warm_vs_uri"],
        r.get("warm_uri_over_rollout") is not None and r["warm_uri_over_rollout"] >= TARGETS["warm_vs_uri"])
    large = res.get("large")
    if large:
        add("N=%d: t(%d)/t(%d), cold" % (large["n"], large["n"], n), large.get("cold_scaling"),
            "<= %g" % TARGETS["large_scaling"],
            large.get("cold_scaling") is not None and large["cold_scaling"] <= TARGETS["large_scaling"])
        add("N=%d: bintu_streams module peak RSS (MB)" % large["n"], large.get("module_peak_rss_mb"),
            "< %g" % TARGETS["large_rss_mb"],
            large.get("module_peak_rss_mb") is not None and large["module_peak_rss_mb"] < TARGETS["large_rss_mb"])
    single = res.get("single_stream")
    if single:
        rpt = single["bintu_stream"]["requests_per_task"]
        add("single: requests per unchanged bintu_stream task", rpt, "= 1", rpt == 1.0)
        add("single: bintu_stream ms/task minus noop ms/task", single["extra_ms_per_task_vs_noop"],
            "~ 0 (no measurable extra)", None if single["extra_ms_per_task_vs_noop"] is None else
            single["extra_ms_per_task_vs_noop"] <= max(20.0, 0.1 * single["noop"]["per_task_ms"]),
            "bintu_stream %s ms vs noop %s ms per task"
            % (single["bintu_stream"]["per_task_ms"], single["noop"]["per_task_ms"]))
    if cold:
        del cold  # only used above
    if res["meta"].get("smoke"):
        for t in targets:
            t["met"] = None
            t["note"] = "smoke run: targets not evaluated"
    return targets


def time_breakdown(res):
    """Where the rollout's time goes, from the per-task timings of its median runs."""
    rollout = res["scenarios"].get("rollout") or {}
    parts = []
    for phase in ("cold", "warm"):
        summary = rollout.get(phase) or {}
        timing = summary.get("tasks_of_median_run") or {}
        tasks = timing.get("tasks") or []
        if not tasks:
            continue
        module = [t for t in tasks if (t.get("action") or "").endswith("bintu_streams")]
        module_s = sum(t["seconds"] for t in module)
        other = [t for t in tasks if t not in module]
        other_s = sum(t["seconds"] for t in other)
        top = ", ".join("%s %.2f s" % (t["task"], t["seconds"]) for t in other[:3])
        parts.append("%s %.1f s = ansible-playbook start and play setup %.1f s + bintu_streams task %.1f s "
                     "(API time summed over requests %.1f s) + %d other role tasks %.1f s (largest: %s)"
                     % (phase, summary["median_s"], max(summary["median_s"] - (timing.get("playbook_s") or 0), 0)
                        + 0.0, module_s, summary.get("server_seconds_median") or 0, len(other), other_s, top))
    if not parts:
        return ""
    return "Where the rollout's time goes (median run): " + "; ".join(parts) + "."


def markdown(res):
    meta = res["meta"]
    lines = []
    n = meta["n"]
    lines.append("N = %d streams, ladder %s, emulator latency %d ms per request, rollout concurrency %s; "
                 "median of %d run(s) (rollout), %d run(s) (uri, loop)."
                 % (n, " + ".join(LADDER), meta["latency_ms"], meta["concurrency"], meta["runs"],
                    meta["baseline_runs"]))
    lines.append("")
    lines.append("| scenario | cold s | warm s | cold requests | warm requests | warm req/stream "
                 "| module peak RSS MB | cold: time / rollout's | warm: time / rollout's |")
    lines.append("|---|---:|---:|---|---|---:|---:|---:|---:|")
    sc = res["scenarios"]
    rollout = sc.get("rollout") or {}
    for key in SCENARIOS:
        s = sc.get(key)
        if not s:
            continue
        cold, warm = s.get("cold"), s.get("warm")
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            SCENARIOS[key][1],
            fmt(cold and cold["median_s"], 1), fmt(warm and warm["median_s"], 1),
            fmt_methods(cold and cold["requests_by_method"]), fmt_methods(warm and warm["requests_by_method"]),
            fmt(warm and round(warm["requests_median"] / n, 2), 2),
            fmt(max([x for x in ((cold or {}).get("module_peak_rss_mb"), (warm or {}).get("module_peak_rss_mb"))
                     if x is not None] or [None]) if cold or warm else None, 1),
            "1.0" if key == "rollout" else fmt(ratio(cold and cold["median_s"],
                                                     rollout.get("cold", {}).get("median_s")), 1),
            "1.0" if key == "rollout" else fmt(ratio(warm and warm["median_s"],
                                                     rollout.get("warm", {}).get("median_s")), 1),
        ))
    breakdown = time_breakdown(res)
    for key, lim in (res.get("limits") or {}).items():
        lines.append("| latency-bound limit of %s (requests x %d ms / %d + playbook start %.1f s) | %s | %s | "
                     "(as %s) | (as %s) | | | %s | %s |" % (
                         key, meta["latency_ms"], lim["concurrency"], lim["playbook_start_s"],
                         fmt(lim.get("cold_s"), 1), fmt(lim.get("warm_s"), 1), key, key,
                         fmt(ratio(lim.get("cold_s"), rollout.get("cold", {}).get("median_s")), 2),
                         fmt(ratio(lim.get("warm_s"), rollout.get("warm", {}).get("median_s")), 2)))
    if breakdown:
        lines.append("")
        lines.append(breakdown)
    large = res.get("large")
    if large:
        lines.append("")
        lines.append("Rollout at N = %d (one cold and one warm run): cold %.1f s, warm %.1f s; "
                     "t(%d)/t(%d) = %s cold, %s warm; cold requests %s; bintu_streams peak RSS %s MB."
                     % (large["n"], large["cold"]["wall_s"], large["warm"]["wall_s"], large["n"], n,
                        fmt(large.get("cold_scaling"), 2), fmt(large.get("warm_scaling"), 2),
                        fmt_methods(large["cold"]["requests"]["by_method"]), fmt(large.get("module_peak_rss_mb"), 1)))
    single = res.get("single_stream")
    if single:
        lines.append("")
        lines.append("Per task, %d tasks in a loop, no added latency, after subtracting one playbook start "
                     "(%.2f s):" % (single["task_count"], single["empty_playbook_s"]))
        lines.append("")
        lines.append("| module | wall ms per task | CPU ms per task | requests per task | module peak RSS MB |")
        lines.append("|---|---:|---:|---:|---:|")
        for case, label in (("bintu_stream", "nanocosmos.bintu.bintu_stream, unchanged stream"),
                            ("noop", "tests/benchmark/library/noop.py (does nothing)"),
                            ("ping", "ansible.builtin.ping")):
            if case not in single:
                continue
            c = single[case]
            lines.append("| %s | %s | %s | %s | %s |" % (
                label, fmt(c["per_task_ms"], 0), fmt(c["per_task_cpu_ms"], 0),
                fmt(c["requests_per_task"], 2), fmt(c["module_peak_rss_mb"], 1)))
    lines.append("")
    lines.append("| target | value | wanted | met |")
    lines.append("|---|---:|---|---|")
    for t in res["targets"]:
        met = {True: "yes", False: "**no**", None: "-"}[t["met"]]
        lines.append("| %s | %s | %s | %s |" % (t["name"], fmt(t["value"], 2), t["target"], met))
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# main


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    p.add_argument("--smoke", action="store_true",
                   help="N=5, no latency, 1 run each, small N for the large case; proves the harness works")
    p.add_argument("--n", type=int, default=None, help="streams in the side-by-side comparison (default 200)")
    p.add_argument("--runs", type=int, default=None, help="runs of the rollout and empty playbook (default 3)")
    p.add_argument("--baseline-runs", type=int, default=None,
                   help="runs of the uri playbook and bintu_stream loop (default: --runs)")
    p.add_argument("--latency-ms", type=int, default=None, help="emulator latency per request (default 50)")
    p.add_argument("--large-n", type=int, default=None,
                   help="N of the rollout-only scaling run (default 2000; 0 skips it)")
    p.add_argument("--single-tasks", type=int, default=None,
                   help="K tasks for the single-stream comparison (default 40; 0 skips it)")
    p.add_argument("--concurrency", type=int, default=None,
                   help="set event_rollout_concurrency (default: the role's default)")
    p.add_argument("--only", default=None,
                   help="comma-separated scenarios (rollout, uri, loop, rollout_nosheet, rollout_c16; default: all, "
                        "--smoke: rollout,uri,loop)")
    p.add_argument("--json", dest="json_path", default=None,
                   help="where to write the results (default <tmp>/nanocosmos-bintu-bench/latest.json)")
    p.add_argument("--markdown", default=None, help="also write the Markdown tables to this file")
    p.add_argument("--emulator", default=EMULATOR, help=argparse.SUPPRESS)
    p.add_argument("--keep", action="store_true", help="keep the work directory (playbook logs, vars)")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    p.add_argument("--verbose", "-v", action="store_true", help="print every playbook run")
    args = p.parse_args(argv)
    defaults = {"n": 200, "runs": 3, "latency_ms": 50, "large_n": 2000, "single_tasks": 40}
    if args.smoke:
        defaults = {"n": 5, "runs": 1, "latency_ms": 0, "large_n": 0, "single_tasks": 2}
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.baseline_runs is None:
        args.baseline_runs = args.runs
    if args.only is None:
        args.only = "rollout,uri,loop" if args.smoke else ",".join(SCENARIOS)
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in args.only if s not in SCENARIOS]
    if unknown:
        p.error("unknown scenario(s): %s" % ", ".join(unknown))
    if args.json_path is None:
        args.json_path = os.path.join(tempfile.gettempdir(), "nanocosmos-bintu-bench", "latest.json")
    return args


def loadavg():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def main(argv=None):  # pylint: disable=too-many-locals,too-many-statements,too-many-branches
    args = parse_args(sys.argv[1:] if argv is None else argv)
    started = time.time()
    workdir = tempfile.mkdtemp(prefix="bintu-bench-")
    concurrency = args.concurrency or role_concurrency()
    res = {
        "meta": {
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "smoke": args.smoke, "n": args.n, "runs": args.runs, "baseline_runs": args.baseline_runs,
            "latency_ms": args.latency_ms, "concurrency": concurrency, "ladder": LADDER,
            "large_n": args.large_n, "single_tasks": args.single_tasks,
            "python": platform.python_version(), "ansible_core": ansible_version(),
            "git_commit": git_commit(), "cpus": os.cpu_count(), "platform": platform.platform(),
            "loadavg_start": loadavg(),
            "rss_note": ("module_peak_rss_mb: highest VmHWM of the Python process that runs "
                         "AnsiballZ_<module>.py, sampled every 20 ms from /proc; tree_peak_rss_mb: "
                         "ru_maxrss from wait4() of ansible-playbook, i.e. the largest single process of the "
                         "whole tree (usually the ansible-playbook controller itself)."),
        },
        "scenarios": {}, "ratios": {}, "errors": [],
    }
    emulator = Emulator(workdir, args.latency_ms, args.emulator)
    try:
        emulator.start()
        runner = Runner(workdir, emulator, verbose=args.verbose)
        log("bench: emulator %s, latency %d ms, N=%d, runs %d (baselines %d), work dir %s"
            % (emulator.url, args.latency_ms, args.n, args.runs, args.baseline_runs, workdir))

        # fixed cost of ansible-playbook (a first run warms caches and is not counted)
        if not args.smoke:
            runner.run("empty.yml", label="empty-warmup")
        empties = [runner.run("empty.yml", label="empty")["wall_s"] for _i in range(max(args.runs, 1))]
        res["empty_playbook"] = {"wall_s": empties, "median_s": round(statistics.median(empties), 3)}
        log("bench: empty playbook %.2f s" % res["empty_playbook"]["median_s"])

        raw = {s: [] for s in args.only}
        for i in range(max(args.runs, args.baseline_runs)):
            for scenario in args.only:
                wanted = args.runs if scenario.startswith("rollout") else args.baseline_runs
                if i >= wanted:
                    continue
                try:
                    pair = run_pair(runner, emulator, scenario, args.n, workdir, args.concurrency)
                except BenchError as exc:
                    res["errors"].append(runner.redact(str(exc)))
                    log("bench: ERROR %s" % runner.redact(str(exc)))
                    continue
                raw[scenario].append(pair)
                log("bench: run %d %-8s cold %6.1f s (%d req), warm %6.1f s (%d req)"
                    % (i + 1, scenario, pair["cold"]["wall_s"], pair["cold"]["requests"]["total"],
                       pair["warm"]["wall_s"], pair["warm"]["requests"]["total"]))
        for scenario, pairs in raw.items():
            if not pairs:
                continue
            res["scenarios"][scenario] = {
                phase: summarise([p[phase] for p in pairs], MAIN_MODULE[scenario]) for phase in ("cold", "warm")
            }
            res["scenarios"][scenario]["raw"] = pairs

        rollout = res["scenarios"].get("rollout")
        start_s = res["empty_playbook"]["median_s"]
        res["limits"] = {}
        for key, summary in res["scenarios"].items():
            if not key.startswith("rollout") or key == "rollout_nosheet":
                continue
            conc = VARIANT_CONCURRENCY.get(key, concurrency)
            lat = args.latency_ms / 1000.0
            res["limits"][key] = {
                "playbook_start_s": start_s,
                "concurrency": conc,
                "cold_requests": summary["cold"]["requests_median"],
                "warm_requests": summary["warm"]["requests_median"],
                "cold_s": round(summary["cold"]["requests_median"] * lat / conc + start_s, 3),
                "warm_s": round(summary["warm"]["requests_median"] * lat / conc + start_s, 3),
                "formula": "requests sent x latency / concurrency + one ansible-playbook start",
            }
        res["limit"] = res["limits"].get("rollout")

        def med(scenario, phase):
            return ((res["scenarios"].get(scenario) or {}).get(phase) or {}).get("median_s")

        res["ratios"] = {
            "cold_uri_over_rollout": ratio(med("uri", "cold"), med("rollout", "cold")),
            "cold_loop_over_rollout": ratio(med("loop", "cold"), med("rollout", "cold")),
            "cold_rollout_over_limit": ratio(med("rollout", "cold"), (res.get("limit") or {}).get("cold_s")),
            "warm_uri_over_rollout": ratio(med("uri", "warm"), med("rollout", "warm")),
            "warm_loop_over_rollout": ratio(med("loop", "warm"), med("rollout", "warm")),
            "warm_rollout_over_limit": ratio(med("rollout", "warm"), (res.get("limit") or {}).get("warm_s")),
        }
        if rollout:
            res["ratios"]["warm_requests_per_stream"] = round(rollout["warm"]["requests_median"] / args.n, 3)

        if args.single_tasks:
            try:
                emulator.set_latency(0)
                res["single_stream"] = single_stream(
                    runner, emulator, args.single_tasks, args.runs, with_ping=not args.smoke)
                log("bench: per task: " + ", ".join(
                    "%s %.0f ms" % (case, res["single_stream"][case]["per_task_ms"])
                    for case in ("bintu_stream", "noop", "ping") if case in res["single_stream"]))
            except BenchError as exc:
                res["errors"].append(runner.redact(str(exc)))
                log("bench: ERROR %s" % runner.redact(str(exc)))
            finally:
                emulator.set_latency(args.latency_ms)

        if args.large_n and rollout:
            try:
                pair = run_pair(runner, emulator, "rollout", args.large_n, workdir, args.concurrency)
                rss = [x for x in (module_rss(pair["cold"], "bintu_streams"), module_rss(pair["warm"], "bintu_streams"))
                       if x is not None]
                res["large"] = {
                    "n": args.large_n, "cold": pair["cold"], "warm": pair["warm"],
                    "cold_scaling": ratio(pair["cold"]["wall_s"], rollout["cold"]["median_s"]),
                    "warm_scaling": ratio(pair["warm"]["wall_s"], rollout["warm"]["median_s"]),
                    "module_peak_rss_mb": max(rss) if rss else None,
                }
                log("bench: N=%d cold %.1f s, warm %.1f s, module peak RSS %s MB"
                    % (args.large_n, pair["cold"]["wall_s"], pair["warm"]["wall_s"], res["large"]["module_peak_rss_mb"]))
            except BenchError as exc:
                res["errors"].append(runner.redact(str(exc)))
                log("bench: ERROR %s" % runner.redact(str(exc)))
    except BenchError as exc:
        res["errors"].append(str(exc))
        log("bench: ERROR %s" % exc)
    except KeyboardInterrupt:
        res["errors"].append("interrupted")
        log("bench: interrupted")
    finally:
        emulator.stop()

    res["meta"]["loadavg_end"] = loadavg()
    res["meta"]["duration_s"] = round(time.time() - started, 1)
    res["targets"] = build_targets(res)
    table = markdown(res)
    print(table)
    os.makedirs(os.path.dirname(os.path.abspath(args.json_path)), exist_ok=True)
    with open(args.json_path, "w", encoding="utf-8") as handle:
        json.dump(res, handle, indent=2, sort_keys=False)
        handle.write("\n")
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as handle:
            handle.write(table)
    print("results: %s (%.0f s)%s" % (args.json_path, res["meta"]["duration_s"],
                                      ", work dir kept: %s" % workdir if args.keep else ""))
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    if res["errors"]:
        print("bench: %d error(s):" % len(res["errors"]), file=sys.stderr)
        for err in res["errors"]:
            print("  - " + err.splitlines()[0], file=sys.stderr)
        return 1
    if args.strict and any(t["met"] is False for t in res["targets"]):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
