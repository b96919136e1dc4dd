# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input fails before any request, with a message that says what to fix (issue 3 must 7 and the
bintu_streams / bintu_stream_info checks), proven with real ansible-playbook and the emulator's request log."""

from __future__ import annotations

PLAYBOOK = "tests/integration/playbooks/bad_input.yml"
HD = "vtrans2-852x480x800x25"
SD = "vtrans2-640x360x400x25"

# (case, module arguments, fragment of the expected message)
BAD_STREAM = [
    ("empty name", {"name": ""}, "name must be a non-empty string"),
    ("name and id", {"name": "a", "id": "b"}, "name and id are mutually exclusive"),
    ("neither name nor id", {}, "one of name or id is required"),
    ("tag not a string", {"name": "a", "tags": ["ok", 5]}, "tags[1] must be a non-empty string, got int 5"),
    ("empty tag", {"name": "a", "tags": [""]}, "tags[0] must be a non-empty string"),
    ("duplicated tag", {"name": "a", "tags": ["x", "y", "x"]}, "tags[2] 'x' is listed twice"),
    ("identity-prefix tag", {"name": "a", "tags": ["name:b"]}, "starts with the reserved prefix 'name:'"),
    ("identity-prefix member tag", {"name": "a", "transcodes": [{"profile": HD, "tags": ["name:b"]}]},
     "transcodes[0].tags[0] 'name:b' starts with the reserved prefix"),
    ("malformed profile", {"name": "a", "transcodes": ["vtrans2-852x480x800x25x"]},
     "is not a valid transcoding profile name"),
    ("duplicated profile", {"name": "a", "transcodes": [HD, HD]}, "transcodes[1] profile '%s' is already" % HD),
    ("bitrate not decreasing", {"name": "a", "transcodes": [SD, HD]},
     "must have a lower bitrate than transcodes[0]"),
    ("key and token", {"name": "a", "api_token": "some-token-for-the-test"}, "api_key and api_token are both set"),
    ("no credentials", {"name": "a", "api_key": ""}, "BINTU_API_KEY"),
    ("api_url not http(s)", {"name": "a", "api_url": "ftp://bintu.example"},
     "api_url must be an http:// or https:// URL"),
    ("non-boolean flag", {"name": "a", "force": "perhaps"}, "force"),
]
BAD_STREAMS = [
    ("empty scope_tags", {"scope_tags": [], "streams": [{"name": "a"}]}, "scope_tags must list at least one tag"),
    ("identity-prefix scope tag", {"scope_tags": ["name:x"], "streams": [{"name": "a"}]},
     "scope_tags[0] 'name:x' starts with the reserved prefix"),
    ("duplicate names", {"scope_tags": ["e"], "streams": [{"name": "a"}, {"name": "a"}]},
     "streams[1].name 'a' is already used by streams[0]"),
    ("concurrency 0", {"scope_tags": ["e"], "streams": [{"name": "a"}], "concurrency": 0},
     "concurrency must be an integer of at least 1"),
    ("bad ladder in a stream", {"scope_tags": ["e"], "streams": [{"name": "a"}, {"name": "b", "transcodes": [SD, HD]}]},
     "streams[1].transcodes[1]"),
    ("stream without name", {"scope_tags": ["e"], "streams": [{"tags": ["x"]}]}, "name"),
]
BAD_INFO = [
    ("quantity 0", {"quantity": 0}, "quantity must be an integer of at least 1"),
    ("unknown state", {"state": "deleted"}, "state"),
    ("name and id", {"name": "a", "id": "b"}, "mutually exclusive"),
]


def cases(table):
    return [dict(args, case=case) for case, args, dummy in table]


def test_bad_input_fails_before_any_request(emulator, ansible_playbook):
    run = ansible_playbook(PLAYBOOK, extra_vars={"bad_stream": cases(BAD_STREAM), "bad_streams": cases(BAD_STREAMS),
                                                 "bad_info": cases(BAD_INFO)})
    res = run.result("bad_input")
    for key, table in (("stream", BAD_STREAM), ("streams", BAD_STREAMS), ("info", BAD_INFO)):
        assert len(res[key]) == len(table)
        for (case, dummy, fragment), result in zip(table, res[key]):
            assert result["failed"] is True, case
            assert fragment in result["msg"], (case, result["msg"])
    # not a single request reached the API
    assert emulator.requests() == []
    assert emulator.api_key not in run.output
