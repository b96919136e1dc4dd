# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulator as a process and an HTTP/1.1 server: start-up, signals, state file, keep-alive."""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

EMULATOR_SCRIPT = Path(__file__).resolve().parent.parent / "bintu_emulator.py"


def _spawn(*args):
    # pylint: disable-next=consider-using-with
    return subprocess.Popen([sys.executable, str(EMULATOR_SCRIPT)] + list(args), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _first_line(proc):
    line = proc.stdout.readline().decode()
    assert line.endswith("\n")
    return line.rstrip("\n")


def _terminate(proc, sig=signal.SIGTERM):
    proc.send_signal(sig)
    try:
        _out, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return proc.returncode, err.decode()


def _get(url, path, headers):
    host, port = url[len("http://"):].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


# --------------------------------------------------------------------------
# start, defaults, signals
# --------------------------------------------------------------------------

def test_port_0_prints_the_url_first_and_defaults_work():
    proc = _spawn("--port", "0")
    try:
        url = _first_line(proc)
        match = re.match(r"^http://127\.0\.0\.1:(\d+)$", url)
        assert match and int(match.group(1)) > 0
        assert _get(url, "/stream", {"X-BINTU-APIKEY": "emulator-api-key"})[0] == 200
        assert _get(url, "/stream", {"X-BINTU-TOKEN": "emulator-api-token"})[0] == 200
        assert _get(url, "/stream", {"X-BINTU-APIKEY": "other"})[0] == 401
        assert _get(url, "/_emulator/config", {"X-Emulator-Control": "emulator-control"})[0] == 200
    finally:
        rc, err = _terminate(proc)
    assert rc == 0 and "Traceback" not in err


def test_explicit_port_and_several_keys():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = _spawn("--port", str(port), "--api-key", "k1", "--api-key", "k2", "--api-token", "t1")
    try:
        url = _first_line(proc)
        assert url == "http://127.0.0.1:%d" % port
        assert [_get(url, "/stream", {"X-BINTU-APIKEY": k})[0] for k in ("k1", "k2", "emulator-api-key")] == [200, 200, 401]
        assert [_get(url, "/stream", {"X-BINTU-TOKEN": t})[0] for t in ("t1", "emulator-api-token")] == [200, 401]
    finally:
        assert _terminate(proc)[0] == 0


def test_port_in_use_exits_1():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        proc = _spawn("--port", str(busy.getsockname()[1]))
        _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 1 and "cannot listen" in err.decode()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_stop_cleanly_with_open_connections(emulator_factory, sig):
    emu = emulator_factory()
    conn = http.client.HTTPConnection(emu.host, emu.port, timeout=10)
    conn.request("GET", "/stream", headers={"X-BINTU-APIKEY": emu.api_key})
    assert conn.getresponse().read() == b"[]"
    started = time.monotonic()
    rc = emu.stop(sig)
    conn.close()
    assert rc == 0
    assert time.monotonic() - started < 9, "the emulator had to be killed"
    assert "Traceback" not in emu.stderr_text()


def test_version_and_help():
    out = subprocess.run([sys.executable, str(EMULATOR_SCRIPT), "--help"], capture_output=True, text=True, check=True,
                         timeout=30).stdout
    for flag in ("--port", "--state", "--api-key", "--api-token", "--control-token", "--org-hash", "--create-status",
                 "--list-shape", "--list-wrap-key", "--list-members", "--auth-error", "--tag-order", "--quantity-cap",
                 "--not-found-status", "--delete-status", "--latency-ms", "--fail-next", "--fail-rate", "--reset-next",
                 "--drop-after-commit", "--delay-next"):
        assert flag in out


# --------------------------------------------------------------------------
# state
# --------------------------------------------------------------------------

def test_state_file_survives_restart(emulator_factory, tmp_path):
    state = tmp_path / "bintu.sqlite"
    first = emulator_factory("--state", str(state), "--org-hash", "Ab3De")
    group = first.call("POST", "/stream", {"tags": ["name:keep"], "transcodes": [
        {"profile": "vtrans2-852x480x800x25", "tags": ["hi"]}]}).json
    gone = first.call("POST", "/stream", {"tags": ["name:gone"]}).json
    first.call("PUT", "/stream/%s/tag" % group["id"], {"tags": ["name:keep", "v2"]})
    first.set_state(group["id"], "live")
    first.call("DELETE", "/stream/%s" % gone["id"])
    first.call("PUT", "/organisation/webhook", {"webhook": "https://hook.example"})
    before = first.call("GET", "/stream/%s" % group["id"]).json
    org_before = first.call("GET", "/organisation").json
    assert before["ingest"]["rtmp"]["streamname"].startswith("Ab3De-")
    assert first.stop() == 0

    second = emulator_factory("--state", str(state))
    assert second.call("GET", "/stream/%s" % group["id"]).json == before
    assert second.call("GET", "/organisation").json == org_before
    assert second.call("GET", "/stream/%s" % gone["id"]).status == 404
    assert [s["id"] for s in second.call("GET", "/stream").json] == [group["id"]]
    assert [s["state"] for s in second.streams()] == ["live", "live", "deleted"]
    assert len(second.requests()) == 4
    new = second.call("POST", "/stream").json
    assert new["ingest"]["rtmp"]["streamname"].startswith("Ab3De-")
    assert second.stop(signal.SIGKILL) != 0

    third = emulator_factory("--state", str(state))
    assert len(third.streams()) == 4
    third.reset()
    assert third.stop() == 0
    assert emulator_factory("--state", str(state)).streams() == []


def test_memory_state_is_per_process(emulator_factory):
    first = emulator_factory()
    first.call("POST", "/stream")
    assert first.stop() == 0
    assert emulator_factory().streams() == []


def test_org_hash_flag(emulator_factory):
    emu = emulator_factory("--org-hash", "XyZ12", "--org-name", "Test Org")
    org = emu.call("GET", "/organisation").json
    assert org["hash"] == "XyZ12" and org["name"] == "Test Org"
    assert emu.call("POST", "/stream").json["ingest"]["rtmp"]["streamname"].startswith("XyZ12-")


# --------------------------------------------------------------------------
# HTTP/1.1 transport
# --------------------------------------------------------------------------

def test_keep_alive_reuses_one_connection_for_everything(emulator):
    conn = http.client.HTTPConnection(emulator.host, emulator.port, timeout=10)
    auth = {"X-BINTU-APIKEY": emulator.api_key, "Content-Type": "application/json"}
    try:
        conn.connect()
        local = conn.sock.getsockname()
        emulator.configure(delete_status=204)
        calls = [("POST", "/stream", b'{"tags": ["a"]}', auth, 200), ("GET", "/stream", None, auth, 200),
                 ("GET", "/stream?quantity=x", None, auth, 400), ("GET", "/stream", None, {}, 401),
                 ("POST", "/stream", b"{broken", auth, 400), ("GET", "/nope", None, auth, 404),
                 ("PATCH", "/stream", b"", auth, 405)]
        created = None
        for method, path, body, headers, status in calls * 3:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            assert resp.status == status
            assert int(resp.getheader("Content-Length")) == len(data)
            assert resp.getheader("Connection") is None
            json.loads(data)
            if method == "POST" and status == 200:
                created = json.loads(data)["id"]
        conn.request("DELETE", "/stream/%s" % created, headers=auth)
        resp = conn.getresponse()
        assert resp.status == 204 and resp.read() == b""
        conn.request("GET", "/_emulator/config", headers={"X-Emulator-Control": emulator.control_token})
        assert conn.getresponse().read()
        assert conn.sock.getsockname() == local
    finally:
        conn.close()


def test_connection_close_is_honoured(emulator):
    received, _error = b"", None
    with socket.create_connection((emulator.host, emulator.port), timeout=10) as sock:
        sock.sendall(("GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-BINTU-APIKEY: %s\r\n\r\n"
                      % emulator.api_key).encode())
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    head, body = received.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200") and b"Connection: close" in head and body == b"[]"


def test_http_1_0_keep_alive(emulator):
    with socket.create_connection((emulator.host, emulator.port), timeout=10) as sock:
        for _i in range(2):
            sock.sendall(("GET /stream HTTP/1.0\r\nConnection: keep-alive\r\nX-BINTU-APIKEY: %s\r\n\r\n"
                          % emulator.api_key).encode())
            data = b""
            while b"\r\n\r\n[]" not in data:
                chunk = sock.recv(65536)
                assert chunk
                data += chunk
            assert b"Connection: keep-alive" in data


def test_chunked_request_body(emulator):
    conn = http.client.HTTPConnection(emulator.host, emulator.port, timeout=10)
    try:
        parts = [b'{"tags": ', b'["chunked"', b"]}"]
        conn.request("POST", "/stream", body=iter(parts), encode_chunked=True,
                     headers={"X-BINTU-APIKEY": emulator.api_key, "Transfer-Encoding": "chunked"})
        resp = conn.getresponse()
        assert resp.status == 200 and json.loads(resp.read())["tags"] == ["chunked"]
        conn.request("GET", "/stream", headers={"X-BINTU-APIKEY": emulator.api_key})
        assert len(json.loads(conn.getresponse().read())) == 1
    finally:
        conn.close()


def test_expect_100_continue(emulator):
    body = b'{"tags": ["expect"]}'
    with socket.create_connection((emulator.host, emulator.port), timeout=10) as sock:
        sock.sendall(("POST /stream HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: %d\r\n"
                      "X-BINTU-APIKEY: %s\r\n\r\n" % (len(body), emulator.api_key)).encode())
        assert sock.recv(65536).startswith(b"HTTP/1.1 100")
        sock.sendall(body)
        data = b""
        while b'"expect"' not in data:
            chunk = sock.recv(65536)
            assert chunk
            data += chunk
    assert data.startswith(b"HTTP/1.1 200")


def test_unusable_state_file_exits_1(tmp_path):
    state = tmp_path / "not-a-database.sqlite"
    state.write_bytes(b"this is not an SQLite file" * 100)
    proc = _spawn("--port", "0", "--state", str(state))
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 1 and out == b"" and b"cannot use state" in err


def test_sigterm_right_after_the_url_line():
    proc = _spawn("--port", "0")
    assert _first_line(proc).startswith("http://127.0.0.1:")
    assert _terminate(proc)[0] == 0
