# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every Bintu endpoint of the emulator, over real HTTP: shapes and behaviour on success."""

from __future__ import annotations

import re
import urllib.parse
import uuid

import pytest

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
STREAMNAME_RE = re.compile(r"^[A-Za-z0-9]{5}-[A-Za-z0-9]{5}$")
CREATED_AT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
H5LIVE_KEYS = {"index", "id", "streamname", "rtmp", "server", "info", "tags", "processing"}
STREAM_KEYS = {"id", "streamgroup", "state", "type", "created_at", "tags", "webrtc", "transcoding", "ingest", "playout"}

PROFILE_SUFFIXES = [
    "2000x30", "2000x25", "1600x30", "1600x25", "1000k", "1000x30", "1000x25", "800k", "400k", "400k15",
    "1280x720x2000x30", "1280x720x2000x25", "1280x720x1600x30", "1280x720x1600x25",
    "1280x720x1200x30", "1280x720x1200x25", "1280x720x1000x30", "1280x720x1000x25",
    "852x480x800x30", "852x480x800x25", "852x480x640x30", "852x480x640x25",
    "640x360x400", "640x360x400x25", "640x360x300x15", "480x360x300x15", "480x270x250x15",
    "426x240x200x15", "320x240x200x15",
]
LADDER_OK = "vtrans2-852x480x800x25"
ALL_KNOWN_PROFILES = ["%s-%s" % (family, suffix) for family in ("vtrans", "vtrans2") for suffix in PROFILE_SUFFIXES]


def _get(emulator, stream_id, **kwargs):
    resp = emulator.call("GET", "/stream/%s" % stream_id, **kwargs)
    assert resp.status == 200, resp
    return resp.json


def _list(emulator, query=""):
    resp = emulator.call("GET", "/stream" + (("?" + query) if query else ""))
    assert resp.status == 200, resp
    return resp.json


def _ids(streams):
    return [s["id"] for s in streams]


# --------------------------------------------------------------------------
# POST /stream
# --------------------------------------------------------------------------

def test_create_single_stream_shape(emulator, create):
    stream = create({"tags": ["b", "a:1"]})
    assert set(stream) == STREAM_KEYS
    assert UUID_RE.match(stream["id"])
    assert stream["streamgroup"] == stream["id"]
    assert stream["state"] == "created"
    assert CREATED_AT_RE.match(stream["created_at"])
    assert stream["tags"] == ["b", "a:1"]
    assert stream["webrtc"] is False and stream["transcoding"] is False
    rtmp = stream["ingest"]["rtmp"]
    assert rtmp["url"].startswith("rtmp://") and STREAMNAME_RE.match(rtmp["streamname"])
    playout = stream["playout"]
    assert set(playout) == {"rtmp", "hls", "h5live", "web"}
    assert len(playout["h5live"]) == len(playout["rtmp"]) == len(playout["hls"]) == 1
    entry = playout["h5live"][0]
    assert set(entry) == H5LIVE_KEYS
    assert entry["index"] == 0 and entry["id"] == stream["id"] and entry["streamname"] == rtmp["streamname"]
    assert entry["info"] == {"width": None, "height": None, "bitrate": None, "fps": None}
    assert set(entry["server"]) == {"websocket", "hls", "progressive"}
    assert entry["rtmp"]["streamname"] == rtmp["streamname"]
    assert playout["rtmp"][0] == {"index": 0, "id": stream["id"], "url": playout["rtmp"][0]["url"],
                                  "streamname": rtmp["streamname"], "type": "live", "tags": ["b", "a:1"],
                                  "processing": []}
    assert set(playout["hls"][0]) == {"index", "id", "url", "type"} and playout["hls"][0]["type"] == "live"
    assert playout["web"][0]["url"].endswith(stream["id"])
    assert emulator.call("GET", "/stream/%s" % stream["id"]).json == stream


@pytest.mark.parametrize("body", [None, b"", b"   ", b"{}", b"null"], ids=["no-body", "empty", "blank", "object", "null"])
def test_create_with_empty_body(emulator, body):
    resp = emulator.call("POST", "/stream", body)
    assert resp.status == 200, resp
    assert resp.json["tags"] == [] and resp.json["playout"]["h5live"][0]["index"] == 0


def test_create_group_members(emulator, ladder_stream):
    group = ladder_stream
    h5live = group["playout"]["h5live"]
    assert [e["index"] for e in h5live] == [0, 1, 2]
    assert h5live[0]["id"] == group["id"]
    assert h5live[1]["info"] == {"width": 852, "height": 480, "bitrate": 800, "fps": 25}
    assert h5live[2]["info"] == {"width": 640, "height": 360, "bitrate": 400, "fps": 25}
    assert [e["tags"] for e in h5live] == [["event:demo", "name:cam1"], ["q:high"], ["q:low"]]
    assert [e["id"] for e in group["playout"]["rtmp"]] == [e["id"] for e in h5live]
    assert [e["index"] for e in group["playout"]["rtmp"]] == [0, 1, 2]
    assert group["transcoding"] is True
    member_ids = [e["id"] for e in h5live[1:]]
    assert len(set(member_ids + [group["id"]])) == 3
    names = set()
    for index, member_id in enumerate(member_ids, start=1):
        member = _get(emulator, member_id)
        assert UUID_RE.match(member["id"])
        assert member["streamgroup"] == group["id"]
        assert member["tags"] == h5live[index]["tags"]
        assert member["ingest"]["rtmp"]["streamname"] == h5live[index]["streamname"]
        assert [e["id"] for e in member["playout"]["h5live"]] == [e["id"] for e in h5live]
        names.add(member["ingest"]["rtmp"]["streamname"])
    names.add(group["ingest"]["rtmp"]["streamname"])
    assert len(names) == 3


def test_streamnames_share_the_org_hash(emulator, create):
    org_hash = emulator.call("GET", "/organisation").json["hash"]
    assert re.match(r"^[A-Za-z0-9]{5}$", org_hash)
    names = [create()["ingest"]["rtmp"]["streamname"] for _i in range(5)]
    assert all(STREAMNAME_RE.match(n) and n.startswith(org_hash + "-") for n in names)
    assert len(set(names)) == 5


def test_create_optional_fields(emulator, create):
    processing = [[{"id": "rec", "duration": None}, {"id": "thumbs", "interval": 45}], [{"id": "replay", "duration": 30}]]
    stream = create({"tags": ["x"], "webrtc": True, "transcoding": False, "processing": processing,
                     "transcodes": [{"profile": "vtrans2-852x480x800x25"}], "unknown_field": 1})
    assert stream["webrtc"] is True and stream["transcoding"] is False
    h5live = stream["playout"]["h5live"]
    assert h5live[0]["processing"] == processing[0]
    assert h5live[1]["processing"] == processing[1]
    assert h5live[1]["tags"] == []
    assert stream["playout"]["rtmp"][1]["processing"] == processing[1]


@pytest.mark.parametrize("profile, info", [
    ("vtrans2-852x480x800x25", (852, 480, 800, 25)),
    ("vtrans-1280x720x2000x30", (1280, 720, 2000, 30)),
    ("vtrans2-640x360x400", (640, 360, 400, None)),
    ("vtrans-2000x30", (None, None, 2000, 30)),
    ("vtrans2-1000k", (None, None, 1000, None)),
    ("vtrans-400k15", (None, None, 400, 15)),
    ("vtrans2-1920x1080x4500x50", (1920, 1080, 4500, 50)),
])
def test_member_info_from_profile(emulator, create, profile, info):
    stream = create({"transcodes": [{"profile": profile, "tags": []}]})
    got = stream["playout"]["h5live"][1]["info"]
    assert (got["width"], got["height"], got["bitrate"], got["fps"]) == info


def test_all_58_documented_profiles_are_accepted(emulator):
    assert len(set(ALL_KNOWN_PROFILES)) == 58
    resp = emulator.call("POST", "/stream", {"transcodes": [{"profile": p} for p in ALL_KNOWN_PROFILES]})
    assert resp.status == 200, resp
    h5live = resp.json["playout"]["h5live"]
    assert len(h5live) == 59
    assert [e["index"] for e in h5live] == list(range(59))


@pytest.mark.parametrize("profile", [
    "vtrans3-852x480x800x25", "VTRANS2-852x480x800x25", "vtrans2-852x480x800", "vtrans2-852x480x800x25x1",
    "vtrans2-0x480x800x25", "vtrans2-852x480x0800x25", "vtrans2-abc", "vtrans2-", "852x480x800x25", "",
    "vtrans2-999k", "h264-852x480x800x25", " vtrans2-852x480x800x25",
])
def test_unknown_profiles_are_rejected(emulator, profile):
    resp = emulator.call("POST", "/stream", {"transcodes": [{"profile": LADDER_OK}, {"profile": profile}]})
    assert resp.status == 400
    error = resp.json["error"]
    assert error["code"] == 3002 and error["message"] == "Stream Type is not available"
    assert error["userinfo"] == {"stream_type": profile, "parameter": "transcodes[1].profile"}
    assert emulator.streams() == []


# --------------------------------------------------------------------------
# GET /stream
# --------------------------------------------------------------------------

def test_list_is_newest_first_bare_array(emulator, create):
    ids = [create({"tags": ["n:%d" % i]})["id"] for i in range(4)]
    listed = _list(emulator)
    assert isinstance(listed, list)
    assert _ids(listed) == list(reversed(ids))
    assert listed[0] == _get(emulator, ids[-1])


def test_list_quantity(emulator, create):
    ids = [create()["id"] for _i in range(5)]
    assert _ids(_list(emulator, "quantity=2")) == [ids[4], ids[3]]
    assert len(_list(emulator, "quantity=1000")) == 5


def test_list_quantity_defaults_to_50(emulator, create):
    for _i in range(53):
        create()
    assert len(_list(emulator)) == 50


def test_list_tags_and_filter(emulator, create):
    both = create({"tags": ["a", "b", "c"]})["id"]
    only_a = create({"tags": ["a"]})["id"]
    create({"tags": ["b"]})
    assert _ids(_list(emulator, "tags[]=a&tags[]=b")) == [both]
    assert _ids(_list(emulator, "tags[]=a")) == [only_a, both]
    assert _ids(_list(emulator, "tags=a&tags=c")) == [both]
    assert _ids(_list(emulator, "tags%5B%5D=a&tags%5B%5D=b")) == [both]
    assert _list(emulator, "tags[]=zzz") == []
    assert len(_list(emulator, "tags[]=")) == 3


def test_list_tag_values_with_special_characters(emulator, create):
    tag = "name:Studio West/cam 1 (a+b) äö"
    wanted = create({"tags": [tag, "x"]})["id"]
    create({"tags": ["name:Studio West"]})
    query = urllib.parse.urlencode([("tags[]", tag)])
    assert _ids(_list(emulator, query)) == [wanted]


def test_list_tag_filter_is_exact_and_case_sensitive(emulator, create):
    create({"tags": ["Name:cam"]})
    assert _list(emulator, "tags[]=name:cam") == []
    assert _list(emulator, "tags[]=Name:ca") == []


def test_list_state_filter(emulator, create):
    first = create()["id"]
    live = create()["id"]
    emulator.set_state(live, "live")
    assert _ids(_list(emulator, "state=live")) == [live]
    assert _ids(_list(emulator, "state=created")) == [first]
    assert _list(emulator, "state=ended") == []
    assert _ids(_list(emulator, "state=live&tags[]=nope")) == []


def test_list_combined_filters_and_quantity(emulator, create):
    ids = [create({"tags": ["ev"]})["id"] for _i in range(4)]
    create({"tags": ["other"]})
    for stream_id in ids[:3]:
        emulator.set_state(stream_id, "live")
    assert _ids(_list(emulator, "tags[]=ev&state=live&quantity=2")) == [ids[2], ids[1]]


def test_list_hides_members_by_default(emulator, ladder_stream):
    listed = _list(emulator)
    assert _ids(listed) == [ladder_stream["id"]]
    assert _list(emulator, "tags[]=q:high") == []


def test_list_ignores_other_parameters(emulator, create):
    stream_id = create()["id"]
    assert _ids(_list(emulator, "page=3&asset_limit=2&foo")) == [stream_id]


# --------------------------------------------------------------------------
# GET /stream/{id} and /group
# --------------------------------------------------------------------------

def test_get_stream_with_token_and_asset_limit(emulator, create):
    stream = create({"tags": ["t"]})
    assert _get(emulator, stream["id"], auth="token") == stream
    assert emulator.call("GET", "/stream/%s?asset_limit=3" % stream["id"]).json == stream


def test_get_stream_player_profile_needs_no_key(emulator, ladder_stream):
    resp = emulator.call("GET", "/stream/%s?profile=player" % ladder_stream["id"], auth=None)
    assert resp.status == 200 and resp.json["id"] == ladder_stream["id"]
    resp = emulator.call("GET", "/stream/%s/group?profile=player" % ladder_stream["id"], auth=None)
    assert resp.status == 200 and len(resp.json["playout"]["h5live"]) == 3


def test_group_of_passthrough_and_of_member(emulator, ladder_stream):
    resp = emulator.call("GET", "/stream/%s/group" % ladder_stream["id"])
    assert resp.status == 200
    assert resp.json == ladder_stream
    member_id = ladder_stream["playout"]["h5live"][2]["id"]
    assert emulator.call("GET", "/stream/%s/group" % member_id).json == ladder_stream


def test_trailing_slash_is_accepted(emulator, create):
    stream = create()
    assert emulator.call("GET", "/stream/").json == [stream]
    assert emulator.call("GET", "/stream/%s/" % stream["id"]).json == stream


# --------------------------------------------------------------------------
# PUT /stream/{id}/tag
# --------------------------------------------------------------------------

def test_tag_replaces_whole_list(emulator, create):
    stream = create({"tags": ["a", "b"]})
    resp = emulator.call("PUT", "/stream/%s/tag" % stream["id"], {"tags": ["c", "a"]})
    assert resp.status == 200
    assert resp.json["tags"] == ["c", "a"]
    assert resp.json["playout"]["h5live"][0]["tags"] == ["c", "a"]
    assert _get(emulator, stream["id"])["tags"] == ["c", "a"]
    resp = emulator.call("PUT", "/stream/%s/tag" % stream["id"], {"tags": []})
    assert resp.status == 200 and resp.json["tags"] == []


def test_tag_member_only_changes_member(emulator, ladder_stream):
    member_id = ladder_stream["playout"]["h5live"][1]["id"]
    resp = emulator.call("PUT", "/stream/%s/tag" % member_id, {"tags": ["q:top"]})
    assert resp.status == 200 and resp.json["tags"] == ["q:top"] and resp.json["id"] == member_id
    group = _get(emulator, ladder_stream["id"])
    assert group["tags"] == ladder_stream["tags"]
    assert group["playout"]["h5live"][1]["tags"] == ["q:top"]
    assert group["playout"]["rtmp"][1]["tags"] == ["q:top"]


# --------------------------------------------------------------------------
# DELETE /stream/{id}
# --------------------------------------------------------------------------

def test_delete_passthrough_takes_members(emulator, ladder_stream):
    member_ids = [e["id"] for e in ladder_stream["playout"]["h5live"][1:]]
    resp = emulator.call("DELETE", "/stream/%s" % ladder_stream["id"])
    assert resp.status == 200
    assert resp.json["id"] == ladder_stream["id"] and resp.json["state"] == "deleted"
    assert sorted(resp.json["deleted"]) == sorted([ladder_stream["id"]] + member_ids)
    for stream_id in [ladder_stream["id"]] + member_ids:
        assert emulator.call("GET", "/stream/%s" % stream_id).status == 404
    assert _list(emulator) == []
    emulator.configure(list_members=True)
    assert _list(emulator) == []
    stored = {s["id"]: s for s in emulator.streams()}
    assert len(stored) == 3
    assert {s["state"] for s in stored.values()} == {"deleted"}
    assert emulator.call("DELETE", "/stream/%s" % ladder_stream["id"]).status == 404


def test_deleted_streams_only_listed_with_state_deleted(emulator, create):
    gone = create({"tags": ["t"]})["id"]
    kept = create({"tags": ["t"]})["id"]
    assert emulator.call("DELETE", "/stream/%s" % gone).status == 200
    assert _ids(_list(emulator, "tags[]=t")) == [kept]
    deleted = _list(emulator, "state=deleted")
    assert _ids(deleted) == [gone] and deleted[0]["state"] == "deleted"


def test_delete_member_leaves_group_with_contiguous_indexes(emulator, ladder_stream):
    first_member = ladder_stream["playout"]["h5live"][1]["id"]
    second_member = ladder_stream["playout"]["h5live"][2]["id"]
    assert emulator.call("DELETE", "/stream/%s" % first_member).status == 200
    group = _get(emulator, ladder_stream["id"])
    assert [(e["index"], e["id"]) for e in group["playout"]["h5live"]] == [(0, ladder_stream["id"]), (1, second_member)]
    assert emulator.call("GET", "/stream/%s" % second_member).status == 200


def test_tag_on_deleted_stream_is_not_found(emulator, create):
    stream_id = create()["id"]
    emulator.call("DELETE", "/stream/%s" % stream_id)
    assert emulator.call("PUT", "/stream/%s/tag" % stream_id, {"tags": ["x"]}).status == 404


# --------------------------------------------------------------------------
# stop / lock / unlock
# --------------------------------------------------------------------------

def _action(emulator, stream_id, action):
    resp = emulator.call("PUT", "/stream/%s/%s" % (stream_id, action))
    assert resp.status == 200, resp
    return resp.json["state"]


def test_stop_ends_a_live_stream_and_its_members(emulator, ladder_stream):
    member_id = ladder_stream["playout"]["h5live"][1]["id"]
    assert _action(emulator, ladder_stream["id"], "stop") == "created"
    emulator.set_state(ladder_stream["id"], "live")
    assert _get(emulator, member_id)["state"] == "live"
    assert _action(emulator, ladder_stream["id"], "stop") == "ended"
    assert _get(emulator, member_id)["state"] == "ended"
    assert _action(emulator, ladder_stream["id"], "stop") == "ended"


@pytest.mark.parametrize("before, after_unlock", [("created", "created"), ("live", "ended"), ("ended", "ended")])
def test_lock_and_unlock(emulator, create, before, after_unlock):
    stream_id = create()["id"]
    if before != "created":
        emulator.set_state(stream_id, before)
    assert _action(emulator, stream_id, "lock") == "locked"
    assert _action(emulator, stream_id, "lock") == "locked"
    assert _ids(_list(emulator, "state=locked")) == [stream_id]
    assert _action(emulator, stream_id, "unlock") == after_unlock
    assert _action(emulator, stream_id, "unlock") == after_unlock


def test_lock_passthrough_locks_members(emulator, ladder_stream):
    member_id = ladder_stream["playout"]["h5live"][2]["id"]
    _action(emulator, ladder_stream["id"], "lock")
    assert _get(emulator, member_id)["state"] == "locked"
    _action(emulator, ladder_stream["id"], "unlock")
    assert _get(emulator, member_id)["state"] == "created"


# --------------------------------------------------------------------------
# organisation
# --------------------------------------------------------------------------

def test_organisation_and_webhook(emulator):
    org = emulator.call("GET", "/organisation").json
    assert set(org) == {"id", "name", "hash", "webhook", "created_at"}
    assert org["webhook"] is None and UUID_RE.match(org["id"])
    resp = emulator.call("PUT", "/organisation/webhook", {"webhook": "https://hooks.example.org/bintu"})
    assert resp.status == 200 and resp.json["webhook"] == "https://hooks.example.org/bintu"
    assert emulator.call("GET", "/organisation").json["webhook"] == "https://hooks.example.org/bintu"
    for clear in (None, ""):
        emulator.call("PUT", "/organisation/webhook", {"webhook": "https://x.example"})
        assert emulator.call("PUT", "/organisation/webhook", {"webhook": clear}).json["webhook"] is None


def test_random_unknown_uuid_is_not_found(emulator, create):
    create()
    assert emulator.call("GET", "/stream/%s" % uuid.uuid4()).status == 404
