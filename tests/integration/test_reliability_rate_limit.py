# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""api_rate_limit holds for a bulk run: one budget shared by all worker threads.

The emulator's request log has no timestamps, so the checks are lower bounds on
elapsed time, which a limiter that lets requests through too fast cannot meet:
the module call takes at least (requests - 1) / rate seconds, and the streams it
creates (created_at, stamped by the emulator) are spread out at no more than
``rate`` per second, also across the four worker threads.
"""

from __future__ import annotations

from datetime import datetime

from reliability_support import PLAYBOOKS, check_store

PLAYBOOK = PLAYBOOKS / "reliability_rate_limit.yml"
RATE = 5.0
SLACK = 0.75  # tolerate a late first answer; a limiter per thread would be 4x too fast


def _ts(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


def test_rate_limit_holds_across_threads(ansible_playbook, emulator):
    streams = [{"name": "rate-limit/s%02d" % i, "tags": ["n:%d" % i]} for i in range(9)]
    run = ansible_playbook(PLAYBOOK, extra_vars={"rate": RATE, "concurrency": 4, "streams": streams})
    data = run.result("bulk")
    assert data["result"]["summary"]["created"] == 9
    check_store(emulator.streams(), [s["name"] for s in streams])

    log = emulator.requests()
    assert len(log) >= 19, log  # 1 listing + 9 lookups + 9 creates + 1 check
    # the whole call: n requests need (n - 1) intervals at least
    assert data["elapsed"] >= (len(log) - 1) / RATE * 0.95, (data["elapsed"], len(log))

    created = sorted(_ts(s["created_at"]) for s in emulator.streams() if s["id"] == s["streamgroup"])
    assert len(created) == 9
    interval = 1.0 / RATE
    # any k consecutive creates span at least (k - 1) intervals (with slack for answer jitter)
    for window in (5, 9):
        for i in range(len(created) - window + 1):
            span = created[i + window - 1] - created[i]
            assert span >= (window - 1) * interval * SLACK, (window, i, span, created)


def test_rate_limit_zero_means_off_and_negative_is_rejected(ansible_playbook, emulator):
    streams = [{"name": "rate-limit/neg"}]
    run = ansible_playbook(PLAYBOOK, extra_vars={"rate": -1, "concurrency": 1, "streams": streams}, expect_rc=2)
    assert "api_rate_limit must be 0 (off) or a number of requests per second greater than 0" in run.stdout
    assert emulator.requests() == []
