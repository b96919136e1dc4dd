# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Profile the bintu_streams module process of an event rollout, outside Ansible.

Runs the event_rollout role once (cold) against a fresh emulator with
ANSIBLE_KEEP_REMOTE_FILES=1 in a private temporary directory, keeps the
AnsiballZ_bintu_streams.py that Ansible built (it embeds the module arguments),
then runs that file directly:

* plain, cold (after an emulator reset) and warm, for the module's own wall and
  CPU time and peak RSS, without any Ansible controller around it;
* under cProfile, cold and warm, and prints where the time goes (imports,
  HTTP requests, the engine, exit_json and its no_log scrubbing).

The difference between the rollout task's wall time in bench.py and the module's
wall time here is what the Ansible controller adds (argument templating, result
processing).

Usage (from the repository root)::

    python tests/benchmark/profile_module.py --n 200 --latency-ms 50 [--top 25] [--keep]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench  # noqa: E402  pylint: disable=wrong-import-position

RUNNER = r"""
import cProfile, io, runpy, sys
path, out = sys.argv[1], sys.argv[2]
sys.argv = [path]
profile = cProfile.Profile()
stdout, sys.stdout = sys.stdout, io.StringIO()
try:
    profile.enable()
    runpy.run_path(path, run_name="__main__")
except SystemExit:
    pass
finally:
    profile.disable()
    sys.stdout = stdout
profile.dump_stats(out)
"""

CATEGORIES = [
    ("imports (module_utils, requests, ansible.module_utils.basic)", re.compile(r"_find_and_load|zipimport")),
    ("HTTP requests (_api.request)", re.compile(r"_api\.py:\d+\(request\)")),
    ("exit_json (result formatting, no_log scrubbing)", re.compile(r"basic\.py:\d+\(exit_json\)")),
    ("  of which remove_values (no_log scrubbing)", re.compile(r"parameters\.py:\d+\(remove_values\)")),
    ("argument spec validation", re.compile(r"basic\.py:\d+\(__init__\)")),
    ("engine run_bulk (incl. requests)", re.compile(r"_engine\.py:\d+\(run_bulk\)")),
]


def short(name):
    filename, line, func = name
    filename = re.sub(r".*payload\.zip/", "", filename)
    filename = re.sub(r".*site-packages/", "", filename)
    return "%s:%d(%s)" % (filename, line, func)


def report(prof_path, top):
    stats = pstats.Stats(prof_path)
    rows = []
    for name, (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():
        rows.append((cumtime, tottime, ncalls, short(name)))
    total = max(r[0] for r in rows)
    cats = []
    for label, pattern in CATEGORIES:
        # the outermost matching frame: largest cumulative time among the matches
        matches = [r for r in rows if pattern.search(r[3])]
        if pattern.pattern.startswith("_find_and_load"):
            value = max((r[0] for r in rows if r[3].endswith("(_find_and_load)")), default=0.0)
        else:
            value = max((r[0] for r in matches), default=0.0)
        cats.append((label, round(value, 3)))
    lines = ["  total under cProfile: %.3f s" % total]
    for label, value in cats:
        lines.append("  %-58s %7.3f s  %5.1f%%" % (label, value, 100.0 * value / total if total else 0))
    lines.append("  top %d by cumulative time (skipping the import machinery):" % top)
    shown = 0
    for cumtime, tottime, ncalls, name in sorted(rows, reverse=True):
        if "<frozen" in name or "{built-in" in name or name.startswith("~"):
            continue
        lines.append("    %7.3f %7.3f %7d  %s" % (cumtime, tottime, ncalls, name[:140]))
        shown += 1
        if shown >= top:
            break
    return "\n".join(lines), dict(cats, total=round(total, 3))


def run_plain(python, path, env):
    """Run the module file once; wall time, rusage (CPU, peak RSS) of that process alone, its result."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen([python, path], stdout=out, stderr=err, env=env)  # pylint: disable=consider-using-with
        _pid, _status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = 0
        out.seek(0)
        err.seek(0)
        raw, raw_err = out.read(), err.read()
    try:
        result = json.loads(raw)
    except ValueError:
        raise bench.BenchError("module run failed: %s" % (raw_err or raw).decode("utf-8", "replace")[-2000:]) from None
    return wall, usage, result


def main(argv=None):  # pylint: disable=too-many-locals
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)

    workdir = tempfile.mkdtemp(prefix="bintu-profile-")
    remote_tmp = os.path.join(workdir, "remote_tmp")
    os.makedirs(remote_tmp)
    emulator = bench.Emulator(workdir, args.latency_ms)
    try:
        emulator.start()
        runner = bench.Runner(workdir, emulator)
        runner.env.update({"ANSIBLE_KEEP_REMOTE_FILES": "1", "ANSIBLE_REMOTE_TMP": remote_tmp})
        extra, _names = bench.rollout_vars(args.n, workdir)
        emulator.reset()
        first = runner.run("rollout.yml", extra, label="profile-rollout-cold")
        found = glob.glob(os.path.join(remote_tmp, "*", "AnsiballZ_bintu_streams.py"))
        if not found:
            raise bench.BenchError("no AnsiballZ_bintu_streams.py kept under %s" % remote_tmp)
        module_file = os.path.join(workdir, "AnsiballZ_bintu_streams.py")
        shutil.copy(found[0], module_file)
        env = dict(runner.env)
        python = sys.executable
        script = os.path.join(workdir, "cprofile_runner.py")
        with open(script, "w", encoding="utf-8") as handle:
            handle.write(RUNNER)

        print("N=%d, latency %d ms; the rollout (cold, through Ansible) took %.2f s, its bintu_streams task %.2f s"
              % (args.n, args.latency_ms, first["wall_s"],
                 sum(t["seconds"] for t in (first["tasks"] or {}).get("tasks", [])
                     if (t.get("action") or "").endswith("bintu_streams"))))
        summary = {}
        for phase in ("cold", "warm"):
            if phase == "cold":
                emulator.reset()
            else:
                emulator.clear_requests()
            wall, usage, result = run_plain(python, module_file, env)
            requests = bench.count_requests(emulator.requests())
            cpu = usage.ru_utime + usage.ru_stime
            size = len(json.dumps(result))
            print("\n%s, module process alone: wall %.2f s, CPU %.2f s, peak RSS %.1f MB, %d requests %s, "
                  "result %.0f kB (%s)" % (
                      phase, wall, cpu, usage.ru_maxrss / 1024.0, requests["total"],
                      requests["by_method"], size / 1024.0, result.get("summary")))
            if phase == "cold":
                emulator.reset()
            prof = os.path.join(workdir, "%s.prof" % phase)
            subprocess.run([python, script, module_file, prof], env=env, check=True)
            text, cats = report(prof, args.top)
            print("%s under cProfile (slower than plain):\n%s" % (phase, text))
            summary[phase] = {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "result_kb": round(size / 1024.0, 1),
                              "peak_rss_mb": round(usage.ru_maxrss / 1024.0, 1),
                              "requests": requests, "profile": cats}
        out = os.path.join(workdir, "profile.json")
        with open(out, "w", encoding="utf-8") as handle:
            json.dump(summary, handle, indent=2)
        if args.keep:
            print("\nprofiles and module file: %s" % workdir)
    finally:
        emulator.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
