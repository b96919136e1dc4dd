# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors a user can act on: the message names the cause (HTTP status, Bintu code and
message) and the next step, for a wrong key or token (401, and 403 where Bintu answers
that), a role without permission (403), an unknown id or wrong URL (404), a request
Bintu rejects with its own error code (400), and an organisation without the package.

All cases run in one ansible-playbook process (playbooks/reliability_errors.yml).
"Organisation is not enabled" (bintu-api.md 1.4) is played by an emulator fault that
answers that Bintu error in the documented envelope.
"""

from __future__ import annotations

import pytest

from reliability_support import PLAYBOOKS, run_playbook

PLAYBOOK = PLAYBOOKS / "reliability_errors.yml"
WRONG_KEY = "wrong-key-4f1c9a7e0d"
WRONG_TOKEN = "wrong-token-8b2e5d3c1a"

# id: (module, args, emulator config to arm, texts the message must contain)
CASES = {
    "wrong-key-401": ("bintu_stream", {"name": "errors/a", "api_key": WRONG_KEY}, None,
                      ["HTTP 401", "User Credentials are not valid", "check api_key", "BINTU_API_KEY"]),
    "wrong-token-401-bulk": ("bintu_streams", {"streams": [{"name": "errors/b"}], "api_token": WRONG_TOKEN,
                                               "api_key": None}, None,
                             ["HTTP 401", "api_token", "BINTU_API_TOKEN", "event:errors"]),
    # bintu-api.md: whether Bintu answers a bad key with 401 or 403 is unknown, so a 403 must
    # point at the key as well as at the role
    "wrong-key-403": ("bintu_stream", {"name": "errors/c", "api_key": WRONG_KEY}, {"auth_error": 403},
                      ["HTTP 403", "Access denied", "api_key", "role"]),
    "role-may-not-create-403": ("bintu_stream", {"name": "errors/d"},
                                {"fail_next": {"status": 403, "count": 1, "method": "POST"}},
                                ["HTTP 403", "POST /stream", "nanoAdmin or nanoUser", "errors/d"]),
    "unknown-id-404": ("bintu_stream", {"id": "no-such-stream-id"}, None,
                       ["no-such-stream-id", "does not exist", "check the id"]),
    "unknown-id-400-3001": ("bintu_stream", {"id": "no-such-stream-id"}, {"not_found_status": 400},
                            ["no-such-stream-id", "does not exist", "check the id"]),
    "wrong-api-path-404": ("bintu_stream", {"name": "errors/e", "api_url": "{base}/api/v9"}, None,
                           ["HTTP 404", "check api_url"]),
    "bintu-400-with-code": ("bintu_stream", {"name": "errors/f", "transcodes": ["vtrans2-999k"]}, None,
                            ["HTTP 400", "Bintu code 3002", "Stream Type is not available", "vtrans2-999k",
                             "errors/f"]),
    "organisation-not-enabled": ("bintu_stream", {"name": "errors/g"},
                                 {"fail_next": {"status": 403, "code": 2003, "message": "Organisation is not enabled"}},
                                 ["HTTP 403", "Organisation is not enabled", "enable it for the organisation"]),
}


@pytest.fixture(scope="module")
def outcomes(emulator_server, tmp_path_factory):
    emulator = emulator_server
    emulator.reset()
    cases = []
    for case_id, (module, args, arm, _texts) in sorted(CASES.items()):
        full = {"api_key": emulator.api_key}
        for key, value in args.items():
            if isinstance(value, str):
                value = value.format(base=emulator.url)
            full[key] = value
        full = {k: v for k, v in full.items() if v is not None}
        cases.append({"id": case_id, "module": module, "args": full, "arm": arm or {}})
    run = run_playbook(emulator, PLAYBOOK, tmp_path_factory.mktemp("errors"), extra_vars={
        "ctl_url": emulator.url, "ctl_token": emulator.control_token, "cases": cases},
        env={"BINTU_API_KEY": None})
    assert run.rc == 0, run.output[-6000:]
    return run.result("outcomes"), run


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_error_names_cause_and_next_step(case_id, outcomes):
    results, run = outcomes
    result = results[case_id]
    assert result.get("failed"), "%s did not fail" % case_id
    msg = result["msg"]
    missing = [t for t in CASES[case_id][3] if t not in msg]
    assert not missing, "%s: message lacks %s: %s" % (case_id, missing, msg)
    for secret in (WRONG_KEY, WRONG_TOKEN):
        assert secret not in msg
        assert secret not in run.output
