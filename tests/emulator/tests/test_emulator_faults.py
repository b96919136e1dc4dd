# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every fault: latency, fail_next, fail_rate, reset_next, drop_after_commit, delay_next (run time and flags)."""

from __future__ import annotations

import http.client
import json
import socket

import pytest


def _raw_exchange(emulator, method, path, body=None, auth=True, timeout=10.0):
    """Send one request on a raw socket; return (bytes received, ConnectionResetError or None)."""
    payload = json.dumps(body).encode() if body is not None else b""
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s:%s" % (emulator.host, emulator.port),
             "Content-Type: application/json", "Content-Length: %d" % len(payload), "Connection: close"]
    if auth:
        lines.append("X-BINTU-APIKEY: %s" % emulator.api_key)
    with socket.create_connection((emulator.host, emulator.port), timeout=timeout) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        received = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError as exc:
                return received, exc
            if not chunk:
                return received, None
            received += chunk


def _keepalive_call(conn, emulator, method, path, body=None):
    headers = {"X-BINTU-APIKEY": emulator.api_key}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=payload, headers=headers)
    resp = conn.getresponse()
    return resp.status, resp.read()


# --------------------------------------------------------------------------
# latency and delay
# --------------------------------------------------------------------------

def test_latency_applies_to_every_api_request(emulator):
    emulator.configure(latency_ms=120)
    emulator.call("POST", "/stream")
    emulator.call("GET", "/stream")
    emulator.call("GET", "/nowhere", auth=None)
    log = emulator.requests()
    assert len(log) == 3
    assert all(entry["duration_ms"] >= 120 for entry in log)
    assert emulator.config()["latency_ms"] == 120
    emulator.configure(latency_ms=0)
    emulator.clear_requests()
    emulator.call("GET", "/stream")
    assert len(emulator.requests()) == 1


def test_delay_next_makes_clients_time_out_after_the_commit(emulator):
    emulator.configure(delay_next={"count": 1, "ms": 1500, "method": "POST"})
    emulator.call("GET", "/stream")
    assert emulator.config()["delay_next"]["count"] == 1
    with pytest.raises(TimeoutError):
        emulator.call("POST", "/stream", {"tags": ["slow"]}, timeout=0.2)
    assert [s["tags"] for s in emulator.streams()] == [["slow"]]
    assert emulator.config()["delay_next"] is None
    assert emulator.call("POST", "/stream", timeout=5).status == 200


def test_delay_next_counts_and_logs(emulator):
    emulator.configure(delay_next={"count": 2, "ms": 100})
    for _i in range(3):
        assert emulator.call("GET", "/stream").status == 200
    durations = [e["duration_ms"] for e in emulator.requests()]
    assert durations[0] >= 100 and durations[1] >= 100
    assert emulator.config()["delay_next"] is None


# --------------------------------------------------------------------------
# fail_next / fail_rate
# --------------------------------------------------------------------------

def test_fail_next_429_with_retry_after(emulator):
    emulator.configure(fail_next={"status": 429, "count": 2, "retry_after": 3})
    for remaining in (1, None):
        resp = emulator.call("POST", "/stream", {"tags": ["x"]})
        assert resp.status == 429
        assert resp.headers["retry-after"] == "3"
        assert resp.json == {"error": {"message": "Too Many Requests", "code": 429, "userinfo": {"fault": "fail_next"}}}
        fault = emulator.config()["fail_next"]
        assert (fault and fault["count"]) == remaining
    assert emulator.streams() == []
    assert emulator.call("POST", "/stream", {"tags": ["x"]}).status == 200
    assert [e["status"] for e in emulator.requests()] == [429, 429, 200]


def test_fail_next_429_always_carries_retry_after(emulator):
    emulator.configure(fail_next={"status": 429})
    resp = emulator.call("GET", "/stream")
    assert resp.status == 429 and resp.headers["retry-after"] == "0"


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_fail_next_5xx_burst(emulator, status):
    emulator.configure(fail_next={"status": status, "count": 3})
    statuses = [emulator.call("GET", "/stream").status for _i in range(4)]
    assert statuses == [status, status, status, 200]
    resp_headers = emulator.call("GET", "/stream").headers
    assert "retry-after" not in resp_headers


def test_fail_next_503_with_retry_after(emulator):
    emulator.configure(fail_next={"status": 503, "retry_after": 2})
    resp = emulator.call("PUT", "/stream/x/stop")
    assert resp.status == 503 and resp.headers["retry-after"] == "2"


def test_fail_next_hits_before_auth_and_routing(emulator):
    emulator.configure(fail_next={"status": 502, "count": 2})
    assert emulator.call("GET", "/stream", auth=None).status == 502
    assert emulator.call("GET", "/nowhere").status == 502


def test_fail_next_method_filter(emulator):
    emulator.configure(fail_next={"status": 500, "count": 1, "method": "PUT"})
    stream_id = emulator.call("POST", "/stream").json["id"]
    assert emulator.call("GET", "/stream").status == 200
    assert emulator.call("PUT", "/stream/%s/tag" % stream_id, {"tags": ["a"]}).status == 500
    assert emulator.call("GET", "/stream/%s" % stream_id).json["tags"] == []
    assert emulator.call("PUT", "/stream/%s/tag" % stream_id, {"tags": ["a"]}).status == 200


def test_faults_never_touch_the_control_api(emulator):
    emulator.configure(fail_next={"status": 500, "count": 1}, reset_next={"count": 1}, fail_rate={"status": 503, "rate": 1})
    assert emulator.streams() == []
    assert emulator.config()["fail_next"]["count"] == 1
    assert emulator.requests() == []


@pytest.mark.parametrize("rate, pattern", [(0.5, [200, 503] * 5), (0.25, [200, 200, 200, 503] * 2 + [200, 200]),
                                           (1.0, [503] * 10)])
def test_fail_rate_fails_that_fraction(emulator, rate, pattern):
    emulator.configure(fail_rate={"status": 503, "rate": rate})
    statuses = [emulator.call("GET", "/stream").status for _i in range(10)]
    assert statuses == pattern
    assert emulator.config()["fail_rate"]["rate"] == rate


def test_fail_rate_429_method_filter_and_clear(emulator):
    emulator.configure(fail_rate={"status": 429, "rate": 1, "retry_after": 1, "method": "POST"})
    assert emulator.call("GET", "/stream").status == 200
    resp = emulator.call("POST", "/stream")
    assert resp.status == 429 and resp.headers["retry-after"] == "1"
    assert resp.json["error"]["userinfo"] == {"fault": "fail_rate"}
    emulator.configure(fail_rate=None)
    assert emulator.call("POST", "/stream").status == 200
    assert len(emulator.streams()) == 1


# --------------------------------------------------------------------------
# error bodies of fail_next / fail_rate
# --------------------------------------------------------------------------

ORG_NOT_ENABLED = {"status": 403, "code": 2003, "message": "Organisation is not enabled"}


def test_fail_next_answers_a_given_bintu_error(emulator):
    config = emulator.configure(fail_next=dict(ORG_NOT_ENABLED, count=2))
    assert config["fail_next"] == dict(ORG_NOT_ENABLED, count=2, retry_after=None, method=None, userinfo=None)
    for _i in range(2):
        resp = emulator.call("POST", "/stream", {"tags": ["x"]})
        assert resp.status == 403
        assert resp.headers["content-type"] == "application/json; charset=utf-8"
        # exactly the documented envelope: no userinfo unless given (like 2001), no fault marker
        assert resp.json == {"error": {"message": "Organisation is not enabled", "code": 2003}}
        assert "retry-after" not in resp.headers
    assert emulator.streams() == []
    assert emulator.call("POST", "/stream").status == 200
    assert [e["status"] for e in emulator.requests()] == [403, 403, 200]


def test_fail_next_error_with_userinfo(emulator):
    emulator.configure(fail_next={"status": 400, "code": 1002, "message": "Parameter required",
                                  "userinfo": {"required_parameter": "tags"}, "method": "PUT"})
    assert emulator.call("GET", "/stream").status == 200
    resp = emulator.call("PUT", "/stream/any/tag", {"tags": []})
    assert resp.status == 400
    assert resp.json == {"error": {"message": "Parameter required", "code": 1002,
                                   "userinfo": {"required_parameter": "tags"}}}


@pytest.mark.parametrize("given, expected", [
    ({"code": 4711}, {"message": "Service Unavailable", "code": 4711}),
    ({"message": "Try later"}, {"message": "Try later", "code": 503}),
    ({"userinfo": {"why": "maintenance"}}, {"message": "Service Unavailable", "code": 503,
                                            "userinfo": {"why": "maintenance"}}),
    ({"code": None, "message": None, "userinfo": None}, {"message": "Service Unavailable", "code": 503,
                                                         "userinfo": {"fault": "fail_next"}}),
])
def test_fail_next_error_parts_default_to_the_status(emulator, given, expected):
    emulator.configure(fail_next=dict(given, status=503))
    resp = emulator.call("GET", "/stream")
    assert resp.status == 503 and resp.json == {"error": expected}


def test_fail_rate_answers_a_given_bintu_error_with_retry_after(emulator):
    emulator.configure(fail_rate={"status": 429, "rate": 0.5, "code": 4290, "message": "Rate limit exceeded",
                                  "userinfo": {"limit": 10}})
    statuses = []
    for _i in range(4):
        resp = emulator.call("GET", "/stream")
        statuses.append(resp.status)
        if resp.status == 429:
            assert resp.json == {"error": {"message": "Rate limit exceeded", "code": 4290, "userinfo": {"limit": 10}}}
            assert resp.headers["retry-after"] == "0"
    assert statuses == [200, 429, 200, 429]


def test_error_body_fault_from_command_line(emulator_factory):
    emu = emulator_factory("--fail-next", json.dumps(dict(ORG_NOT_ENABLED, count=1)))
    resp = emu.call("GET", "/organisation")
    assert resp.status == 403 and resp.json == {"error": {"message": "Organisation is not enabled", "code": 2003}}
    assert emu.call("GET", "/organisation").status == 200


# --------------------------------------------------------------------------
# connection reset
# --------------------------------------------------------------------------

def test_reset_next_resets_before_answering_and_commits_nothing(emulator):
    emulator.configure(reset_next={"count": 1})
    conn = http.client.HTTPConnection(emulator.host, emulator.port, timeout=10)
    try:
        with pytest.raises(ConnectionResetError) as info:
            _keepalive_call(conn, emulator, "POST", "/stream", {"tags": ["never"]})
        assert not isinstance(info.value, http.client.RemoteDisconnected)
    finally:
        conn.close()
    assert emulator.streams() == []
    assert emulator.config()["reset_next"] is None
    assert [(e["method"], e["status"]) for e in emulator.requests()] == [("POST", 0)]
    assert emulator.call("POST", "/stream").status == 200


def test_reset_next_on_a_raw_socket_sends_no_bytes(emulator):
    emulator.configure(reset_next=1)
    received, error = _raw_exchange(emulator, "GET", "/stream")
    assert received == b""
    assert isinstance(error, ConnectionResetError)
    received, error = _raw_exchange(emulator, "GET", "/stream")
    assert received.startswith(b"HTTP/1.1 200 OK\r\n") and error is None


def test_reset_next_method_filter(emulator):
    emulator.configure(reset_next={"count": 2, "method": "DELETE"})
    stream_id = emulator.call("POST", "/stream").json["id"]
    assert emulator.call("GET", "/stream").status == 200
    with pytest.raises(ConnectionResetError):
        emulator.call("DELETE", "/stream/%s" % stream_id)
    assert emulator.call("GET", "/stream/%s" % stream_id).status == 200
    assert emulator.config()["reset_next"] == {"count": 1, "method": "DELETE"}


def test_keepalive_client_recovers_after_reset(emulator):
    conn = http.client.HTTPConnection(emulator.host, emulator.port, timeout=10)
    try:
        assert _keepalive_call(conn, emulator, "GET", "/stream")[0] == 200
        emulator.configure(reset_next=1)
        with pytest.raises(ConnectionResetError):
            _keepalive_call(conn, emulator, "GET", "/stream")
        conn.close()
        assert _keepalive_call(conn, emulator, "GET", "/stream")[0] == 200
    finally:
        conn.close()


# --------------------------------------------------------------------------
# commit-then-drop
# --------------------------------------------------------------------------

def test_drop_after_commit_creates_then_closes_without_answer(emulator):
    emulator.configure(drop_after_commit={"count": 1})
    assert emulator.call("GET", "/stream").status == 200
    received, error = _raw_exchange(emulator, "POST", "/stream", {"tags": ["name:dup"]})
    assert received == b"" and error is None
    stored = emulator.streams()
    assert [s["tags"] for s in stored] == [["name:dup"]]
    assert [s["id"] for s in emulator.call("GET", "/stream?tags[]=name:dup").json] == [stored[0]["id"]]
    assert [(e["method"], e["status"]) for e in emulator.requests()] == [("GET", 200), ("POST", 0), ("GET", 200)]
    assert emulator.config()["drop_after_commit"] is None


def test_drop_after_commit_seen_by_http_client(emulator):
    emulator.configure(drop_after_commit=2)
    for _i in range(2):
        with pytest.raises(http.client.RemoteDisconnected):
            emulator.call("POST", "/stream", {"transcodes": [{"profile": "vtrans2-852x480x800x25"}]})
    assert emulator.call("POST", "/stream").status == 200
    stored = emulator.streams()
    assert len(stored) == 5
    assert sum(1 for s in stored if s["profile"] is None) == 3


def test_drop_after_commit_skips_failed_creates(emulator):
    emulator.configure(drop_after_commit=1)
    assert emulator.call("POST", "/stream", {"tags": "bad"}).status == 400
    assert emulator.call("POST", "/stream", auth=None).status == 401
    assert emulator.config()["drop_after_commit"] == {"count": 1}
    with pytest.raises(http.client.RemoteDisconnected):
        emulator.call("POST", "/stream")
    assert len(emulator.streams()) == 1


# --------------------------------------------------------------------------
# faults as start-up flags
# --------------------------------------------------------------------------

def test_faults_from_command_line(emulator_factory):
    emu = emulator_factory("--latency-ms", "30", "--fail-next", '{"status": 429, "count": 1, "retry_after": 2}',
                           "--fail-rate", '{"status": 500, "rate": 0.5, "method": "PUT"}',
                           "--reset-next", '{"count": 1, "method": "DELETE"}', "--drop-after-commit", "1",
                           "--delay-next", '{"count": 1, "ms": 50, "method": "GET"}')
    config = emu.config()
    assert config["latency_ms"] == 30
    assert config["fail_next"] == {"status": 429, "count": 1, "retry_after": 2, "method": None, "code": None, "message": None, "userinfo": None}
    assert config["fail_rate"] == {"status": 500, "rate": 0.5, "retry_after": None, "method": "PUT", "code": None, "message": None, "userinfo": None}
    assert config["reset_next"] == {"count": 1, "method": "DELETE"}
    assert config["drop_after_commit"] == {"count": 1}
    assert config["delay_next"] == {"count": 1, "ms": 50, "method": "GET"}

    first = emu.call("POST", "/stream")
    assert first.status == 429 and first.headers["retry-after"] == "2"
    with pytest.raises(http.client.RemoteDisconnected):
        emu.call("POST", "/stream")
    stream_id = emu.streams()[0]["id"]
    assert emu.call("GET", "/stream").status == 200
    assert [emu.call("PUT", "/stream/%s/lock" % stream_id).status for _i in range(2)] == [200, 500]
    with pytest.raises(ConnectionResetError):
        emu.call("DELETE", "/stream/%s" % stream_id)
    log = emu.requests()
    assert [e["status"] for e in log] == [429, 0, 200, 200, 500, 0]
    assert log[2]["duration_ms"] >= 80 and all(e["duration_ms"] >= 30 for e in log)

    emu.reset()
    config = emu.config()
    assert all(config[key] is None for key in ("fail_next", "fail_rate", "reset_next", "drop_after_commit", "delay_next"))
    assert config["latency_ms"] == 0
