# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secret hygiene: a rollout, a failing rollout, module calls with credentials in their
arguments (one of them a wrong key) and a teardown, all with -vvvv --diff, never show
the API key or token: not in stdout or stderr, not in registered results, not in the
hand-off sheets, not in a URL the emulator received. Sheets are 0600 in a 0700
directory; validate_certs=false warns.
"""

from __future__ import annotations

import secrets
import stat

from reliability_support import PLAYBOOKS, REPO_ROOT, run_playbook

ROLLOUT = REPO_ROOT / "playbooks" / "event_rollout.yml"
TEARDOWN = REPO_ROOT / "playbooks" / "event_teardown.yml"
EVENT = "secrets-2027"
SD = ["vtrans2-852x480x800x25", "vtrans2-640x360x400x25"]


def _files(*roots):
    for root in roots:
        if root.exists():
            yield from (p for p in root.rglob("*") if p.is_file())


def _assert_clean(run, secret_values, extra_roots=()):
    for value in secret_values:
        assert value not in run.stdout, "secret in stdout"
        assert value not in run.stderr, "secret in stderr"
        for path in _files(run.out_dir, *extra_roots):
            if path.name == "extra_vars.json":
                continue  # the test's own input
            assert value not in path.read_text(encoding="utf-8", errors="replace"), "secret in %s" % path


def test_no_secret_anywhere_at_vvvv_with_diff(emulator_factory, tmp_path):
    key = "KEY-%s" % secrets.token_hex(16)
    token = "TOKEN-%s" % secrets.token_hex(16)
    wrong_key = "WRONGKEY-%s" % secrets.token_hex(16)
    emulator = emulator_factory(api_key=key, api_token=token)
    all_secrets = [key, token, wrong_key]
    reports = tmp_path / "reports"
    base = dict(event_rollout_event=EVENT, event_rollout_report_dir=str(reports),
                event_rollout_streams=[{"name": "main", "ladder": "sd", "tags": ["lang:en"]},
                                       {"name": "side", "tags": ["lang:de"]}])
    no_env = {"BINTU_API_KEY": None, "BINTU_API_TOKEN": None}
    verbose = ("-vvvv", "--diff")

    # 1. rollout, key as a role variable, validate_certs false
    rolled = run_playbook(emulator, ROLLOUT, tmp_path / "rollout", args=verbose, env=no_env,
                          extra_vars=dict(base, event_rollout_api_key=key, event_rollout_validate_certs=False))
    assert rolled.rc == 0, rolled.output[-3000:].replace(key, "<key>")
    assert "validate_certs is false" in rolled.output
    _assert_clean(rolled, all_secrets, [reports])

    # 2. a failing rollout (ladder change without recreate), token from the environment
    changed = dict(base, event_rollout_streams=[{"name": "main", "ladder": "hd", "tags": ["lang:en"]},
                                                {"name": "side", "tags": ["lang:de"]}])
    failed = run_playbook(emulator, ROLLOUT, tmp_path / "failing", args=verbose,
                          env={"BINTU_API_KEY": None, "BINTU_API_TOKEN": token}, extra_vars=changed)
    assert failed.rc == 2, failed.output[-3000:].replace(token, "<token>")
    assert "differ from the desired ladder" in failed.output
    _assert_clean(failed, all_secrets, [reports])

    # 3. credentials as module arguments, a wrong key among them
    modules = run_playbook(emulator, PLAYBOOKS / "reliability_secrets.yml", tmp_path / "modules", args=verbose,
                           env=no_env, extra_vars={"wrong_key": wrong_key, "token": token})
    assert modules.rc == 0, modules.output[-3000:]
    assert modules.result("wrong")["failed"] and "HTTP 401" in modules.result("wrong")["msg"]
    assert modules.result("by_token")["changed"]
    assert modules.result("info")["streams"][0]["name"] == "secrets/by-token"
    _assert_clean(modules, all_secrets)

    # 4. teardown, token as a role variable
    torn = run_playbook(emulator, TEARDOWN, tmp_path / "teardown", args=verbose, env=no_env,
                        extra_vars=dict(base, event_rollout_api_token=token))
    assert torn.rc == 0, torn.output[-3000:].replace(token, "<token>")
    _assert_clean(torn, all_secrets, [reports])

    # the sheets: 0600 files in a 0700 directory, written by rollout and teardown
    sheets = list(_files(reports))
    assert len(sheets) >= 6, sheets
    for path in sheets:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for directory in {p.parent for p in sheets}:
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory

    # nothing the emulator received carries a credential in its URL
    log = emulator.requests()
    assert log
    for entry in log:
        for value in all_secrets:
            assert value not in entry["path"] and value not in (entry["query"] or "")
    # and the emulator saw every run (the checks above are not vacuous)
    assert any(e["status"] == 401 for e in log)
    assert any(e["method"] == "DELETE" for e in log)
