# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""bintu_streams (and bintu_stream_info) over the life of an event, real ansible-playbook against the emulator.

playbooks/streams_event.yml runs, in one ansible-playbook: check -> create -> warm re-run -> info -> prune
with a live stream -> one failing stream among good ones -> converge with recreate -> teardown keeping the
live stream -> teardown with force -> teardown again. Each step's requests come from the emulator log.
"""

from __future__ import annotations

PLAYBOOK = "tests/integration/playbooks/streams_event.yml"
CAPPED = "tests/integration/playbooks/streams_capped.yml"
SCOPE = "event:int-test"
HD = "vtrans2-852x480x800x25"
SD = "vtrans2-640x360x400x25"
HQ = "vtrans2-1280x720x1600x25"
NAMES = ["int-test/hall-en", "int-test/hall-de", "int-test/studio", "int-test/backstage", "int-test/old-1",
         "int-test/old-live"]


def actions(result):
    return [(r["name"], r["action"]) for r in result["results"]]


def methods(entries):
    found = {}
    for entry in entries:
        found[entry["method"]] = found.get(entry["method"], 0) + 1
    return found


def test_event_lifecycle(emulator, ansible_playbook, playbook_vars, tools):
    run = ansible_playbook(PLAYBOOK, extra_vars=dict(playbook_vars, emulator_token=emulator.api_token))
    res = run.result("event")
    steps = tools.segments(emulator.requests(), first="check")

    # check mode: everything predicted, nothing written (1 listing + 1 lookup per name not listed)
    check = res["check"]
    assert check["changed"] is True
    assert actions(check) == [(n, "created") for n in NAMES]
    assert all(r["id"] is None and r["stream"]["id"] is None for r in check["results"])
    assert check["results"][0]["stream"]["tags"] == sorted([SCOPE, "room:hall", "lang:en"])
    assert sorted(check["diff"]["after"]) == sorted(NAMES)
    assert tools.writes(steps["check"]) == []
    assert methods(steps["check"]) == {"GET": 7}

    # cold run: 1 listing + 6 lookups + 6 creates + 1 verification listing
    create = res["create"]
    assert actions(create) == [(n, "created") for n in NAMES]
    assert create["summary"] == dict(total=6, created=6, updated=0, unchanged=0, recreated=0, deleted=0,
                                     kept_live=0, failed=0, absent=0)
    assert methods(steps["create"]) == {"GET": 8, "POST": 6}
    by_name = dict((r["name"], r) for r in create["results"])
    assert [t["profile"] for t in by_name["int-test/hall-en"]["stream"]["transcodes"]] == [HQ, HD, SD]
    assert [(t["profile"], t["tags"]) for t in by_name["int-test/hall-de"]["stream"]["transcodes"]] == [
        (HD, []), (SD, ["low"])]
    assert by_name["int-test/backstage"]["stream"]["transcodes"] == []
    assert by_name["int-test/backstage"]["stream"]["tags"] == [SCOPE]
    assert all(r["stream"]["ingest"]["streamname"] for r in create["results"])

    # warm run (with a token this time, and prune on): one request, nothing written
    warm = res["warm"]
    assert warm["changed"] is False
    assert actions(warm) == [(n, "unchanged") for n in NAMES]
    assert tools.calls(steps["warm"]) == ["GET /stream"]
    assert tools.query_tags(steps["warm"][0]) == [SCOPE]
    assert int(tools.query_param(steps["warm"][0], "quantity")) >= 1000

    # info: newest first, members excluded, filters
    latest = res["info_latest"]["streams"]
    assert len(latest) == 3
    stamps = [s["created_at"] for s in latest]
    assert stamps == sorted(stamps, reverse=True)
    others = [r["stream"]["created_at"] for r in create["results"] if r["id"] not in [s["id"] for s in latest]]
    assert min(stamps) >= max(others)
    assert all(s["streamgroup"] == s["id"] for s in latest)
    assert [s["name"] for s in res["info_name"]["streams"]] == ["int-test/hall-de"]
    assert [s["name"] for s in res["info_live"]["streams"]] == ["int-test/old-live"]
    assert res["info_live"]["streams"][0]["state"] == "live"
    assert len(steps["info"]) == 3

    # prune: hall-en updated, lounge created, old-1 deleted, old-live kept because it is live (not a failure)
    prune = res["prune"]
    assert prune["changed"] is True
    assert actions(prune) == [("int-test/hall-en", "updated"), ("int-test/hall-de", "unchanged"),
                              ("int-test/studio", "unchanged"), ("int-test/backstage", "unchanged"),
                              ("int-test/lounge", "created"), ("int-test/old-1", "deleted"),
                              ("int-test/old-live", "kept_live")]
    assert prune["results"][0]["changes"] == ["tags: +recorded"]
    assert "is live" in prune["results"][6]["msg"]
    assert prune["summary"]["kept_live"] == 1 and prune["summary"]["failed"] == 0
    assert prune["diff"]["before"]["int-test/old-1"]["state"] == "present"
    assert prune["diff"]["after"]["int-test/old-1"] == {"state": "absent"}
    assert methods(tools.writes(steps["prune"])) == {"PUT": 1, "POST": 1, "DELETE": 1}

    # one failing stream does not stop the others; the failure is named at the end
    ladder = res["ladder"]
    assert ladder["failed"] is True
    assert ladder["msg"].startswith("1 of 6 streams failed: the transcodes of stream 'int-test/hall-de'")
    assert actions(ladder) == [("int-test/hall-en", "unchanged"), ("int-test/hall-de", "failed"),
                               ("int-test/studio", "unchanged"), ("int-test/backstage", "unchanged"),
                               ("int-test/lounge", "unchanged"), ("int-test/late", "created")]
    assert "recreate=true" in ladder["results"][1]["msg"]
    assert methods(tools.writes(steps["ladder"])) == {"POST": 1}

    # the re-run with recreate converges
    converge = res["converge"]
    assert converge["changed"] is True
    assert dict(actions(converge))["int-test/hall-de"] == "recreated"
    assert converge["summary"]["unchanged"] == 5
    old_id = by_name["int-test/hall-de"]["id"]
    new = converge["results"][1]
    assert new["id"] != old_id and [t["profile"] for t in new["stream"]["transcodes"]] == [HD]
    assert "DELETE /stream/%s" % old_id in tools.calls(steps["converge"])

    # teardown deletes everything in scope but the live stream, which is kept and reported, not failed
    teardown = res["teardown"]
    assert teardown["changed"] is True and not teardown.get("failed")
    kept = [r for r in teardown["results"] if r["action"] == "kept_live"]
    assert [r["name"] for r in kept] == ["int-test/old-live"]
    assert teardown["summary"]["deleted"] == 6
    assert any("live stream(s) kept: int-test/old-live" in str(w) for w in teardown["warnings"])
    assert tools.live_passthroughs(emulator, tag=SCOPE) == [], "all deleted at the end of the playbook"
    assert actions(res["teardown_force"]) == [("int-test/old-live", "deleted")]
    again = res["teardown_again"]
    assert again["changed"] is False and again["results"] == []
    assert tools.calls(steps["teardown-again"]) == ["GET /stream"]

    # exactly one passthrough was ever created per create, no stray members remain
    stored = emulator.streams()
    assert [s for s in stored if s.get("state") != "deleted"] == []
    assert emulator.api_key not in run.output and emulator.api_token not in run.output


def test_capped_listing_never_declares_a_stream_missing(emulator, ansible_playbook, playbook_vars, tools):
    """The API silently returns fewer streams than asked for: names missing from the listing are looked up
    one by one before anything is created, and teardown lists again until the scope is empty."""
    emulator.configure(quantity_cap=2)
    run = ansible_playbook(CAPPED, extra_vars=playbook_vars)
    res = run.result("capped")
    steps = tools.segments(emulator.requests(), first="create")
    assert [r["action"] for r in res["create"]["results"]] == ["created"] * 5
    warm = res["warm"]
    assert [r["action"] for r in warm["results"]] == ["unchanged"] * 5
    # the listing showed 2 of 5; the other 3 were looked up by name; nothing was created twice
    assert tools.calls(steps["warm"]) == ["GET /stream"] * 4
    assert tools.writes(steps["warm"]) == []
    teardown = res["teardown"]
    assert sorted(r["name"] for r in teardown["results"] if r["action"] == "deleted") == [
        "capped/s%d" % i for i in range(5)]
    assert tools.live_passthroughs(emulator) == []
    created = [s for s in emulator.streams() if s["id"] == s.get("streamgroup")]
    assert len(created) == 5
