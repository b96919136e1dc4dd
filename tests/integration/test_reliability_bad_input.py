# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bad-input table: every module and the role refuse bad input before any request,
with a message that says what to fix.

All cases run in one ansible-playbook process (playbooks/reliability_bad_input.yml).
Each case points api_url at ``<emulator>/bad-input/<case id>``, so a request sent by
a case would appear in the emulator's log under that prefix. The table is listed in
docs/bad-input.md; a test keeps the two in step.
"""

from __future__ import annotations

import pytest

from reliability_support import PLAYBOOKS, REPO_ROOT, run_playbook

PLAYBOOK = PLAYBOOKS / "reliability_bad_input.yml"
DOC = REPO_ROOT / "docs" / "bad-input.md"
SD = ["vtrans2-852x480x800x25", "vtrans2-640x360x400x25"]
UP = ["vtrans2-640x360x400x25", "vtrans2-852x480x800x25"]

# (case id, module or "role", what is wrong (as in docs/bad-input.md), arguments, texts the message must contain)
CASES = [
    # bintu_stream
    ("stream-tag-not-a-string", "bintu_stream", "a tag that is not a string (`tags: [2027]`)",
     {"name": "s", "tags": [2027]}, ["tags[0] must be a non-empty string", "int", "quote it"]),
    ("stream-empty-name", "bintu_stream", "empty name (`name: \"\"`)",
     {"name": ""}, ["name must be a non-empty string"]),
    ("stream-name-with-line-break", "bintu_stream", "a name with a line break",
     {"name": "hall\na"}, ["must not contain control characters"]),
    ("stream-malformed-profile", "bintu_stream", "malformed profile (`transcodes: [vtrans2-hd]`)",
     {"name": "s", "transcodes": ["vtrans2-hd"]},
     ["'vtrans2-hd' is not a valid transcoding profile name", "vtrans2-<width>x<height>x<kbit/s>x<fps>"]),
    ("stream-ladder-not-decreasing", "bintu_stream", "ladder with rising bitrate",
     {"name": "s", "transcodes": UP}, ["must have a lower bitrate than transcodes[0]", "order the ladder"]),
    ("stream-profile-twice", "bintu_stream", "the same profile twice in a ladder",
     {"name": "s", "transcodes": [SD[0], SD[0]]}, ["is already transcodes[0]", "list each profile once"]),
    ("stream-transcode-unknown-key", "bintu_stream", "a transcode entry with an unknown key (`{profile, tag}`)",
     {"name": "s", "transcodes": [{"profile": SD[0], "tag": ["x"]}]},
     ["transcodes[0] has unknown keys tag", "only profile and tags"]),
    ("stream-identity-prefix-tag", "bintu_stream", "a tag with the reserved identity prefix (`name:other`)",
     {"name": "s", "tags": ["name:other"]}, ["reserved prefix 'name:'", "set the name with the name option"]),
    ("stream-tag-twice", "bintu_stream", "the same tag twice",
     {"name": "s", "tags": ["a", "a"]}, ["'a' is listed twice", "list each tag once"]),
    ("stream-name-and-id", "bintu_stream", "both name and id",
     {"name": "s", "id": "abc"}, ["name and id are mutually exclusive"]),
    ("stream-neither-name-nor-id", "bintu_stream", "neither name nor id",
     {"tags": ["a"]}, ["one of name or id is required"]),
    ("stream-bad-state", "bintu_stream", "unknown state (`state: gone`)",
     {"name": "s", "state": "gone"}, ["state", "present, absent", "gone"]),
    ("stream-non-boolean-flag", "bintu_stream", "non-boolean flag (`purge_tags: maybe`)",
     {"name": "s", "purge_tags": "maybe"}, ["purge_tags", "not a valid boolean"]),
    ("stream-conflicting-credentials", "bintu_stream", "both api_key and api_token",
     {"name": "s", "api_token": "some-token"}, ["api_key and api_token are both set", "set exactly one"]),
    ("stream-missing-credentials", "bintu_stream", "no api_key or api_token (and no BINTU_API_KEY / BINTU_API_TOKEN)",
     {"name": "s", "api_key": None}, ["no credentials", "BINTU_API_KEY", "BINTU_API_TOKEN"]),
    ("stream-empty-api-key", "bintu_stream", "empty api_key (`api_key: \"\"`)",
     {"name": "s", "api_key": ""}, ["no credentials", "api_key"]),
    ("stream-url-without-scheme", "bintu_stream", "api_url without scheme (`bintu.nanocosmos.de`)",
     {"name": "s", "api_url": "bintu.nanocosmos.de"}, ["api_url must be an http:// or https:// URL",
                                                       "https://bintu.nanocosmos.de"]),
    ("stream-url-with-query", "bintu_stream", "api_url with a query string",
     {"name": "s", "api_url": "{base}?org=1"}, ["api_url must not contain a query string"]),
    ("stream-zero-timeout", "bintu_stream", "api_timeout 0",
     {"name": "s", "api_timeout": 0}, ["api_timeout must be a number of seconds greater than 0"]),
    ("stream-negative-retries", "bintu_stream", "api_retries -1",
     {"name": "s", "api_retries": -1}, ["api_retries must be between 0 and 20"]),
    ("stream-timeout-not-a-number", "bintu_stream", "api_timeout that is not a number (`api_timeout: soon`)",
     {"name": "s", "api_timeout": "soon"}, ["api_timeout", "float"]),
    # bintu_streams
    ("streams-duplicate-names", "bintu_streams", "the same name twice in streams",
     {"scope_tags": ["event:x"], "streams": [{"name": "a"}, {"name": "a"}]},
     ["streams[1].name 'a' is already used by streams[0]", "must be unique"]),
    ("streams-empty-scope", "bintu_streams", "empty scope_tags",
     {"scope_tags": [], "streams": [{"name": "a"}]}, ["scope_tags must list at least one tag", "event:"]),
    ("streams-identity-prefix-scope", "bintu_streams", "a scope tag with the identity prefix",
     {"scope_tags": ["name:x"], "streams": [{"name": "a"}]}, ["scope_tags[0]", "reserved prefix"]),
    ("streams-zero-concurrency", "bintu_streams", "concurrency 0",
     {"scope_tags": ["event:x"], "streams": [{"name": "a"}], "concurrency": 0},
     ["concurrency must be an integer of at least 1"]),
    ("streams-empty-list", "bintu_streams", "empty streams with state present",
     {"scope_tags": ["event:x"], "streams": []}, ["streams is empty", "state=absent"]),
    ("streams-entry-without-name", "bintu_streams", "a stream entry without name",
     {"scope_tags": ["event:x"], "streams": [{"tags": ["a"]}]}, ["missing required arguments: name", "streams"]),
    ("streams-bad-ladder-in-entry", "bintu_streams", "a rising ladder in one entry",
     {"scope_tags": ["event:x"], "streams": [{"name": "a"}, {"name": "b", "transcodes": UP}]},
     ["streams[1].transcodes[1]", "must have a lower bitrate"]),
    ("streams-negative-rate-limit", "bintu_streams", "api_rate_limit -2",
     {"scope_tags": ["event:x"], "streams": [{"name": "a"}], "api_rate_limit": -2},
     ["api_rate_limit must be 0 (off) or a number of requests per second"]),
    # bintu_stream_info
    ("info-zero-quantity", "bintu_stream_info", "quantity 0",
     {"quantity": 0}, ["quantity must be an integer of at least 1"]),
    ("info-quantity-not-a-number", "bintu_stream_info", "quantity that is not a number (`quantity: lots`)",
     {"quantity": "lots"}, ["quantity", "int"]),
    ("info-bad-state", "bintu_stream_info", "unknown state filter (`state: running`)",
     {"state": "running"}, ["state", "created, live, ended", "running"]),
    ("info-name-and-id", "bintu_stream_info", "both name and id",
     {"name": "a", "id": "b"}, ["name and id are mutually exclusive"]),
    ("info-empty-tag", "bintu_stream_info", "an empty tag filter (`tags: [\"\"]`)",
     {"tags": [""]}, ["tags[0] must be a non-empty string"]),
    # the event_rollout role
    ("role-invalid-slug", "role", "event slug with capitals and a space (`Summit 2027`)",
     {"event_rollout_event": "Summit 2027"}, ["not a valid event slug", "lowercase letters, digits and dashes"]),
    ("role-unknown-ladder", "role", "a stream naming an unknown ladder (`ladder: uhd`)",
     {"event_rollout_streams": [{"name": "a", "ladder": "uhd"}]}, ["Unknown ladders: uhd", "Known ladders"]),
    ("role-duplicate-names", "role", "the same stream name twice in the manifest",
     {"event_rollout_streams": [{"name": "hall-a"}, {"name": "hall-a"}]},
     ["declared more than once: hall-a", "Rename or merge"]),
    ("role-invalid-stream-name", "role", "a stream name with a slash (`hall/a`)",
     {"event_rollout_streams": [{"name": "hall/a"}]}, ["Invalid stream names", "hall/a", "letters, digits"]),
    ("role-ladder-and-transcodes", "role", "a stream with both ladder and transcodes",
     {"event_rollout_streams": [{"name": "a", "ladder": "sd", "transcodes": SD}]},
     ["set both 'ladder' and 'transcodes'", "Set one of them"]),
    ("role-no-streams", "role", "no streams declared",
     {"event_rollout_streams": []}, ["event_rollout_streams is empty", "event_rollout_state=absent"]),
    ("role-ladder-not-a-list", "role", "a custom ladder that is a string, not a list",
     {"event_rollout_custom_ladders": {"mobile": "vtrans2-640x360x400x25"},
      "event_rollout_streams": [{"name": "a", "ladder": "mobile"}]}, ["mobile", "must each be a list"]),
    # the role must say which declared ladder (or stream) is wrong, not only bintu_streams' list index
    ("role-rising-custom-ladder", "role", "a custom ladder with rising bitrate",
     {"event_rollout_custom_ladders": {"mobile": UP},
      "event_rollout_streams": [{"name": "hall-b"}, {"name": "hall-x", "ladder": "mobile"}]},
     ["ladders.mobile[1]", "must have a lower bitrate", "order the ladder"]),
    ("role-malformed-profile", "role", "a malformed profile in a stream's transcodes",
     {"event_rollout_streams": [{"name": "hall-b"}, {"name": "hall-x", "transcodes": ["vtrans9-1x1"]}]},
     ["'vtrans9-1x1' is not a valid transcoding profile name", "hall-x"]),
    ("role-non-boolean-flag", "role", "non-boolean flag (`event_rollout_prune: maybe`)",
     {"event_rollout_prune": "maybe"}, ["event_rollout_prune", "bool"]),
    ("role-conflicting-credentials", "role", "both event_rollout_api_key and event_rollout_api_token",
     {"event_rollout_api_token": "some-token"}, ["api_key and api_token are both set", "set exactly one"]),
]
IDS = [case[0] for case in CASES]


def _case_url(base, case_id):
    return "%s/bad-input/%s" % (base, case_id)


@pytest.fixture(scope="module")
def outcomes(emulator_server, tmp_path_factory):
    """Run every case in one playbook; return (outcomes by case id, request log)."""
    emulator = emulator_server
    emulator.reset()
    cases, role_cases = [], []
    for case_id, target, _what, args, _texts in CASES:
        url = _case_url(emulator.url, case_id)
        if target == "role":
            role_vars = {"event_rollout_event": "bad-input", "event_rollout_streams": [{"name": "a"}],
                         "event_rollout_custom_ladders": {}, "event_rollout_prune": False,
                         "event_rollout_api_url": url, "event_rollout_api_key": emulator.api_key,
                         "event_rollout_api_token": ""}
            role_vars.update(args)
            role_cases.append({"id": case_id, "vars": role_vars})
        else:
            full = {"api_url": url, "api_key": emulator.api_key}
            full.update({k: (v.format(base=url) if isinstance(v, str) and "{base}" in v else v)
                         for k, v in args.items()})
            if full.get("api_key") is None:
                del full["api_key"]
            cases.append({"id": case_id, "module": target, "args": full})
    run = run_playbook(emulator, PLAYBOOK, tmp_path_factory.mktemp("bad-input"),
                       extra_vars={"cases": cases, "role_cases": role_cases},
                       env={"BINTU_API_KEY": None, "BINTU_API_TOKEN": None, "BINTU_API_URL": None})
    assert run.rc == 0, run.output[-6000:]
    return run.result("outcomes"), emulator.requests()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_bad_input_fails_before_any_request(case, outcomes):
    case_id, _target, _what, _args, texts = case
    results, log = outcomes
    outcome = results[case_id]
    assert outcome["failed"], "%s was accepted" % case_id
    missing = [t for t in texts if t not in outcome["msg"]]
    assert not missing, "%s: message lacks %s: %s" % (case_id, missing, outcome["msg"])
    prefix = "/bad-input/%s/" % case_id
    sent = [e for e in log if e["path"].startswith(prefix) or e["path"] == prefix.rstrip("/")]
    assert sent == [], "%s sent requests: %s" % (case_id, sent)


def test_no_case_sent_anything(outcomes):
    _results, log = outcomes
    assert log == []


def test_table_has_at_least_fifteen_kinds_for_every_target():
    targets = {case[1] for case in CASES}
    assert targets == {"bintu_stream", "bintu_streams", "bintu_stream_info", "role"}
    assert len(CASES) >= 15


def test_table_is_documented():
    text = DOC.read_text(encoding="utf-8")
    missing = [case[0] for case in CASES if "`%s`" % case[0] not in text]
    assert not missing, "docs/bad-input.md lacks %s" % missing
