# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault matrix: bintu_stream and bintu_streams under every fault the emulator injects.

Each scenario is one ansible-playbook run (playbooks/reliability_faults.yml) that,
for each module, arms the fault, runs the module, clears the fault and runs it again.
Whatever the fault, the faulted run converges or fails with a message naming the
HTTP status (or the connection problem) and the stream; the re-run converges; and
at every point each name has at most one passthrough (exactly one once converged),
no member outlives its passthrough, and streams the run does not manage are untouched.
"""

from __future__ import annotations

import pytest

from reliability_support import PLAYBOOKS, check_store, members_of, run_playbook, seed, writes_to

PLAYBOOK = PLAYBOOKS / "reliability_faults.yml"
SD = ["vtrans2-852x480x800x25", "vtrans2-640x360x400x25"]

# id: (fault for bintu_stream, fault for bintu_streams, connection options, expectation)
# expectation: "converge", or the text the failure message must carry.
SCENARIOS = {
    "429-retry-after-burst": (
        {"fail_next": {"status": 429, "count": 2, "retry_after": 1}},
        {"fail_next": {"status": 429, "count": 3, "retry_after": 1}},
        {}, "converge"),
    "429-persistent": (
        {"fail_rate": {"status": 429, "rate": 1.0, "retry_after": 0}},
        {"fail_rate": {"status": 429, "rate": 1.0, "retry_after": 0, "method": "POST"}},
        {"api_retries": 1}, "HTTP 429"),
    "500-burst": (
        {"fail_next": {"status": 500, "count": 3}},
        {"fail_next": {"status": 500, "count": 3}},
        {}, "converge"),
    "502-burst-on-create": (
        {"fail_next": {"status": 502, "count": 2, "method": "POST"}},
        {"fail_next": {"status": 502, "count": 3, "method": "POST"}},
        {}, "converge"),
    "503-persistent-on-create": (
        {"fail_rate": {"status": 503, "rate": 1.0, "method": "POST"}},
        {"fail_rate": {"status": 503, "rate": 1.0, "method": "POST"}},
        {"api_retries": 1}, "HTTP 503"),
    "503-persistent-everywhere": (
        {"fail_rate": {"status": 503, "rate": 1.0}},
        {"fail_rate": {"status": 503, "rate": 0.5, "method": "GET"}},
        {"api_retries": 1}, "HTTP 503"),
    "connection-resets": (
        {"reset_next": {"count": 2}},
        {"reset_next": {"count": 3}},
        {}, "converge"),
    "connection-reset-on-create": (
        {"reset_next": {"count": 2, "method": "POST"}},
        {"reset_next": {"count": 3, "method": "POST"}},
        {}, "converge"),
    "timeout-on-read": (
        {"delay_next": {"count": 1, "ms": 2000, "method": "GET"}},
        {"delay_next": {"count": 2, "ms": 2000, "method": "GET"}},
        {"api_timeout": 0.6}, "converge"),
    "timeout-on-create": (
        {"delay_next": {"count": 1, "ms": 2000, "method": "POST"}},
        {"delay_next": {"count": 2, "ms": 2000, "method": "POST"}},
        {"api_timeout": 0.6}, "converge"),
    "commit-then-drop": (
        {"drop_after_commit": {"count": 1}},
        {"drop_after_commit": {"count": 3}},
        {}, "converge"),
    "commit-then-drop-repeatedly": (
        {"drop_after_commit": {"count": 4}},
        {"drop_after_commit": {"count": 8}},
        {"api_retries": 1}, "converge"),
}


def _bulk_streams(prefix):
    return [
        {"name": "%s/hall-a" % prefix, "tags": ["room:a"], "transcodes": SD},
        {"name": "%s/hall-b" % prefix, "tags": ["room:b"], "transcodes": SD[1:]},
        {"name": "%s/backstage" % prefix, "tags": ["internal"], "transcodes": []},
        {"name": "%s/press" % prefix, "tags": ["room:press"], "transcodes": SD[:1]},
    ]


def _status_of(entry):
    return entry["status"]


def _assert_phase(phase, names, expect, seeds, label, stream_names_in_msg):
    faulted, rerun = phase["faulted"], phase["rerun"]
    log = phase["log_faulted"]
    assert log, "%s: the faulted run sent no request" % label
    if expect == "converge":
        assert not faulted.get("failed"), "%s: faulted run failed: %s" % (label, faulted.get("msg"))
        check_store(phase["store_faulted"], names, exact=True, untouched=seeds)
    else:
        assert faulted.get("failed"), "%s: expected a failure under a persistent fault" % label
        msg = faulted["msg"]
        assert expect in msg, "%s: message does not name the status %r: %s" % (label, expect, msg)
        missing = [n for n in stream_names_in_msg if n not in msg]
        assert not missing, "%s: message does not name stream(s) %s: %s" % (label, missing, msg)
        check_store(phase["store_faulted"], names, exact=False, untouched=seeds)
    assert not rerun.get("failed"), "%s: re-run after the fault failed: %s" % (label, rerun.get("msg"))
    final = check_store(phase["store_rerun"], names, exact=True, untouched=seeds)
    for seed_stream in seeds:
        assert writes_to(log, seed_stream["id"]) == [], "%s wrote to an unmanaged stream" % label
    return final


@pytest.fixture(scope="module")
def matrix(emulator_server, tmp_path_factory):
    """Run the whole matrix in one ansible-playbook process; return (run, seeds and specs per scenario)."""
    emulator = emulator_server
    emulator.reset()
    specs = []
    seeds = {}
    for scenario in sorted(SCENARIOS):
        fault_single, fault_bulk, conn, _expect = SCENARIOS[scenario]
        seeds[scenario] = [seed(emulator, ["unrelated", "event:%s" % scenario], SD),
                           seed(emulator, ["name:%s/neighbour" % scenario, "event:other-%s" % scenario])]
        specs.append({"id": scenario, "conn": conn, "fault_single": fault_single, "fault_bulk": fault_bulk,
                      "single": {"name": "%s/single" % scenario, "tags": ["fault-test"], "transcodes": SD},
                      "bulk": {"scope_tags": ["event:%s" % scenario], "streams": _bulk_streams(scenario)}})
    run = run_playbook(emulator, PLAYBOOK, tmp_path_factory.mktemp("faults"), extra_vars={
        "ctl_url": emulator.url, "ctl_token": emulator.control_token, "scenarios": specs})
    assert run.rc == 0, run.output[-6000:]
    return run, seeds, {spec["id"]: spec for spec in specs}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_fault_matrix(scenario, matrix):
    run, all_seeds, specs = matrix
    expect = SCENARIOS[scenario][3]
    seeds = all_seeds[scenario]
    single = specs[scenario]["single"]
    bulk = specs[scenario]["bulk"]
    bulk_names = [s["name"] for s in bulk["streams"]]
    data = run.result(scenario)

    # bintu_stream
    phase = data["single"]
    final = _assert_phase(phase, [single["name"]], expect, seeds, "%s/bintu_stream" % scenario,
                          [single["name"]])
    group = final[single["name"]]
    assert [m["profile"] for m in members_of(phase["store_rerun"], group["id"])] == SD
    assert phase["rerun"]["stream"]["id"] == group["id"]
    single_log = phase["log_faulted"]

    # bintu_streams
    phase = data["bulk"]
    failing = []
    if expect != "converge":
        failing = [r["name"] for r in phase["faulted"].get("results", []) if r["action"] == "failed"]
        if phase["faulted"].get("results"):
            assert failing, "bulk: the run failed but no stream is reported as failed"
    final = _assert_phase(phase, bulk_names, expect, seeds, "%s/bintu_streams" % scenario, failing)
    rerun = phase["rerun"]
    assert rerun["summary"]["failed"] == 0
    assert sorted(r["name"] for r in rerun["results"]) == sorted(bulk_names)
    for entry in bulk["streams"]:
        profiles = [m["profile"] for m in members_of(phase["store_rerun"], final[entry["name"]]["id"])]
        assert profiles == entry["transcodes"], entry["name"]

    # faults are counted in the log: each injected answer shows up once, and retries are bounded
    if scenario == "429-retry-after-burst":
        statuses = [e["status"] for e in single_log]
        assert statuses[:2] == [429, 429] and 429 not in statuses[2:], statuses
        statuses = [e["status"] for e in phase["log_faulted"]]
        assert statuses.count(429) == 3, statuses
    if scenario == "429-persistent":
        assert [e["status"] for e in single_log] == [429, 429], single_log
    if scenario == "503-persistent-on-create":
        posts = [e for e in single_log if e["method"] == "POST"]
        assert len(posts) == 2 and all(e["status"] == 503 for e in posts), posts
