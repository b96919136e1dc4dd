# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The event_rollout role and its playbooks, run with real ansible-playbook against the emulator.

Every test drives the playbooks users run (playbooks/event_rollout.yml,
playbooks/event_teardown.yml, playbooks/latest_streams.yml) and reads what users
get: the hand-off sheet files, the console output, and the emulator's state and
request log. Each ansible-playbook run does a lot, to keep the suite fast.
"""

from __future__ import annotations

import csv
import io
import json
import re
import stat
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ROLLOUT = "playbooks/event_rollout.yml"
TEARDOWN = "playbooks/event_teardown.yml"
LATEST = "playbooks/latest_streams.yml"
EXAMPLE_VARS = REPO / "playbooks" / "vars" / "example_event.yml"
ROLE_DEFAULTS = REPO / "roles" / "event_rollout" / "defaults" / "main.yml"

SD = ["vtrans2-852x480x800x25", "vtrans2-640x360x400x25"]
HD = ["vtrans2-1280x720x1600x25"] + SD
WRITES = ("POST", "PUT", "PATCH", "DELETE")


# -- helpers -------------------------------------------------------------------

def load_example():
    return yaml.safe_load(EXAMPLE_VARS.read_text(encoding="utf-8"))


def event_streams(emulator, event):
    """{name: passthrough object} of the event's streams that are not deleted."""
    found = {}
    for stream in emulator.streams():
        tags = stream.get("tags") or []
        if stream["id"] != stream.get("streamgroup") or stream.get("state") == "deleted":
            continue
        if "event:%s" % event not in tags:
            continue
        names = [t[len("name:"):] for t in tags if t.startswith("name:")]
        assert len(names) == 1, stream
        assert names[0] not in found, "two streams named %s" % names[0]
        found[names[0]] = stream
    return found


def members_of(emulator, group_id):
    """Profiles of the live (not deleted) members of a stream group, in ladder order."""
    members = [s for s in emulator.streams()
               if s.get("streamgroup") == group_id and s["id"] != group_id and s.get("state") != "deleted"]
    return [m["profile"] for m in members]


def sheet_paths(report_dir, event, kind="handoff"):
    base = Path(report_dir) / ("%s-%s" % (event, kind))
    return {fmt: base.with_suffix("." + ext) for fmt, ext in (("markdown", "md"), ("csv", "csv"), ("json", "json"))}


def read_sheet(report_dir, event, kind="handoff"):
    return json.loads(sheet_paths(report_dir, event, kind)["json"].read_text(encoding="utf-8"))


def by_name(sheet):
    return {s["name"]: s for s in sheet["streams"]}


def writes(emulator):
    return [r for r in emulator.requests() if r["method"] in WRITES]


def mode(path):
    return stat.S_IMODE(Path(path).stat().st_mode)


def assert_no_secret(result, emulator):
    for secret in emulator.secrets():
        assert secret not in result.output


# -- shipped data ----------------------------------------------------------------

def test_shipped_ladders_and_example_event_are_valid():
    """Every shipped ladder and the example event pass the modules' own ladder rules."""
    from ansible_collections.nanocosmos.bintu.plugins.module_utils import _streams

    defaults = yaml.safe_load(ROLE_DEFAULTS.read_text(encoding="utf-8"))
    ladders = defaults["event_rollout_ladders"]
    assert ladders["passthrough"] == []
    assert ladders["sd"] == SD
    assert ladders["hd"] == HD
    for name, ladder in ladders.items():
        checked = _streams.check_transcodes(ladder, where="event_rollout_ladders.%s" % name)
        bitrates = [entry["spec"]["bitrate"] for entry in checked]
        assert bitrates == sorted(bitrates, reverse=True) and len(set(bitrates)) == len(bitrates), name

    example = load_example()
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]{1,62}", example["event_rollout_event"])
    all_ladders = dict(ladders, **example.get("event_rollout_custom_ladders", {}))
    for name, ladder in example.get("event_rollout_custom_ladders", {}).items():
        _streams.check_transcodes(ladder, where=name)
    names = [s["name"] for s in example["event_rollout_streams"]]
    assert len(names) == len(set(names)) and 8 <= len(names) <= 12
    used = {s.get("ladder", example.get("event_rollout_default_ladder")) for s in example["event_rollout_streams"]
            if "transcodes" not in s}
    assert used <= set(all_ladders), used - set(all_ladders)
    assert len(used) >= 3, "the example should mix ladders"


# -- the whole life of the example event -------------------------------------------

def test_example_event_check_rollout_rerun_teardown(ansible_playbook, emulator, tmp_path):
    """Check mode writes nothing; rollout creates the event and its sheet; a re-run sends no write;
    a teardown keeps the live stream; a forced teardown deletes it."""
    example = load_example()
    event = example["event_rollout_event"]
    declared = {"%s/%s" % (event, s["name"]): s for s in example["event_rollout_streams"]}
    ladders = {"passthrough": [], "sd": SD, "hd": HD}
    ladders.update(example.get("event_rollout_custom_ladders", {}))
    report_dir = tmp_path / "reports" / event
    base_vars = dict(example, event_rollout_report_dir=str(report_dir))

    # 1. check mode with diff: plans all creates, sends no write, writes no file.
    checked = ansible_playbook(ROLLOUT, extra_vars=base_vars, check=True, diff=True)
    assert writes(emulator) == []
    assert event_streams(emulator, event) == {}
    assert not report_dir.exists()
    assert "%d streams, %d created" % (len(declared), len(declared)) in checked.stdout
    assert "check mode" in checked.stdout

    # 2. rollout (with --diff and -v).
    emulator.clear_requests()
    rolled = ansible_playbook(ROLLOUT, extra_vars=base_vars, diff=True, verbosity=1)
    assert_no_secret(rolled, emulator)
    live = event_streams(emulator, event)
    assert sorted(live) == sorted(declared)
    sheet = read_sheet(report_dir, event)
    assert sheet["event"] == event and sheet["state"] == "present"
    assert sheet["summary"]["created"] == len(declared) and sheet["summary"]["failed"] == 0
    rows = by_name(sheet)
    assert sorted(rows) == sorted(declared)
    for name, spec in declared.items():
        row, stream = rows[name], live[name]
        expected_ladder = spec.get("transcodes") or ladders[spec.get("ladder", example["event_rollout_default_ladder"])]
        assert members_of(emulator, stream["id"]) == expected_ladder, name
        assert row["profiles"] == expected_ladder
        assert row["ladder"] == ("custom" if "transcodes" in spec else spec.get("ladder", example["event_rollout_default_ladder"]))
        assert row["id"] == stream["id"] and row["action"] == "created" and row["state"] == "created"
        # Ingest and playback come from the stream itself.
        assert row["ingest_rtmp_url"] == stream["ingest"]["rtmp"]["url"]
        assert row["ingest_streamname"] == stream["ingest"]["rtmp"]["streamname"]
        assert [r["index"] for r in row["renditions"]] == list(range(len(expected_ladder) + 1))
        assert [r["profile"] for r in row["renditions"]] == ["passthrough"] + expected_ladder
        for rendition in row["renditions"]:
            assert rendition["h5live_websocket"].startswith(("ws://", "wss://"))
            assert rendition["h5live_streamname"]
            assert rendition["hls_url"].startswith(("http://", "https://"))
        # Tags: event scope, identity, event-wide and the stream's own.
        expected_tags = {"event:%s" % event, "name:%s" % name}
        expected_tags |= set(example.get("event_rollout_tags", [])) | set(spec.get("tags", []))
        assert set(stream["tags"]) == expected_tags, name
    # The sheet: 0600 files in a 0700 directory, same content in all three formats.
    assert mode(report_dir) == 0o700
    paths = sheet_paths(report_dir, event)
    for path in paths.values():
        assert mode(path) == 0o600, path
    markdown = paths["markdown"].read_text(encoding="utf-8")
    assert markdown.startswith("# Hand-off sheet: %s" % event)
    for row in sheet["streams"]:
        assert "| %s | %s | created | created | %s | %s |" % (
            row["name"], row["ladder"], row["ingest_rtmp_url"], row["ingest_streamname"]) in markdown
        for rendition in row["renditions"]:
            assert rendition["h5live_streamname"] in markdown and rendition["hls_url"] in markdown
    assert "| %d | %d | 0 | 0 |" % (len(declared), len(declared)) in markdown
    csv_rows = list(csv.DictReader(io.StringIO(paths["csv"].read_text(encoding="utf-8"))))
    assert [r["stream"] for r in csv_rows] == [r["name"] for r in sheet["streams"]]
    for csv_row, row in zip(csv_rows, sheet["streams"]):
        assert csv_row["rtmp_ingest_url"] == row["ingest_rtmp_url"]
        assert csv_row["rtmp_streamname"] == row["ingest_streamname"]
        assert csv_row["hls_urls"].split() == [r["hls_url"] for r in row["renditions"]]
        assert csv_row["h5live_streamnames"].split() == [r["h5live_streamname"] for r in row["renditions"]]
    for path in paths.values():
        text = path.read_text(encoding="utf-8")
        for secret in emulator.secrets():
            assert secret not in text

    # 3. latest_streams.yml prints a table of the event's newest streams.
    table = ansible_playbook(LATEST, extra_vars={"latest_streams_quantity": 4,
                                                 "latest_streams_tags": ["event:%s" % event]})
    header = [line for line in table.stdout.splitlines() if "ladder" in line and "name / tags" in line]
    assert len(header) == 1
    listed = [s for s in live.values() if s["id"] in table.stdout]
    assert len(listed) == 4, "quantity 4 lists four streams"
    for stream in listed:
        row = next(line for line in table.stdout.splitlines() if stream["id"] in line)
        assert "created" in row and stream["created_at"] in row

    # 4. re-run, connection from role variables instead of the environment, custom stats shown:
    #    no write request, everything unchanged, counts only in the stats.
    emulator.clear_requests()
    rerun_vars = dict(base_vars, event_rollout_api_url=emulator.url, event_rollout_api_key=emulator.api_key)
    rerun = ansible_playbook(ROLLOUT, extra_vars=rerun_vars, verbosity=1,
                             env={"BINTU_API_URL": None, "BINTU_API_KEY": None, "ANSIBLE_SHOW_CUSTOM_STATS": "1"})
    assert writes(emulator) == []
    assert emulator.requests(), "the re-run must look the streams up"
    assert re.search(r"localhost\s*:\s*ok=\d+\s+changed=0\s", rerun.stdout), "the re-run must report no change"
    assert_no_secret(rerun, emulator)
    sheet2 = read_sheet(report_dir, event)
    assert sheet2["summary"]["unchanged"] == len(declared)
    assert sheet2["summary"]["created"] == sheet2["summary"]["updated"] == 0
    assert {n: r["ingest_streamname"] for n, r in by_name(sheet2).items()} == \
        {n: r["ingest_streamname"] for n, r in rows.items()}
    stats = rerun.stdout.split("CUSTOM STATS", 1)[1]
    assert "event_rollout_summary" in stats and '"unchanged": %d' % len(declared) in stats
    assert "/" not in stats.split("event_rollout_summary", 1)[1].split("}", 1)[0], "stats must hold no stream names"

    # 5. the encoder of one stream goes live; the teardown keeps it and says so.
    keep = "%s/main-stage-en" % event
    emulator.set_state(live[keep]["id"], "live")
    emulator.clear_requests()
    torn = ansible_playbook(TEARDOWN, extra_vars=base_vars)
    assert sorted(event_streams(emulator, event)) == [keep]
    assert {r["method"] for r in writes(emulator)} == {"DELETE"}
    teardown = read_sheet(report_dir, event, "teardown")
    assert teardown["state"] == "absent"
    assert teardown["summary"]["deleted"] == len(declared) - 1 and teardown["summary"]["kept_live"] == 1
    assert by_name(teardown)[keep]["action"] == "kept_live"
    assert "Kept because live: %s" % keep in torn.stdout
    assert "event_rollout_force=true" in torn.stdout
    teardown_md = sheet_paths(report_dir, event, "teardown")["markdown"].read_text(encoding="utf-8")
    assert "| %s | hd | kept_live | live |" % keep in teardown_md
    assert mode(sheet_paths(report_dir, event, "teardown")["json"]) == 0o600
    # The rollout sheet is left as it was.
    assert read_sheet(report_dir, event)["summary"]["unchanged"] == len(declared)

    # 6. forced teardown deletes the live stream too; nothing of the event remains.
    forced = ansible_playbook(TEARDOWN, extra_vars=dict(base_vars, event_rollout_force=True))
    assert event_streams(emulator, event) == {}
    teardown = read_sheet(report_dir, event, "teardown")
    assert teardown["summary"]["deleted"] == 1 and teardown["summary"]["kept_live"] == 0
    assert "1 deleted" in forced.stdout


def test_no_log_hides_stream_names_and_urls(ansible_playbook, emulator, tmp_path):
    """With event_rollout_no_log, even -v and --diff show no stream name, ingest stream name or URL;
    the sheet is still written and the run summary (counts only) still shown."""
    event = "quiet-1"
    streams = [{"name": "stage", "ladder": "sd"}, {"name": "room", "ladder": "passthrough"}]
    extra = {"event_rollout_event": event, "event_rollout_streams": streams, "event_rollout_no_log": True,
             "event_rollout_report_dir": str(tmp_path / "reports")}
    result = ansible_playbook(ROLLOUT, extra_vars=extra, diff=True, verbosity=1)
    sheet = read_sheet(tmp_path / "reports", event)
    assert sheet["summary"]["created"] == 2
    assert "2 streams, 2 created" in result.stdout
    assert_no_secret(result, emulator)
    for row in sheet["streams"]:
        assert row["name"] not in result.output
        assert row["ingest_streamname"] not in result.output
        for rendition in row["renditions"]:
            assert rendition["h5live_streamname"] not in result.output
            assert rendition["hls_url"] not in result.output


# -- changes: tags, ladders, prune, failures ------------------------------------------

def test_update_prune_ladder_change_and_failing_stream(ansible_playbook, emulator, tmp_path):
    """Tags are updated in place; prune deletes what is no longer listed but keeps a live stream;
    a changed ladder fails clearly without recreate and is recreated with it; a stream Bintu
    rejects fails alone while the others converge."""
    event = "devday-7"
    report_dir = tmp_path / "reports"
    base = {"event_rollout_event": event, "event_rollout_report_dir": str(report_dir),
            "event_rollout_tags": ["org:devrel"]}
    first = [
        {"name": "keynote", "ladder": "sd"},
        {"name": "track-1", "tags": ["lang:en"]},
        {"name": "track-2", "ladder": "hd"},
        {"name": "lounge"},
        {"name": "old-stage", "ladder": "passthrough"},
    ]
    ansible_playbook(ROLLOUT, extra_vars=dict(base, event_rollout_streams=first))
    before = event_streams(emulator, event)
    assert len(before) == 5
    emulator.set_state(before["%s/lounge" % event]["id"], "live")

    # keynote: sd -> hd; track-1: tags changed; track-2: unchanged; lounge (live) and
    # old-stage dropped; workshop added; rejected: a profile the organisation does not offer.
    second = [
        {"name": "keynote", "ladder": "hd"},
        {"name": "track-1", "tags": ["lang:de"]},
        {"name": "track-2", "ladder": "hd"},
        {"name": "workshop", "transcodes": ["vtrans2-852x480x800x25"]},
        {"name": "rejected", "transcodes": ["vtrans2-1500k"]},
    ]
    second_vars = dict(base, event_rollout_streams=second, event_rollout_prune=True)

    # Check mode first: the same plan, no write.
    emulator.clear_requests()
    ansible_playbook(ROLLOUT, extra_vars=second_vars, check=True, diff=True, expect_rc=None)
    assert writes(emulator) == []
    assert event_streams(emulator, event).keys() == before.keys()

    failed = ansible_playbook(ROLLOUT, extra_vars=second_vars, expect_rc=2)
    sheet = read_sheet(report_dir, event)
    rows = by_name(sheet)
    keynote, rejected = "%s/keynote" % event, "%s/rejected" % event
    assert rows[keynote]["action"] == "failed"
    assert "recreate" in rows[keynote]["msg"]
    assert rows["%s/track-1" % event]["action"] == "updated"
    assert rows["%s/track-2" % event]["action"] == "unchanged"
    assert rows["%s/workshop" % event]["action"] == "created"
    assert rows["%s/rejected" % event]["action"] == "failed"
    assert rows["%s/lounge" % event]["action"] == "kept_live"
    assert rows["%s/old-stage" % event]["action"] == "deleted"
    summary = sheet["summary"]
    assert (summary["failed"], summary["updated"], summary["created"], summary["deleted"], summary["kept_live"]) == \
        (2, 1, 1, 1, 1)
    # The run fails at the end, naming each failed stream; the sheet lists them with the reason.
    assert "2 of" in failed.stdout and keynote in failed.stdout and rejected in failed.stdout
    markdown = sheet_paths(report_dir, event)["markdown"].read_text(encoding="utf-8")
    assert "## Failed" in markdown and "**%s**" % keynote in markdown and "**%s**" % rejected in markdown
    after = event_streams(emulator, event)
    kept = ("keynote", "track-1", "track-2", "workshop", "lounge")
    assert sorted(after) == sorted("%s/%s" % (event, n) for n in kept)
    assert after[keynote]["id"] == before[keynote]["id"], "no recreate without event_rollout_recreate"
    assert members_of(emulator, after[keynote]["id"]) == SD
    assert set(after["%s/track-1" % event]["tags"]) == {"event:%s" % event, "name:%s/track-1" % event,
                                                        "org:devrel", "lang:de"}
    assert members_of(emulator, after["%s/workshop" % event]["id"]) == ["vtrans2-852x480x800x25"]

    # With recreate (and the rejected stream dropped): keynote gets the hd ladder under a new id
    # and a new ingest stream name; everything else stays as it is.
    third = [s for s in second if s["name"] != "rejected"]
    emulator.clear_requests()
    ansible_playbook(ROLLOUT, extra_vars=dict(base, event_rollout_streams=third, event_rollout_recreate=True))
    sheet = read_sheet(report_dir, event)
    rows = by_name(sheet)
    assert rows[keynote]["action"] == "recreated"
    assert rows[keynote]["id"] != before[keynote]["id"]
    assert rows[keynote]["ingest_streamname"] != before[keynote]["ingest"]["rtmp"]["streamname"]
    assert rows[keynote]["profiles"] == HD and rows[keynote]["ladder"] == "hd"
    assert sheet["summary"]["recreated"] == 1 and sheet["summary"]["unchanged"] == 3
    final = event_streams(emulator, event)
    assert members_of(emulator, final[keynote]["id"]) == HD
    assert "%s/lounge" % event in final, "without prune the live stream is left alone"


# -- validation: bad input sends no request ------------------------------------------------

@pytest.mark.parametrize("bad, message", [
    ({"event_rollout_event": "Summit 2027"}, "is not a valid event slug"),
    ({"event_rollout_streams": [{"name": "hall-a"}, {"name": "hall-b"}, {"name": "hall-a", "ladder": "hd"}]},
     "declared more than once: hall-a"),
    ({"event_rollout_streams": [{"name": "hall-a", "ladder": "uhd"}]}, "Unknown ladders: uhd"),
    ({"event_rollout_streams": [{"name": "hall-a", "ladder": "sd", "transcodes": SD}]},
     "Streams hall-a set both 'ladder' and 'transcodes'"),
    ({"event_rollout_streams": [{"name": "hall/a"}]}, "Invalid stream names: 'hall/a'"),
    ({"event_rollout_streams": []}, "event_rollout_streams is empty"),
    ({"event_rollout_custom_ladders": {"bad": ["vtrans2-640x360x400x25", "vtrans2-852x480x800x25"]},
      "event_rollout_streams": [{"name": "hall-a", "ladder": "bad"}]}, "lower bitrate"),
    ({"event_rollout_state": "gone"}, "event_rollout_state"),
], ids=["slug", "duplicate", "unknown-ladder", "ladder-and-transcodes", "name", "empty", "bad-ladder", "state"])
def test_bad_input_fails_before_any_request(ansible_playbook, emulator, tmp_path, bad, message):
    extra = {"event_rollout_event": "summit-2027", "event_rollout_report_dir": str(tmp_path / "reports"),
             "event_rollout_streams": [{"name": "hall-a"}]}
    extra.update(bad)
    result = ansible_playbook(ROLLOUT, extra_vars=extra, expect_rc=2)
    assert message in result.output
    assert emulator.requests() == []
    assert not (tmp_path / "reports").exists()
