# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Two rollouts of the same event at once (two ansible-playbook processes, as when two
people press "launch" in AWX together) end with exactly one stream per name.

The emulator answers every request slowly (latency_ms), so both runs list, look up and
create inside the same window: each creates streams the other also creates, and the
post-create check must keep the oldest and delete only the newer duplicates a run
created itself, never a stream that is live or that existed before.
"""

from __future__ import annotations

import json

from reliability_support import REPO_ROOT, check_store, run_playbook, start_playbook, Run

ROLLOUT = REPO_ROOT / "playbooks" / "event_rollout.yml"
EVENT = "race-2027"
SD = ["vtrans2-852x480x800x25", "vtrans2-640x360x400x25"]


def _rollout(emulator, run_dir, report_dir, streams, **more):
    extra = dict(event_rollout_event=EVENT, event_rollout_streams=streams, event_rollout_report_dir=str(report_dir),
                 event_rollout_report_formats=["json"], **more)
    return start_playbook(emulator, ROLLOUT, run_dir, extra_vars=extra)


def test_two_rollouts_at_once_end_with_one_stream_per_name(emulator, tmp_path):
    # Before: two streams of the event exist already; one is live. One more live stream of
    # the event is no longer declared (prune must keep it), one idle undeclared one goes.
    first = [{"name": "main-en", "ladder": "sd", "tags": ["lang:en"]},
             {"name": "main-de", "ladder": "sd", "tags": ["lang:de"]},
             {"name": "old-live"}, {"name": "old-idle"}]
    setup = run_playbook(emulator, ROLLOUT, tmp_path / "setup", extra_vars=dict(
        event_rollout_event=EVENT, event_rollout_streams=first, event_rollout_report_formats=[],
        event_rollout_report_dir=str(tmp_path / "setup-reports")))
    assert setup.rc == 0, setup.output[-3000:]
    before = {s["id"]: s for s in emulator.streams()}
    existing = check_store(emulator.streams(), ["%s/%s" % (EVENT, s["name"]) for s in first])
    live_ids = {existing["%s/main-en" % EVENT]["id"], existing["%s/old-live" % EVENT]["id"]}
    for stream_id in live_ids:
        emulator.set_state(stream_id, "live")
    unrelated = emulator.call("POST", "/stream", {"tags": ["event:%s" % EVENT]}).json["id"]
    emulator.clear_requests()

    declared = [{"name": "main-en", "ladder": "sd", "tags": ["lang:en"]},
                {"name": "main-de", "ladder": "sd", "tags": ["lang:de"]}]
    declared += [{"name": "room-%d" % i, "ladder": "sd" if i % 2 else "passthrough", "tags": ["room:%d" % i]}
                 for i in range(1, 9)]
    names = ["%s/%s" % (EVENT, s["name"]) for s in declared]

    emulator.configure(latency_ms=250)
    procs = [_rollout(emulator, tmp_path / ("run-%d" % i), tmp_path / ("reports-%d" % i), declared,
                      event_rollout_prune=True)
             for i in (1, 2)]
    runs = []
    for proc, out_dir, cmd in procs:
        stdout, stderr = proc.communicate(timeout=900)
        proc.stdout, proc.stderr = stdout, stderr
        runs.append(Run(proc, out_dir, cmd))
    emulator.configure(latency_ms=0)
    for run in runs:
        assert run.rc == 0, run.output[-5000:]

    streams = emulator.streams()
    final = check_store(streams, names, exact=True)
    log = emulator.requests()
    posts = [e for e in log if e["method"] == "POST"]
    deletes = [e for e in log if e["method"] == "DELETE"]
    print("race: %d creates for %d new names, %d deletes" % (len(posts), len(names) - 2, len(deletes)))

    # nothing live was deleted, and the streams that existed before kept their ids
    by_id = {s["id"]: s for s in streams}
    for stream_id in live_ids:
        assert by_id[stream_id]["state"] == "live", stream_id
    assert final["%s/main-en" % EVENT]["id"] == existing["%s/main-en" % EVENT]["id"]
    assert final["%s/main-de" % EVENT]["id"] == existing["%s/main-de" % EVENT]["id"]
    # prune: the live undeclared stream is kept, the idle one is gone, the untagged-by-name one untouched
    assert by_id[existing["%s/old-live" % EVENT]["id"]]["state"] == "live"
    assert by_id[existing["%s/old-idle" % EVENT]["id"]]["state"] == "deleted"
    assert by_id[unrelated]["state"] != "deleted"
    # every delete hit either the pruned idle stream or a duplicate created during the race
    pruned = existing["%s/old-idle" % EVENT]["id"]
    for entry in deletes:
        target = entry["path"].split("/")[2]
        assert target == pruned or target not in before, "deleted a stream that existed before: %s" % entry
        assert target not in live_ids
        assert target not in [s["id"] for s in final.values()], "deleted the stream that was kept: %s" % entry
    # duplicates created by the race were deleted, along with their members
    created_groups = [s for s in streams if s["id"] not in before and s["id"] == s.get("streamgroup")]
    dupes = [s for s in created_groups if s["id"] not in [f["id"] for f in final.values()] and s["id"] != unrelated]
    for dupe in dupes:
        assert dupe["state"] == "deleted", dupe

    # both hand-off sheets give the operators the same (surviving) stream for every name
    for index in (1, 2):
        sheet = json.loads((tmp_path / ("reports-%d" % index) / ("%s-handoff.json" % EVENT)).read_text())
        rows = {r["name"]: r for r in sheet["streams"]}
        for name in names:
            assert rows[name]["id"] == final[name]["id"], (index, name, rows[name])
            assert rows[name]["ingest_streamname"] == final[name]["ingest"]["rtmp"]["streamname"], (index, name)
