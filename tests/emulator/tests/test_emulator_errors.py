# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every error the emulator answers, in the Bintu envelope {"error": {"message", "code", "userinfo"}}."""

from __future__ import annotations

import uuid

import pytest

FAKE_ID = "0b5a3c4e-1111-4222-8333-444455556666"


def _error(resp, status):
    assert resp.status == status, resp
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json
    assert isinstance(body, dict) and list(body) == ["error"], body
    error = body["error"]
    assert isinstance(error["message"], str) and isinstance(error["code"], int)
    return error


# --------------------------------------------------------------------------
# authentication
# --------------------------------------------------------------------------

AUTHED_CALLS = [
    ("POST", "/stream", {}),
    ("GET", "/stream", None),
    ("GET", "/stream/%s" % FAKE_ID, None),
    ("GET", "/stream/%s/group" % FAKE_ID, None),
    ("PUT", "/stream/%s/tag" % FAKE_ID, {"tags": []}),
    ("DELETE", "/stream/%s" % FAKE_ID, None),
    ("PUT", "/stream/%s/stop" % FAKE_ID, None),
    ("PUT", "/stream/%s/lock" % FAKE_ID, None),
    ("PUT", "/stream/%s/unlock" % FAKE_ID, None),
    ("GET", "/organisation", None),
    ("PUT", "/organisation/webhook", {"webhook": "https://x.example"}),
]


@pytest.mark.parametrize("method, path, body", AUTHED_CALLS, ids=["%s %s" % (m, p) for m, p, _b in AUTHED_CALLS])
def test_missing_key_is_401_4002_on_every_endpoint(emulator, method, path, body):
    error = _error(emulator.call(method, path, body, auth=None), 401)
    assert error == {"message": "User Credentials are not valid", "code": 4002, "userinfo": {"user": None}}
    assert emulator.streams() == []


@pytest.mark.parametrize("header", ["X-BINTU-APIKEY", "X-BINTU-TOKEN"])
def test_wrong_credentials_are_rejected_without_echo(emulator, header):
    wrong = "wrong-" + uuid.uuid4().hex
    resp = emulator.call("GET", "/stream", auth=None, headers={header: wrong})
    _error(resp, 401)
    assert wrong.encode() not in resp.body


def test_key_and_token_are_not_interchangeable(emulator):
    _error(emulator.call("GET", "/stream", auth=None, headers={"X-BINTU-APIKEY": emulator.api_token}), 401)
    _error(emulator.call("GET", "/stream", auth=None, headers={"X-BINTU-TOKEN": emulator.api_key}), 401)
    _error(emulator.call("GET", "/stream", auth=None, headers={"X-BINTU-APIKEY": ""}), 401)


@pytest.mark.parametrize("header, which", [("x-bintu-apikey", "key"), ("X-Bintu-ApiKey", "key"),
                                           ("x-bintu-token", "token"), ("X-BINTU-TOKEN", "token")])
def test_header_names_are_case_insensitive(emulator, header, which):
    value = emulator.api_key if which == "key" else emulator.api_token
    assert emulator.call("GET", "/stream", auth=None, headers={header: value}).status == 200


def test_auth_error_403_switch(emulator):
    emulator.configure(auth_error=403)
    error = _error(emulator.call("POST", "/stream", {}, auth=None), 403)
    assert error == {"message": "Access denied", "code": 2001}
    assert emulator.call("POST", "/stream", {}).status == 200


def test_auth_is_checked_before_validation(emulator):
    _error(emulator.call("POST", "/stream", b"{not json", auth=None), 401)
    _error(emulator.call("GET", "/stream?quantity=x", auth=None), 401)


# --------------------------------------------------------------------------
# malformed bodies and wrong types
# --------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/stream", "/stream/{id}/tag", "/organisation/webhook"])
@pytest.mark.parametrize("raw, type_name", [(b"{not json", "json"), (b'{"tags": [}', "json"), (b"\xff\xfe", "json"),
                                            (b"[1, 2]", "object"), (b'"text"', "object"), (b"42", "object")])
def test_malformed_or_non_object_json(emulator, create, path, raw, type_name):
    method = "POST" if path == "/stream" else "PUT"
    path = path.replace("{id}", create()["id"])
    error = _error(emulator.call(method, path, raw, headers={"Content-Type": "application/json"}), 400)
    assert error == {"message": "Wrong Data Type", "code": 1004, "userinfo": {"parameter": "body", "type": type_name}}
    assert len(emulator.streams()) == 1


CREATE_TYPE_ERRORS = [
    ({"tags": "a"}, "tags", "array"),
    ({"tags": {"a": 1}}, "tags", "array"),
    ({"tags": ["a", 1]}, "tags[1]", "string"),
    ({"tags": [""]}, "tags[0]", "string"),
    ({"tags": [None]}, "tags[0]", "string"),
    ({"transcodes": {}}, "transcodes", "array"),
    ({"transcodes": "vtrans2-852x480x800x25"}, "transcodes", "array"),
    ({"transcodes": ["vtrans2-852x480x800x25"]}, "transcodes[0]", "object"),
    ({"transcodes": [{"profile": 5}]}, "transcodes[0].profile", "string"),
    ({"transcodes": [{"profile": "vtrans2-852x480x800x25", "tags": "x"}]}, "transcodes[0].tags", "array"),
    ({"transcodes": [{"profile": "vtrans2-852x480x800x25", "tags": [3]}]}, "transcodes[0].tags[0]", "string"),
    ({"webrtc": "yes"}, "webrtc", "boolean"),
    ({"webrtc": 1}, "webrtc", "boolean"),
    ({"transcoding": "false"}, "transcoding", "boolean"),
    ({"processing": "rec"}, "processing", "array"),
    ({"processing": [{"id": "rec"}]}, "processing[0]", "array"),
    ({"processing": [["rec"]]}, "processing[0][0]", "object"),
    ({"processing": [[{"id": "burn"}]]}, "processing[0][0].id", "one of rec, replay, thumbs, motionclip"),
    ({"processing": [[{"id": "thumbs", "interval": "45"}]]}, "processing[0][0].interval", "integer"),
]


@pytest.mark.parametrize("body, parameter, type_name", CREATE_TYPE_ERRORS, ids=[p for _b, p, _t in CREATE_TYPE_ERRORS])
def test_create_wrong_types_are_1004(emulator, body, parameter, type_name):
    error = _error(emulator.call("POST", "/stream", body), 400)
    assert error == {"message": "Wrong Data Type", "code": 1004, "userinfo": {"parameter": parameter, "type": type_name}}
    assert emulator.streams() == []


def test_create_missing_profile_is_1002(emulator):
    error = _error(emulator.call("POST", "/stream", {"transcodes": [{"tags": ["x"]}]}), 400)
    assert error == {"message": "Parameter required", "code": 1002,
                     "userinfo": {"required_parameter": "transcodes[0].profile"}}


def test_duplicate_tags_are_1003(emulator, create):
    error = _error(emulator.call("POST", "/stream", {"tags": ["a", "b", "a"]}), 400)
    assert error == {"message": "Parameter not unique", "code": 1003, "userinfo": {"duplicated_parameter": "tags"}}
    stream_id = create()["id"]
    error = _error(emulator.call("PUT", "/stream/%s/tag" % stream_id, {"tags": ["x", "x"]}), 400)
    assert error["code"] == 1003


@pytest.mark.parametrize("body", [None, {}, {"tags": None}, {"other": ["a"]}], ids=["no-body", "empty", "null", "other"])
def test_tag_without_tags_is_1002(emulator, create, body):
    stream = create({"tags": ["keep"]})
    error = _error(emulator.call("PUT", "/stream/%s/tag" % stream["id"], body), 400)
    assert error == {"message": "Parameter required", "code": 1002, "userinfo": {"required_parameter": "tags"}}
    assert emulator.call("GET", "/stream/%s" % stream["id"]).json["tags"] == ["keep"]


@pytest.mark.parametrize("body, parameter, type_name", [({"tags": "a"}, "tags", "array"), ({"tags": [1]}, "tags[0]", "string")])
def test_tag_wrong_types_are_1004(emulator, create, body, parameter, type_name):
    stream_id = create()["id"]
    error = _error(emulator.call("PUT", "/stream/%s/tag" % stream_id, body), 400)
    assert error["code"] == 1004 and error["userinfo"] == {"parameter": parameter, "type": type_name}


def test_webhook_errors(emulator):
    error = _error(emulator.call("PUT", "/organisation/webhook", {}), 400)
    assert error == {"message": "Parameter required", "code": 1002, "userinfo": {"required_parameter": "webhook"}}
    error = _error(emulator.call("PUT", "/organisation/webhook", {"webhook": 12}), 400)
    assert error["code"] == 1004 and error["userinfo"] == {"parameter": "webhook", "type": "string"}


@pytest.mark.parametrize("query, type_name", [("quantity=x", "integer"), ("quantity=1.5", "integer"), ("quantity=", "integer"),
                                              ("quantity=0", "positive integer"), ("quantity=-3", "positive integer")])
def test_list_quantity_must_be_positive_int(emulator, query, type_name):
    error = _error(emulator.call("GET", "/stream?" + query), 400)
    assert error == {"message": "Wrong Data Type", "code": 1004, "userinfo": {"parameter": "quantity", "type": type_name}}


def test_list_unknown_state_is_1004(emulator):
    error = _error(emulator.call("GET", "/stream?state=running"), 400)
    assert error["code"] == 1004 and error["userinfo"]["parameter"] == "state"


# --------------------------------------------------------------------------
# unknown ids, routes and methods
# --------------------------------------------------------------------------

NOT_FOUND_CALLS = [c for c in AUTHED_CALLS if FAKE_ID in c[1]]


@pytest.mark.parametrize("method, path, body", NOT_FOUND_CALLS, ids=["%s %s" % (m, p) for m, p, _b in NOT_FOUND_CALLS])
@pytest.mark.parametrize("status", [404, 400])
def test_unknown_id(emulator, method, path, body, status):
    if status != 404:
        emulator.configure(not_found_status=status)
    error = _error(emulator.call(method, path, body), status)
    assert error == {"message": "Stream not found", "code": 3001, "userinfo": {"id": FAKE_ID}}


def test_unknown_id_that_is_not_a_uuid(emulator):
    assert _error(emulator.call("GET", "/stream/not-a-uuid"), 404)["code"] == 3001


def test_player_profile_on_unknown_id_is_not_found(emulator):
    _error(emulator.call("GET", "/stream/%s?profile=player" % FAKE_ID, auth=None), 404)


@pytest.mark.parametrize("path", ["/", "/streams", "/stream/a/b/c", "/v1/stream", "/organisation/users"])
def test_unknown_route_is_404(emulator, path):
    error = _error(emulator.call("GET", path), 404)
    assert error["code"] == 404 and error["userinfo"] == {"path": path}


@pytest.mark.parametrize("method, path, allow", [("PATCH", "/stream", "GET, POST"), ("DELETE", "/stream", "GET, POST"),
                                                 ("POST", "/stream/%s" % FAKE_ID, "GET, DELETE"),
                                                 ("GET", "/stream/%s/tag" % FAKE_ID, "PUT"),
                                                 ("POST", "/organisation", "GET")])
def test_wrong_method_is_405(emulator, method, path, allow):
    resp = emulator.call(method, path)
    error = _error(resp, 405)
    assert error["code"] == 405 and resp.headers["allow"] == allow


def test_oversized_body_is_413_and_closes(emulator):
    resp = emulator.call("POST", "/stream", b"", headers={"Content-Length": str(64 * 1024 * 1024)})
    _error(resp, 413)
    assert resp.headers.get("connection") == "close"
    assert emulator.streams() == []


def test_errors_never_echo_credentials(emulator):
    resp = emulator.call("GET", "/stream/%s" % FAKE_ID)
    for secret in emulator.secrets():
        assert secret.encode() not in resp.body
