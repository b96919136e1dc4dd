# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only action: talk to the emulator's control API from a playbook, in the controller process.

Options: url, token, op (configure | disarm | clear_log | snapshot), config (for configure).
``snapshot`` returns ``requests`` (the request log) and ``streams`` (the whole store).
"""

from __future__ import annotations

import json
import urllib.request

from ansible.plugins.action import ActionBase

NO_FAULTS = {"fail_next": None, "fail_rate": None, "reset_next": None, "drop_after_commit": None,
             "delay_next": None, "latency_ms": 0}


def _call(url, token, method, path, body=None):
    data = json.dumps(body).encode("utf-8") if body is not None else None
    request = urllib.request.Request(url.rstrip("/") + "/_emulator/" + path, data=data, method=method,
                                     headers={"X-Emulator-Control": token, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:  # nosec - local emulator only
        return json.loads(response.read().decode("utf-8"))


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        url, token, op = args["url"], args["token"], args["op"]
        if op == "configure":
            _call(url, token, "PATCH", "config", dict(args.get("config") or {}))
        elif op == "disarm":
            _call(url, token, "PATCH", "config", NO_FAULTS)
        elif op == "clear_log":
            _call(url, token, "DELETE", "requests")
        elif op == "snapshot":
            result["requests"] = _call(url, token, "GET", "requests")["requests"]
            result["streams"] = _call(url, token, "GET", "streams")["streams"]
        else:
            result.update(failed=True, msg="unknown op %r" % op)
        result["changed"] = False
        return result
