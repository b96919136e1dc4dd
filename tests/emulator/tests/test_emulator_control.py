# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The control API under /_emulator/: access, request log, config, reset, stream state, stream dump."""

from __future__ import annotations

import json
import time

import pytest

CONTROL_CALLS = [
    ("GET", "/_emulator/requests", None),
    ("DELETE", "/_emulator/requests", None),
    ("GET", "/_emulator/config", None),
    ("PATCH", "/_emulator/config", {"create_status": 201}),
    ("POST", "/_emulator/reset", None),
    ("GET", "/_emulator/streams", None),
    ("PUT", "/_emulator/streams/0b5a3c4e-1111-4222-8333-444455556666/state", {"state": "live"}),
]


@pytest.mark.parametrize("method, path, body", CONTROL_CALLS, ids=["%s %s" % (m, p) for m, p, _b in CONTROL_CALLS])
def test_control_refuses_bintu_credentials_and_wrong_tokens(emulator, method, path, body):
    emulator.call("POST", "/stream", {"tags": ["keep"]})
    attempts = [
        {"X-BINTU-APIKEY": emulator.api_key},
        {"X-BINTU-TOKEN": emulator.api_token},
        {"X-Emulator-Control": emulator.api_key},
        {"X-Emulator-Control": emulator.control_token + "x"},
        {"X-Emulator-Control": ""},
        {},
    ]
    for headers in attempts:
        resp = emulator.raw(method, path, body=body, headers=headers)
        assert resp.status == 403, (headers.keys(), resp)
        assert resp.json == {"error": {"message": "Access denied", "code": 2001}}
    assert emulator.config()["create_status"] == 200
    assert len(emulator.streams()) == 1


def test_control_header_name_is_case_insensitive(emulator):
    resp = emulator.raw("GET", "/_emulator/config", headers={"x-emulator-control": emulator.control_token})
    assert resp.status == 200


def test_unknown_control_route(emulator):
    resp = emulator.raw("GET", "/_emulator/nothing", headers={"X-Emulator-Control": emulator.control_token})
    assert resp.status == 404
    resp = emulator.raw("POST", "/_emulator/config", headers={"X-Emulator-Control": emulator.control_token})
    assert resp.status == 405


# --------------------------------------------------------------------------
# request log
# --------------------------------------------------------------------------

def test_request_log_records_api_requests_only(emulator):
    created = emulator.call("POST", "/stream", {"tags": ["a"]}).json
    emulator.call("GET", "/stream?tags[]=a&quantity=2")
    emulator.call("GET", "/stream/%s" % created["id"], auth=None)
    emulator.call("GET", "/nowhere")
    emulator.call("PUT", "/stream/%s/tag" % created["id"], {"tags": ["b"]})
    emulator.config()
    emulator.streams()
    log = emulator.requests()
    assert [(e["method"], e["path"], e["query"], e["status"]) for e in log] == [
        ("POST", "/stream", "", 200),
        ("GET", "/stream", "tags[]=a&quantity=2", 200),
        ("GET", "/stream/%s" % created["id"], "", 401),
        ("GET", "/nowhere", "", 404),
        ("PUT", "/stream/%s/tag" % created["id"], "", 200),
    ]
    for entry in log:
        assert set(entry) == {"method", "path", "query", "status", "duration_ms", "time"}
        assert isinstance(entry["duration_ms"], (int, float)) and entry["duration_ms"] >= 0
        assert isinstance(entry["time"], float)
    assert [e["method"] for e in emulator.writes()] == ["POST", "PUT"]


def test_request_log_time_is_when_the_request_arrived(emulator):
    before = time.time()
    emulator.call("GET", "/stream")
    emulator.configure(latency_ms=150)
    emulator.call("POST", "/stream")
    emulator.call("GET", "/nowhere", auth=None)
    after = time.time()
    log = emulator.requests()
    assert len(log) == 3
    times = [e["time"] for e in log]
    # seconds since the epoch on the host clock, in request order for one sequential client
    assert before <= times[0] <= times[1] <= times[2] <= after
    # stamped on arrival, before the latency: each later answer came at least 150 ms after it
    assert times[2] - times[1] >= 0.15
    assert after - times[2] >= 0.15


def test_request_log_time_of_faulted_and_aborted_requests(emulator):
    before = time.time()
    emulator.configure(fail_next={"status": 503}, reset_next=1)
    with pytest.raises(ConnectionResetError):
        emulator.call("GET", "/stream")
    assert emulator.call("GET", "/stream").status == 503
    log = emulator.requests()
    assert [e["status"] for e in log] == [0, 503]
    assert before <= log[0]["time"] <= log[1]["time"] <= time.time()


def test_request_log_query_is_raw(emulator):
    emulator.call("GET", "/stream?tags%5B%5D=name%3Acam%201&state=live")
    assert emulator.requests()[0]["query"] == "tags%5B%5D=name%3Acam%201&state=live"


def test_request_log_never_holds_headers_or_bodies(emulator, emulator_factory):
    marker = "body-marker-7f3a9c"
    for emu in (emulator, emulator_factory("--verbose")):
        emu.call("POST", "/stream", {"tags": [marker]}, headers={"X-Custom": "header-marker-51be"})
        emu.call("GET", "/stream", auth="token")
        emu.call("GET", "/stream", auth=None, headers={"X-BINTU-APIKEY": "wrong-key-marker-0c1d"})
        dumped = json.dumps(emu.requests())
        for secret in emu.secrets() + [marker, "header-marker-51be", "wrong-key-marker-0c1d"]:
            assert secret not in dumped
        assert "POST /stream" in emu.stderr_text() or emu is emulator
        for secret in emu.secrets() + [marker, "header-marker-51be", "wrong-key-marker-0c1d"]:
            assert secret not in emu.stderr_text()


def test_clear_requests(emulator):
    emulator.call("GET", "/stream")
    assert len(emulator.requests()) == 1
    emulator.clear_requests()
    assert emulator.requests() == []
    emulator.call("GET", "/stream")
    assert len(emulator.requests()) == 1


# --------------------------------------------------------------------------
# config
# --------------------------------------------------------------------------

def test_patch_config_merges_and_returns_everything(emulator):
    before = emulator.config()
    after = emulator.configure(create_status=201, fail_next={"status": 503, "count": 2})
    fail_next = {"status": 503, "count": 2, "retry_after": None, "method": None,
                 "code": None, "message": None, "userinfo": None}
    expected = dict(before, create_status=201, fail_next=fail_next)
    assert after == expected
    assert emulator.config() == expected
    assert emulator.configure()["create_status"] == 201


@pytest.mark.parametrize("patch", [
    {"create_status": 202}, {"create_status": "201"}, {"list_members": "true"}, {"list_shape": "object"},
    {"list_wrap_key": ""}, {"auth_error": True}, {"tag_order": None}, {"quantity_cap": 0}, {"quantity_cap": 2.5},
    {"not_found_status": 500}, {"delete_status": 202}, {"latency_ms": -1}, {"latency_ms": 1.5},
    {"fail_next": {"count": 1}}, {"fail_next": {"status": 200}}, {"fail_next": {"status": 429, "count": 0}},
    {"fail_next": {"status": 429, "bogus": 1}}, {"fail_next": "429"}, {"fail_next": {"status": 429, "method": "FETCH"}},
    {"fail_rate": {"status": 503}}, {"fail_rate": {"status": 503, "rate": 1.5}}, {"fail_rate": {"status": 503, "rate": 0}},
    {"fail_next": {"status": 403, "code": "2003"}}, {"fail_next": {"status": 403, "code": True}},
    {"fail_next": {"status": 403, "message": ""}}, {"fail_next": {"status": 403, "message": 7}},
    {"fail_rate": {"status": 403, "rate": 1, "userinfo": ["x"]}}, {"fail_rate": {"status": 403, "rate": 1, "userinfo": "x"}},
    {"org_enabled": "false"}, {"org_enabled": 0},
    {"reset_next": {"count": -1}}, {"drop_after_commit": {"count": 1, "method": "GET"}}, {"delay_next": {"count": 1}},
    {"no_such_switch": 1},
])
def test_patch_config_rejects_invalid_values(emulator, patch):
    before = emulator.config()
    resp = emulator.raw("PATCH", "/_emulator/config", body=dict(patch, create_status=201) if "create_status" not in patch
                        else patch, headers={"X-Emulator-Control": emulator.control_token})
    assert resp.status == 400
    error = resp.json["error"]
    assert error["code"] == 1004 and error["userinfo"]["parameter"] in patch
    assert emulator.config() == before


def test_patch_config_requires_an_object(emulator):
    resp = emulator.raw("PATCH", "/_emulator/config", body=b"[1]", headers={"X-Emulator-Control": emulator.control_token})
    assert resp.status == 400


def test_fault_shorthands_and_methods_are_normalised(emulator):
    config = emulator.configure(reset_next=2, drop_after_commit=1, fail_next={"status": 429, "method": "post"})
    assert config["reset_next"] == {"count": 2, "method": None}
    assert config["drop_after_commit"] == {"count": 1}
    assert config["fail_next"] == {"status": 429, "count": 1, "retry_after": None, "method": "POST", "code": None, "message": None, "userinfo": None}
    assert emulator.configure(reset_next=None, drop_after_commit=None, fail_next=None)["reset_next"] is None


# --------------------------------------------------------------------------
# reset
# --------------------------------------------------------------------------

def test_reset_drops_everything(emulator, ladder_stream):
    emulator.call("PUT", "/organisation/webhook", {"webhook": "https://x.example"})
    emulator.configure(create_status=201, list_members=True, latency_ms=5, fail_rate={"status": 500, "rate": 0.1})
    org_hash = emulator.call("GET", "/organisation").json["hash"]
    body = emulator.reset()
    assert body["reset"] is True
    assert emulator.streams() == []
    assert emulator.requests() == []
    config = emulator.config()
    assert config["create_status"] == 200 and config["list_members"] is False
    assert config["latency_ms"] == 0 and config["fail_rate"] is None
    org = emulator.call("GET", "/organisation").json
    assert org["webhook"] is None and org["hash"] == org_hash
    assert emulator.call("GET", "/stream/%s" % ladder_stream["id"]).status == 404


# --------------------------------------------------------------------------
# stream state and stream dump
# --------------------------------------------------------------------------

@pytest.mark.parametrize("state", ["live", "ended", "locked", "created"])
def test_set_state(emulator, ladder_stream, state):
    member_ids = [e["id"] for e in ladder_stream["playout"]["h5live"][1:]]
    stream = emulator.set_state(ladder_stream["id"], state)
    assert stream["state"] == state and stream["id"] == ladder_stream["id"]
    for member_id in member_ids:
        assert emulator.call("GET", "/stream/%s" % member_id).json["state"] == state


def test_set_state_without_members_and_on_a_member(emulator, ladder_stream):
    member_ids = [e["id"] for e in ladder_stream["playout"]["h5live"][1:]]
    emulator.set_state(ladder_stream["id"], "live", members=False)
    assert [emulator.call("GET", "/stream/%s" % m).json["state"] for m in member_ids] == ["created", "created"]
    emulator.set_state(member_ids[1], "ended")
    assert emulator.call("GET", "/stream/%s" % member_ids[1]).json["state"] == "ended"
    assert emulator.call("GET", "/stream/%s" % ladder_stream["id"]).json["state"] == "live"


def test_set_state_locked_then_unlock_restores(emulator, create):
    stream_id = create()["id"]
    emulator.set_state(stream_id, "ended")
    emulator.set_state(stream_id, "locked")
    emulator.set_state(stream_id, "locked")
    assert emulator.call("PUT", "/stream/%s/unlock" % stream_id).json["state"] == "ended"


@pytest.mark.parametrize("body, status", [({"state": "deleted"}, 400), ({"state": "running"}, 400), ({}, 400),
                                          ({"state": "live", "members": "yes"}, 400)])
def test_set_state_rejects_bad_bodies(emulator, create, body, status):
    stream_id = create()["id"]
    resp = emulator.raw("PUT", "/_emulator/streams/%s/state" % stream_id, body=body,
                        headers={"X-Emulator-Control": emulator.control_token})
    assert resp.status == status
    assert emulator.call("GET", "/stream/%s" % stream_id).json["state"] == "created"


def test_set_state_unknown_or_deleted_stream(emulator, create):
    stream_id = create()["id"]
    emulator.call("DELETE", "/stream/%s" % stream_id)
    for target in (stream_id, "0b5a3c4e-1111-4222-8333-444455556666"):
        resp = emulator.raw("PUT", "/_emulator/streams/%s/state" % target, body={"state": "live"},
                            headers={"X-Emulator-Control": emulator.control_token})
        assert resp.status == 404


def test_streams_dump_includes_members_and_deleted(emulator, ladder_stream, create):
    single = create({"tags": ["s"]})
    emulator.call("DELETE", "/stream/%s" % single["id"])
    dump = emulator.streams()
    assert [s["id"] for s in dump] == [e["id"] for e in ladder_stream["playout"]["h5live"]] + [single["id"]]
    assert [s["profile"] for s in dump] == [None, "vtrans2-852x480x800x25", "vtrans2-640x360x400x25", None]
    assert [s["state"] for s in dump] == ["created", "created", "created", "deleted"]
    assert [s["streamgroup"] for s in dump] == [ladder_stream["id"]] * 3 + [single["id"]]
    assert dump[3]["tags"] == ["s"]
    assert {k: v for k, v in dump[0].items() if k != "profile"} == ladder_stream
    assert emulator.requests()[-1]["method"] == "DELETE"
