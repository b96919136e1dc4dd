# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Two ansible-playbook runs of the same event at the same time end with exactly one stream per name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PLAYBOOK = Path(__file__).resolve().parent / "playbooks" / "streams_race.yml"
NAMES = ["race/a", "race/b", "race/c", "race/d"]


def start(emulator, out_dir, run_id):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BINTU_")}
    env.update(emulator.env())
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), str(PLAYBOOK),
           "-e", json.dumps({"out_dir": str(out_dir), "run_id": run_id})]
    # pylint: disable-next=consider-using-with
    return subprocess.Popen(cmd, cwd=str(out_dir), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def test_two_runs_at_once_end_with_one_stream_per_name(emulator, tools, tmp_path):
    # slow answers widen the window in which both runs look up, find nothing and create
    emulator.configure(latency_ms=400)
    procs = [start(emulator, tmp_path, run_id) for run_id in ("one", "two")]
    outputs = [proc.communicate(timeout=600)[0] for proc in procs]
    for proc, output in zip(procs, outputs):
        assert proc.returncode == 0, output
    results = [json.loads((tmp_path / ("race-%s.json" % r)).read_text(encoding="utf-8")) for r in ("one", "two")]

    stored = emulator.streams()
    alive = [s for s in stored if s.get("state") != "deleted"]
    for name in NAMES:
        assert len(tools.live_passthroughs(emulator, name=name)) == 1, name
    groups = set(s["id"] for s in alive if s["id"] == s.get("streamgroup"))
    assert len(groups) == len(NAMES)
    # no stray member: every remaining member belongs to a remaining group
    assert all(s.get("streamgroup") in groups for s in alive)
    # every duplicate that was created was deleted again by the run that created it, and reported
    duplicates = len([s for s in stored if s["id"] == s.get("streamgroup")]) - len(NAMES)
    notes = sum(1 for res in results for r in res["results"]
                for change in r["changes"] if "another run created the same name" in change)
    assert notes == duplicates
    for res in results:
        assert sorted(r["name"] for r in res["results"]) == NAMES
        assert all(r["id"] in groups for r in res["results"])
