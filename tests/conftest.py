# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared pytest fixtures for every test suite of nanocosmos.bintu.

Importing this file makes the collection importable as
``ansible_collections.nanocosmos.bintu`` (see ``_setup_collection_path``) and
exports ``ANSIBLE_COLLECTIONS_PATH`` plus quiet ``ANSIBLE_*`` settings for
subprocesses.

Fixtures:

``emulator``
    Function scope. A handle on one session-wide Bintu emulator process
    (``tests/emulator/bintu_emulator.py``), reset before each test (no streams,
    empty request log, start-up switches, no faults).
``emulator_server``
    Session scope. The same handle without the reset.
``emulator_factory``
    Function scope. ``emulator_factory(*cli_args, api_key=None, api_token=None,
    control_token=None)`` starts an extra emulator process and returns its
    handle; all of them are stopped at teardown.
``ansible_playbook``
    Function scope. ``run(playbook, extra_vars=None, check=False, diff=False,
    env=None, verbosity=0, expect_rc=0)`` runs ``ansible-playbook`` against the
    ``emulator`` and returns a :class:`PlaybookResult`.
"""

from __future__ import annotations

import atexit
import http.client
import json
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
EMULATOR_SCRIPT = REPO_ROOT / "tests" / "emulator" / "bintu_emulator.py"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
CONTROL_HEADER = "X-Emulator-Control"
WRITE_METHODS = frozenset(("POST", "PUT", "PATCH", "DELETE"))

ANSIBLE_ENV = {
    "ANSIBLE_HOST_KEY_CHECKING": "False",
    "ANSIBLE_NOCOLOR": "1",
    "ANSIBLE_FORCE_COLOR": "0",
    "ANSIBLE_RETRY_FILES_ENABLED": "0",
    "ANSIBLE_LOCALHOST_WARNING": "False",
    "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
}


# --------------------------------------------------------------------------
# ansible_collections path setup (runs when pytest loads this conftest)
# --------------------------------------------------------------------------

def _setup_collection_path():
    """Make ``ansible_collections.nanocosmos.bintu`` importable; return the collections dir.

    If the repository already sits at ``.../ansible_collections/nanocosmos/bintu``
    the directory above ``ansible_collections`` is used. Otherwise a temporary
    directory ``<tmp>/ansible_collections/nanocosmos/bintu`` (a symlink to the
    repository root) is created and removed when the process exits.
    """
    if (REPO_ROOT.name == "bintu" and REPO_ROOT.parent.name == "nanocosmos"
            and REPO_ROOT.parent.parent.name == "ansible_collections"):
        base = REPO_ROOT.parent.parent.parent
    else:
        base = Path(tempfile.mkdtemp(prefix="bintu-collections-"))
        namespace_dir = base / "ansible_collections" / "nanocosmos"
        namespace_dir.mkdir(parents=True)
        link = namespace_dir / "bintu"
        link.symlink_to(REPO_ROOT, target_is_directory=True)

        def _cleanup(path=base, symlink=link):
            try:
                symlink.unlink()
            except OSError:
                pass
            shutil.rmtree(path, ignore_errors=True)

        atexit.register(_cleanup)
    base_str = str(base)
    if base_str in sys.path:
        sys.path.remove(base_str)
    sys.path.insert(0, base_str)
    os.environ["ANSIBLE_COLLECTIONS_PATH"] = base_str
    for key, value in ANSIBLE_ENV.items():
        os.environ.setdefault(key, value)
    return base


COLLECTIONS_BASE = _setup_collection_path()


# --------------------------------------------------------------------------
# Emulator handle
# --------------------------------------------------------------------------

class ApiResponse:
    """Answer of :meth:`Emulator.call`: ``status``, ``headers`` (dict, lower-case names), ``body`` (bytes), ``json``."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        """The body decoded as JSON (None for an empty body)."""
        if not self.body:
            return None
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "ApiResponse(status=%r, body=%r)" % (self.status, self.body[:300])


class EmulatorError(RuntimeError):
    """The emulator process could not be started or a control call failed."""


class Emulator:
    """A running emulator: its URL and credentials plus helpers for the control API.

    ``url``, ``api_key``, ``api_token``, ``control_token``, ``host``, ``port``;
    ``requests()``, ``clear_requests()``, ``writes()``, ``configure(**kw)``,
    ``config()``, ``reset()``, ``set_state(id, state)``, ``streams()``,
    ``env()``, ``call(method, path, body=None, auth="key")``, ``stop()``.
    """

    def __init__(self, url, api_key, api_token, control_token, process=None, stderr_path=None):
        self.url = url
        self.api_key = api_key
        self.api_token = api_token
        self.control_token = control_token
        self.process = process
        self.stderr_path = stderr_path
        parsed = urllib.parse.urlsplit(url)
        self.host = parsed.hostname
        self.port = parsed.port

    def __repr__(self):
        return "Emulator(url=%r)" % self.url

    # -- raw HTTP -------------------------------------------------------------

    def raw(self, method, path, body=None, headers=None, timeout=30.0):
        """Send one request on a fresh connection; ``body`` may be bytes, str or a JSON-able object."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            send_headers = dict(headers or {})
            payload = None
            if body is not None:
                if isinstance(body, bytes):
                    payload = body
                elif isinstance(body, str):
                    payload = body.encode("utf-8")
                else:
                    payload = json.dumps(body).encode("utf-8")
                    send_headers.setdefault("Content-Type", "application/json")
            conn.request(method, path, body=payload, headers=send_headers)
            resp = conn.getresponse()
            data = resp.read()
            return ApiResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
        finally:
            conn.close()

    def call(self, method, path, body=None, auth="key", headers=None, timeout=30.0):
        """Call the Bintu API. ``auth`` is ``"key"``, ``"token"`` or None (no credentials)."""
        send_headers = {"Accept": "application/json"}
        if auth == "key":
            send_headers["X-BINTU-APIKEY"] = self.api_key
        elif auth == "token":
            send_headers["X-BINTU-TOKEN"] = self.api_token
        elif auth is not None:
            raise ValueError("auth must be 'key', 'token' or None")
        send_headers.update(headers or {})
        return self.raw(method, path, body=body, headers=send_headers, timeout=timeout)

    def control(self, method, path, body=None):
        """Call the control API (``/_emulator/...``) and return the decoded JSON answer."""
        resp = self.raw(method, "/_emulator/" + path.lstrip("/"), body=body,
                        headers={CONTROL_HEADER: self.control_token})
        if resp.status != 200:
            raise EmulatorError("control call %s %s failed: %s %r" % (method, path, resp.status, resp.body[:500]))
        return resp.json

    # -- control helpers ------------------------------------------------------

    def requests(self):
        """The request log: list of {method, path, query, status, duration_ms, time}, in answer order."""
        return self.control("GET", "requests")["requests"]

    def clear_requests(self):
        """Empty the request log."""
        self.control("DELETE", "requests")

    def writes(self):
        """Log entries of writing requests (POST/PUT/PATCH/DELETE)."""
        return [entry for entry in self.requests() if entry["method"] in WRITE_METHODS]

    def config(self):
        """All switches and faults."""
        return self.control("GET", "config")

    def configure(self, **settings):
        """Merge switches/faults (see tests/emulator/README.md) and return the full config."""
        return self.control("PATCH", "config", settings)

    def reset(self):
        """Drop all streams, clear the log, restore start-up switches, clear faults."""
        return self.control("POST", "reset")

    def set_state(self, stream_id, state, members=True):
        """Set a stream's state (created/live/ended/locked); a passthrough takes its members along."""
        return self.control("PUT", "streams/%s/state" % stream_id, {"state": state, "members": members})

    def streams(self):
        """Every stored stream, members and deleted ones included, oldest first."""
        return self.control("GET", "streams")["streams"]

    def env(self):
        """Environment for modules/playbooks: BINTU_API_URL and BINTU_API_KEY."""
        return {"BINTU_API_URL": self.url, "BINTU_API_KEY": self.api_key}

    def secrets(self):
        """The credentials of this emulator (to check that nothing leaks them)."""
        return [s for s in (self.api_key, self.api_token, self.control_token) if s]

    # -- process --------------------------------------------------------------

    def alive(self):
        """True while the emulator process runs (always True for an external emulator)."""
        return self.process is None or self.process.poll() is None

    def stderr_text(self):
        """What the emulator process wrote to stderr so far."""
        if not self.stderr_path:
            return ""
        try:
            return Path(self.stderr_path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Stop the process with ``sig`` (killing it after ``timeout``); return its exit code."""
        proc = self.process
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        if proc.stdout:
            proc.stdout.close()
        return proc.returncode


def _random_secret(prefix):
    return "%s-%s" % (prefix, secrets.token_urlsafe(18))


def _read_line(stream, timeout):
    """Read one line from a pipe, giving up after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    buf = b""
    with selectors.DefaultSelector() as sel:
        sel.register(stream, selectors.EVENT_READ)
        while b"\n" not in buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not sel.select(remaining):
                return None
            chunk = os.read(stream.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
    return buf.split(b"\n", 1)[0].decode("utf-8", "replace").strip()


def _drain(stream):
    try:
        while os.read(stream.fileno(), 65536):
            pass
    except (OSError, ValueError):
        pass


def start_emulator(*cli_args, api_key=None, api_token=None, control_token=None, workdir=None):
    """Start ``bintu_emulator.py --port 0`` with fresh credentials and return an :class:`Emulator`."""
    api_key = api_key or _random_secret("key")
    api_token = api_token or _random_secret("token")
    control_token = control_token or _random_secret("control")
    cmd = [sys.executable, str(EMULATOR_SCRIPT), "--host", "127.0.0.1", "--port", "0",
           "--api-key", api_key, "--api-token", api_token, "--control-token", control_token]
    cmd.extend(str(arg) for arg in cli_args)
    workdir = Path(workdir or tempfile.mkdtemp(prefix="bintu-emulator-"))
    stderr_path = workdir / ("emulator-%s.stderr" % secrets.token_hex(4))
    with open(stderr_path, "wb") as stderr:
        # pylint: disable-next=consider-using-with
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr,
                                cwd=str(REPO_ROOT))
    line = _read_line(proc.stdout, START_TIMEOUT)
    if not line or not line.startswith("http://"):
        failed = Emulator("http://127.0.0.1:0", api_key, api_token, control_token, process=proc,
                          stderr_path=str(stderr_path))
        failed.stop(signal.SIGKILL)
        raise EmulatorError("emulator did not print its URL (got %r); stderr:\n%s" % (line, failed.stderr_text()))
    handle = Emulator(line, api_key, api_token, control_token, process=proc, stderr_path=str(stderr_path))
    threading.Thread(target=_drain, args=(proc.stdout,), daemon=True).start()
    return handle


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------

@pytest.fixture(scope="session")
def emulator_server(tmp_path_factory):
    """The session-wide emulator process (no reset; most tests want ``emulator``)."""
    handle = start_emulator(workdir=tmp_path_factory.mktemp("emulator"))
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def emulator(emulator_server):
    """The session emulator, reset before the test (no streams, empty log, default switches)."""
    if not emulator_server.alive():
        raise EmulatorError("the session emulator died; stderr:\n%s" % emulator_server.stderr_text())
    emulator_server.reset()
    return emulator_server


@pytest.fixture
def emulator_factory(tmp_path):
    """Start extra emulators: ``emulator_factory(*cli_args, api_key=.., api_token=.., control_token=..)``."""
    started = []

    def factory(*cli_args, **kwargs):
        kwargs.setdefault("workdir", tmp_path)
        handle = start_emulator(*cli_args, **kwargs)
        started.append(handle)
        return handle

    try:
        yield factory
    finally:
        for handle in started:
            handle.stop()


class PlaybookResult:
    """Outcome of one ``ansible-playbook`` run.

    ``rc``, ``stdout``, ``stderr``, ``cmd`` (argv), ``out_dir`` (Path given to the
    playbook as extra var ``out_dir``); ``results`` maps each ``<out_dir>/<name>.json``
    written by the playbook to its parsed content; ``result(name)`` returns one of them.
    """

    def __init__(self, rc, stdout, stderr, cmd, out_dir):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.cmd = cmd
        self.out_dir = Path(out_dir)

    @property
    def results(self):
        """{name: parsed JSON} for every ``*.json`` file in ``out_dir``."""
        found = {}
        for path in sorted(self.out_dir.glob("*.json")):
            found[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        return found

    def result(self, name):
        """Parsed ``<out_dir>/<name>.json`` (``name`` with or without ``.json``)."""
        if name.endswith(".json"):
            name = name[:-5]
        return json.loads((self.out_dir / ("%s.json" % name)).read_text(encoding="utf-8"))

    @property
    def output(self):
        """stdout and stderr together."""
        return self.stdout + self.stderr

    def __repr__(self):
        return "PlaybookResult(rc=%r)" % self.rc


def _redact(text, secret_values):
    for value in secret_values:
        if value:
            text = text.replace(value, "<redacted>")
    return text


@pytest.fixture
def ansible_playbook(emulator, tmp_path):
    """Run ``ansible-playbook`` (the one next to ``sys.executable``) against the ``emulator``.

    ``run(playbook, extra_vars=None, check=False, diff=False, env=None, verbosity=0, expect_rc=0)``

    * ``playbook``: path; a relative path is taken relative to the repository root.
    * ``extra_vars``: dict passed as ``-e @file`` (JSON). ``out_dir`` (a fresh tmp dir)
      is always added; playbooks write results there, e.g.
      ``ansible.builtin.copy: {content: "{{ r | to_nice_json }}", dest: "{{ out_dir }}/r.json"}``.
    * ``env``: overrides for the environment. The base environment is ``os.environ``
      without any ``BINTU_*`` variable, plus ``ANSIBLE_COLLECTIONS_PATH`` and the quiet
      ``ANSIBLE_*`` settings, plus ``BINTU_API_URL`` / ``BINTU_API_KEY`` of the emulator.
      A value of None removes the variable.
    * ``expect_rc``: fail the test (showing the output, with secrets redacted) when the
      exit code differs; None accepts any exit code.

    The command runs with cwd = a fresh tmp dir (so no ansible.cfg is picked up) and
    implicit localhost (no inventory).
    """
    counter = {"n": 0}
    binary = str(Path(sys.executable).parent / "ansible-playbook")

    def run(playbook, extra_vars=None, check=False, diff=False, env=None, verbosity=0, expect_rc=0, timeout=900):
        counter["n"] += 1
        run_dir = tmp_path / ("playbook-run-%d" % counter["n"])
        out_dir = run_dir / "out"
        out_dir.mkdir(parents=True)
        playbook_path = Path(playbook)
        if not playbook_path.is_absolute():
            playbook_path = REPO_ROOT / playbook_path
        variables = dict(extra_vars or {})
        variables.setdefault("out_dir", str(out_dir))
        vars_file = run_dir / "extra_vars.json"
        vars_file.write_text(json.dumps(variables), encoding="utf-8")

        cmd = [binary, str(playbook_path), "-e", "@%s" % vars_file]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        if verbosity:
            cmd.append("-" + "v" * int(verbosity))

        run_env = {k: v for k, v in os.environ.items() if not k.startswith("BINTU_")}
        run_env["ANSIBLE_COLLECTIONS_PATH"] = str(COLLECTIONS_BASE)
        run_env.update(ANSIBLE_ENV)
        run_env.update(emulator.env())
        for key, value in (env or {}).items():
            if value is None:
                run_env.pop(key, None)
            else:
                run_env[key] = str(value)

        proc = subprocess.run(cmd, cwd=str(run_dir), env=run_env, capture_output=True, text=True,
                              timeout=timeout, check=False)
        result = PlaybookResult(proc.returncode, proc.stdout, proc.stderr, cmd, out_dir)
        if expect_rc is not None and proc.returncode != expect_rc:
            shown = _redact("rc=%s\n--- stdout ---\n%s\n--- stderr ---\n%s" % (proc.returncode, proc.stdout, proc.stderr),
                            emulator.secrets() + [run_env.get("BINTU_API_KEY"), run_env.get("BINTU_API_TOKEN")])
            pytest.fail("ansible-playbook %s: expected rc %s\n%s" % (playbook_path.name, expect_rc, shown))
        return result

    return run
