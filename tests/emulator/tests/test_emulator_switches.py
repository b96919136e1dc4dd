# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every switch (the behaviours bintu-api.md marks unknown), at run time and as a start-up flag."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EMULATOR_SCRIPT = Path(__file__).resolve().parent.parent / "bintu_emulator.py"

DEFAULT_SWITCHES = {
    "create_status": 200,
    "list_shape": "array",
    "list_wrap_key": "data",
    "list_members": False,
    "auth_error": 401,
    "tag_order": "request",
    "quantity_cap": None,
    "not_found_status": 404,
    "delete_status": 200,
    "org_enabled": True,
}
DEFAULT_FAULTS = {
    "latency_ms": 0,
    "fail_next": None,
    "fail_rate": None,
    "reset_next": None,
    "drop_after_commit": None,
    "delay_next": None,
}
NON_DEFAULT_SWITCHES = {
    "create_status": 201,
    "list_shape": "wrapped",
    "list_wrap_key": "items",
    "list_members": True,
    "auth_error": 403,
    "tag_order": "sorted",
    "quantity_cap": 3,
    "not_found_status": 400,
    "delete_status": 204,
}


def test_defaults(emulator):
    assert emulator.config() == dict(DEFAULT_SWITCHES, **DEFAULT_FAULTS)


def test_create_status_201(emulator):
    emulator.configure(create_status=201)
    resp = emulator.call("POST", "/stream", {"tags": ["a"]})
    assert resp.status == 201 and resp.json["tags"] == ["a"]
    assert emulator.call("PUT", "/stream/%s/tag" % resp.json["id"], {"tags": []}).status == 200


@pytest.mark.parametrize("key", ["data", "items", "streams"])
def test_list_shape_wrapped(emulator, key):
    ids = [emulator.call("POST", "/stream").json["id"] for _i in range(3)]
    settings = {"list_shape": "wrapped"}
    if key != "data":
        settings["list_wrap_key"] = key
    emulator.configure(**settings)
    body = emulator.call("GET", "/stream?quantity=2").json
    assert set(body) == {key, "count"}
    assert [s["id"] for s in body[key]] == [ids[2], ids[1]]
    assert body["count"] == 2
    emulator.configure(list_shape="array")
    assert isinstance(emulator.call("GET", "/stream").json, list)


def test_list_members_true(emulator, ladder_stream):
    emulator.configure(list_members=True)
    listed = emulator.call("GET", "/stream").json
    h5live_ids = [e["id"] for e in ladder_stream["playout"]["h5live"]]
    assert sorted(s["id"] for s in listed) == sorted(h5live_ids)
    assert {s["streamgroup"] for s in listed} == {ladder_stream["id"]}
    high = emulator.call("GET", "/stream?tags[]=q:high").json
    assert [s["id"] for s in high] == [h5live_ids[1]]
    assert [s["id"] for s in emulator.call("GET", "/stream?tags[]=name:cam1").json] == [ladder_stream["id"]]


def test_list_members_order_is_newest_first_then_insertion(emulator, ladder_stream):
    emulator.configure(list_members=True)
    ids = [s["id"] for s in emulator.call("GET", "/stream").json]
    h5live_ids = [e["id"] for e in ladder_stream["playout"]["h5live"]]
    assert ids == list(reversed(h5live_ids))


def test_tag_order_sorted(emulator, ladder_stream):
    created = emulator.call("POST", "/stream", {"tags": ["b", "C", "a"]}).json
    assert created["tags"] == ["b", "C", "a"]
    emulator.configure(tag_order="sorted")
    stream = emulator.call("GET", "/stream/%s" % created["id"]).json
    assert stream["tags"] == ["C", "a", "b"]
    assert stream["playout"]["h5live"][0]["tags"] == ["C", "a", "b"]
    put = emulator.call("PUT", "/stream/%s/tag" % created["id"], {"tags": ["z", "y"]}).json
    assert put["tags"] == ["y", "z"]
    group = emulator.call("GET", "/stream/%s" % ladder_stream["id"]).json
    assert group["tags"] == ["event:demo", "name:cam1"]
    emulator.configure(tag_order="request")
    assert emulator.call("GET", "/stream/%s" % created["id"]).json["tags"] == ["z", "y"]


def test_quantity_cap(emulator):
    for _i in range(5):
        emulator.call("POST", "/stream")
    emulator.configure(quantity_cap=2)
    assert len(emulator.call("GET", "/stream").json) == 2
    assert len(emulator.call("GET", "/stream?quantity=4").json) == 2
    assert len(emulator.call("GET", "/stream?quantity=1").json) == 1
    emulator.configure(quantity_cap=None)
    assert len(emulator.call("GET", "/stream").json) == 5


def test_delete_status_204(emulator):
    stream_id = emulator.call("POST", "/stream").json["id"]
    emulator.configure(delete_status=204)
    resp = emulator.call("DELETE", "/stream/%s" % stream_id)
    assert resp.status == 204 and resp.body == b""
    assert "content-length" not in resp.headers
    assert emulator.call("GET", "/stream/%s" % stream_id).status == 404


def test_org_not_enabled(emulator, ladder_stream):
    config = emulator.configure(org_enabled=False)
    assert config["org_enabled"] is False
    expected = {"error": {"message": "Organisation is not enabled", "code": 2003}}
    for method, path, body in [("POST", "/stream", {"tags": ["x"]}), ("GET", "/stream", None),
                               ("GET", "/stream/%s" % ladder_stream["id"], None),
                               ("PUT", "/stream/%s/tag" % ladder_stream["id"], {"tags": []}),
                               ("DELETE", "/stream/%s" % ladder_stream["id"], None),
                               ("GET", "/organisation", None), ("PUT", "/organisation/webhook", {"webhook": None})]:
        resp = emulator.call(method, path, body, auth="token" if method == "GET" else "key")
        assert (resp.status, resp.json) == (403, expected), (method, path)
    # credentials are checked first; unknown paths stay 404; nothing was changed
    assert emulator.call("GET", "/stream", auth=None).status == 401
    assert emulator.call("GET", "/nowhere").status == 404
    assert emulator.call("GET", "/stream/%s?profile=player" % ladder_stream["id"], auth=None).status == 200
    assert [s["tags"] for s in emulator.streams() if s["id"] == ladder_stream["id"]] == [["event:demo", "name:cam1"]]
    assert len(emulator.streams()) == 3
    emulator.configure(org_enabled=True)
    assert emulator.call("GET", "/stream").status == 200


def test_org_not_enabled_from_command_line(emulator_factory):
    emu = emulator_factory("--org-enabled", "false")
    assert emu.config() == dict(DEFAULT_SWITCHES, org_enabled=False, **DEFAULT_FAULTS)
    assert emu.call("POST", "/stream").json["error"]["message"] == "Organisation is not enabled"
    emu.configure(org_enabled=True)
    assert emu.call("POST", "/stream").status == 200
    emu.reset()
    assert emu.config()["org_enabled"] is False


def test_switches_from_command_line(emulator_factory):
    args = []
    for key, value in NON_DEFAULT_SWITCHES.items():
        args += ["--" + key.replace("_", "-"), str(value).lower() if isinstance(value, bool) else str(value)]
    emu = emulator_factory(*args)
    assert emu.config() == dict(DEFAULT_SWITCHES, **NON_DEFAULT_SWITCHES, **DEFAULT_FAULTS)

    created = emu.call("POST", "/stream", {"tags": ["b", "a"], "transcodes": [{"profile": "vtrans2-852x480x800x25"}]})
    assert created.status == 201 and created.json["tags"] == ["a", "b"]
    for _i in range(3):
        emu.call("POST", "/stream")
    listed = emu.call("GET", "/stream?quantity=10").json
    assert set(listed) == {"items", "count"} and listed["count"] == 3
    emu.configure(quantity_cap=None)
    assert emu.call("GET", "/stream").json["count"] == 5
    assert emu.call("GET", "/stream", auth=None).json["error"]["code"] == 2001
    missing = emu.call("GET", "/stream/0b5a3c4e-1111-4222-8333-444455556666")
    assert missing.status == 400 and missing.json["error"]["code"] == 3001
    assert emu.call("DELETE", "/stream/%s" % created.json["id"]).status == 204

    emu.configure(create_status=200, tag_order="request")
    emu.reset()
    assert emu.config() == dict(DEFAULT_SWITCHES, **NON_DEFAULT_SWITCHES, **DEFAULT_FAULTS)


@pytest.mark.parametrize("flag, value", [("--create-status", "202"), ("--list-members", "yes"), ("--quantity-cap", "0"),
                                         ("--fail-next", '{"count": 1}'), ("--org-hash", "toolong")])
def test_invalid_flags_exit_2(flag, value):
    """Flags share the control API's validation (tested in full there); a bad value stops the start."""
    proc = subprocess.run([sys.executable, str(EMULATOR_SCRIPT), "--port", "0", flag, value], capture_output=True, text=True,
                          timeout=30, check=False)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert flag in proc.stderr
