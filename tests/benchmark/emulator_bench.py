# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Throughput of the Bintu emulator: requests per second with no latency added.

Starts its own emulator (``tests/emulator/bintu_emulator.py --port 0``, in-memory
state unless ``--state`` is given), or measures a running one with ``--url``.
Each client thread keeps one HTTP/1.1 keep-alive connection (``http.client``).

Scenarios:
  GET /stream/{id}        one passthrough with a 2-step ladder, read over and over
  GET /stream?quantity=50 list of 50 passthroughs
  POST /stream            plain create (empty body)
  POST /stream (ladder)   create with tags and a 2-step ABR ladder

Usage: python tests/benchmark/emulator_bench.py [--seconds 3] [--threads 4] [--state FILE]
Exit code 1 if any request failed or GET /stream/{id} is below --min-get (default 500/s).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EMULATOR = os.path.join(REPO, "tests", "emulator", "bintu_emulator.py")
LADDER = [{"profile": "vtrans2-852x480x800x25", "tags": ["q:high"]}, {"profile": "vtrans2-640x360x400x25", "tags": ["q:low"]}]


class Target:
    """Where to send requests: an emulator started here, or one given by --url."""

    def __init__(self, args):
        self.proc = None
        self.api_key = args.api_key
        self.control_token = args.control_token
        self.url = args.url
        if not self.url:
            self.api_key = "bench-" + secrets.token_hex(12)
            self.control_token = "ctl-" + secrets.token_hex(12)
            cmd = [sys.executable, EMULATOR, "--host", "127.0.0.1", "--port", "0", "--api-key", self.api_key,
                   "--control-token", self.control_token]
            if args.state:
                cmd += ["--state", args.state]
            # pylint: disable-next=consider-using-with
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            self.url = self.proc.stdout.readline().decode().strip()
            if not self.url.startswith("http://"):
                self.stop()
                raise SystemExit("the emulator did not print its URL")
        parsed = urllib.parse.urlsplit(self.url)
        self.host, self.port = parsed.hostname, parsed.port

    def connect(self):
        """A fresh keep-alive connection."""
        return http.client.HTTPConnection(self.host, self.port, timeout=30)

    def control(self, method, path, body=None):
        """Call the control API."""
        conn = self.connect()
        try:
            conn.request(method, "/_emulator/" + path, body=None if body is None else json.dumps(body),
                         headers={"X-Emulator-Control": self.control_token, "Content-Type": "application/json"})
            resp = conn.getresponse()
            data = resp.read()
            if resp.status != 200:
                raise SystemExit("control %s %s answered %s" % (method, path, resp.status))
            return json.loads(data)
        finally:
            conn.close()

    def cpu_seconds(self):
        """CPU time (user + system) the emulator process used so far; None if unknown."""
        if self.proc is None:
            return None
        try:
            with open("/proc/%d/stat" % self.proc.pid, encoding="ascii") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        """Stop the emulator started here."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run_scenario(target, threads, seconds, method, path_of, body):
    """Hammer one request from ``threads`` keep-alive clients for ``seconds``; return (count, errors, elapsed)."""
    headers = {"X-BINTU-APIKEY": target.api_key, "Content-Type": "application/json"}
    payload = None if body is None else json.dumps(body).encode()
    counts = [0] * threads
    errors = [0] * threads
    barrier = threading.Barrier(threads + 1)
    deadline = [0.0]

    def client(slot):
        conn = target.connect()
        barrier.wait()
        try:
            while time.perf_counter() < deadline[0]:
                conn.request(method, path_of(counts[slot]), body=payload, headers=headers)
                resp = conn.getresponse()
                resp.read()
                counts[slot] += 1
                if resp.status >= 300:
                    errors[slot] += 1
        except (OSError, http.client.HTTPException):
            errors[slot] += 1
        finally:
            conn.close()

    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    started = time.perf_counter()
    deadline[0] = started + seconds
    barrier.wait()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    return sum(counts), sum(errors), elapsed


def main(argv=None):
    """Run every scenario and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each scenario (default %(default)s)")
    parser.add_argument("--threads", type=int, default=4, help="client threads / connections (default %(default)s)")
    parser.add_argument("--state", help="SQLite state file for the emulator started here (default: in memory)")
    parser.add_argument("--url", help="measure a running emulator instead (needs --api-key and --control-token)")
    parser.add_argument("--api-key", default="emulator-api-key")
    parser.add_argument("--control-token", default="emulator-control")
    parser.add_argument("--min-get", type=float, default=500.0, help="required GET /stream/{id} per second")
    args = parser.parse_args(argv)

    state_dir = None
    if args.state == "tmp":
        state_dir = tempfile.mkdtemp(prefix="emulator-bench-")
        args.state = os.path.join(state_dir, "state.sqlite")
    target = Target(args)
    rows = []
    try:
        target.control("POST", "reset")
        target.control("PATCH", "config", {"latency_ms": 0})
        conn = target.connect()
        headers = {"X-BINTU-APIKEY": target.api_key, "Content-Type": "application/json"}
        for _i in range(50):
            conn.request("POST", "/stream", body=json.dumps({"tags": ["bench"], "transcodes": LADDER}), headers=headers)
            stream = json.loads(conn.getresponse().read())
        conn.close()
        stream_path = "/stream/%s" % stream["id"]
        scenarios = [
            ("GET /stream/{id}", "GET", lambda n: stream_path, None),
            ("GET /stream?quantity=50", "GET", lambda n: "/stream?quantity=50", None),
            ("POST /stream", "POST", lambda n: "/stream", None),
            ("POST /stream (ladder)", "POST", lambda n: "/stream", {"tags": ["bench", "name:x"], "transcodes": LADDER}),
        ]
        for label, method, path_of, body in scenarios:
            cpu_before = target.cpu_seconds()
            count, errors, elapsed = run_scenario(target, args.threads, args.seconds, method, path_of, body)
            cpu_after = target.cpu_seconds()
            per_cpu = count / (cpu_after - cpu_before) if cpu_before is not None and cpu_after > cpu_before else None
            rows.append((label, count, errors, elapsed, count / elapsed, per_cpu))
    finally:
        if target.proc is not None:
            target.stop()
        if state_dir:
            for name in os.listdir(state_dir):
                os.unlink(os.path.join(state_dir, name))
            os.rmdir(state_dir)

    print("Bintu emulator throughput (%d keep-alive clients, %.1f s each, state %s, no latency; load average %s)"
          % (args.threads, args.seconds, "file" if args.state else ("remote" if args.url else "memory"),
             " ".join("%.1f" % v for v in os.getloadavg())))
    print("%-26s %9s %7s %10s %14s" % ("scenario", "requests", "errors", "req/s", "req/cpu-second"))
    for label, count, errors, _elapsed, rate, per_cpu in rows:
        print("%-26s %9d %7d %10.0f %14s" % (label, count, errors, rate, "-" if per_cpu is None else "%.0f" % per_cpu))
    print("req/cpu-second: requests per CPU second used by the emulator process (independent of other load)")
    failed = any(row[2] for row in rows)
    get_rate = rows[0][4]
    if get_rate < args.min_get:
        print("GET /stream/{id}: %.0f/s is below the target of %.0f/s" % (get_rate, args.min_get))
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
