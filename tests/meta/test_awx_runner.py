# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The demo playbook run the way AWX runs a job: through ansible-runner.

AWX hands ansible-runner a project checkout, the playbook path relative to it,
the job's extra vars, and the environment its credentials inject. Here the
credential is the custom type in docs/awx/credential_type.yml, rendered the
way AWX renders it (the secret left empty is injected as an empty string).
Process isolation is off, as in an execution environment.
"""

import json
import os
import sys
from pathlib import Path

import ansible_runner
import pytest

from meta_helpers import REPO_ROOT, load_yaml, render_awx_env

PLAYBOOK = "playbooks/event_rollout.yml"
EXAMPLE_VARS = REPO_ROOT / "playbooks" / "vars" / "example_event.yml"
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def run_job(tmp_path, label, extravars, envvars):
    """One AWX-like job: returns (runner, job events)."""
    private_data_dir = tmp_path / ("job-%s" % label)
    private_data_dir.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("BINTU_")}
    env.update(envvars)
    # the ansible-playbook of the environment under test, as in an execution environment
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    runner = ansible_runner.run(
        private_data_dir=str(private_data_dir),
        project_dir=str(REPO_ROOT),
        playbook=PLAYBOOK,
        extravars=extravars,
        envvars=env,
        process_isolation=False,
        quiet=True,
        ident=label,
        timeout=600,
    )
    return runner, list(runner.events)


def stats_artifacts(events):
    """What set_stats published for AWX workflows (artifact_data of the stats event)."""
    stats = [event for event in events if event.get("event") == "playbook_on_stats"]
    assert len(stats) == 1
    return stats[0]["event_data"].get("artifact_data") or {}


def event_passthroughs(emulator, event):
    found = {}
    for stream in emulator.streams():
        tags = stream.get("tags") or []
        if stream["state"] == "deleted" or stream["id"] != stream["streamgroup"] or "event:%s" % event not in tags:
            continue
        names = [tag[5:] for tag in tags if tag.startswith("name:")]
        assert len(names) == 1, tags
        found[names[0]] = stream
    return found


@pytest.fixture
def example_event():
    return load_yaml(EXAMPLE_VARS)


def assert_no_secret(runner, events, secrets):
    text = runner.stdout.read() + json.dumps(events)
    for secret in secrets:
        assert secret not in text


def test_event_rollout_through_ansible_runner_with_awx_token_credential(
        emulator, credential_type, example_event, tmp_path):
    event = example_event["event_rollout_event"]
    declared = {"%s/%s" % (event, stream["name"]) for stream in example_event["event_rollout_streams"]}
    report_dir = tmp_path / "reports"
    extravars = dict(example_event, event_rollout_report_dir=str(report_dir))
    envvars = render_awx_env(credential_type, {"api_url": emulator.url, "api_token": emulator.api_token})
    assert envvars["BINTU_API_KEY"] == ""  # as AWX injects it for a token-only credential

    runner, events = run_job(tmp_path, "rollout", extravars, envvars)
    assert (runner.status, runner.rc) == ("successful", 0), runner.stdout.read()[-6000:]
    assert sorted(event_passthroughs(emulator, event)) == sorted(declared)
    summary = stats_artifacts(events)["event_rollout_summary"]
    assert int(summary["created"]) == len(declared) and int(summary["failed"]) == 0
    assert runner.stats["changed"].get("localhost", 0) > 0
    assert sorted(p.suffix for p in report_dir.rglob("*-handoff.*")) == [".csv", ".json", ".md"]
    assert_no_secret(runner, events, emulator.secrets())

    # The same job again (a scheduled job template): nothing to do, nothing written.
    emulator.clear_requests()
    rerun, events = run_job(tmp_path, "rerun", extravars, envvars)
    assert (rerun.status, rerun.rc) == ("successful", 0), rerun.stdout.read()[-6000:]
    assert [r for r in emulator.requests() if r["method"] in WRITES] == []
    summary = stats_artifacts(events)["event_rollout_summary"]
    assert int(summary["unchanged"]) == len(declared) and int(summary["created"]) == 0
    assert_no_secret(rerun, events, emulator.secrets())


def test_a_wrong_credential_fails_the_job_without_writing(emulator, credential_type, example_event, tmp_path):
    envvars = render_awx_env(credential_type, {"api_url": emulator.url, "api_token": "not-the-token"})
    extravars = dict(example_event, event_rollout_report_dir=str(tmp_path / "reports"))

    runner, events = run_job(tmp_path, "denied", extravars, envvars)
    assert runner.status == "failed" and runner.rc != 0
    assert [r for r in emulator.requests() if r["method"] in WRITES] == []
    assert not event_passthroughs(emulator, example_event["event_rollout_event"])
    assert_no_secret(runner, events, emulator.secrets() + ["not-the-token"])
