# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""api_rate_limit holds for a bulk run: one budget shared by all worker threads.

Lower bounds on elapsed time, which a limiter that lets requests through too fast
cannot meet: the module call takes at least (requests - 1) / rate seconds, and the
streams it creates (created_at, stamped by the emulator) are spread out at no more
than ``rate`` per second, also across the four worker threads. And an upper bound
on the rate itself, from the arrival times in the emulator's request log: no window
of WINDOW seconds holds more requests than the limiter's token bucket can release.
"""

from __future__ import annotations

import math
from datetime import datetime

from reliability_support import PLAYBOOKS, check_store

PLAYBOOK = PLAYBOOKS / "reliability_rate_limit.yml"
RATE = 5.0
SLACK = 0.75  # tolerate a late first answer; a limiter per thread would be 4x too fast
WINDOW = 1.0
# plugins/module_utils/_api.py RateLimiter: a token bucket of capacity 1 (no tokens are
# saved up while idle; each request is let through no earlier than 1/rate after the one
# before). So the burst is 1 request, and any closed window of W seconds holds at most
# BURST + floor(rate * W) requests: the first one plus one per full interval after it.
BURST = 1
MAX_PER_WINDOW = BURST + math.floor(RATE * WINDOW)  # 6 for 5 requests per second (= ceil(rate) + 1)


def _max_in_window(times, window):
    """The largest number of the (sorted) times that fit in one closed window of ``window`` seconds."""
    most = 0
    end = 0
    for start, first in enumerate(times):
        while end < len(times) and times[end] - first <= window:
            end += 1
        most = max(most, end - start)
    return most


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

    # upper bound from the arrival times: no 1-second window holds more than the bucket releases
    arrivals = sorted(entry["time"] for entry in log)
    busiest = _max_in_window(arrivals, WINDOW)
    assert busiest <= MAX_PER_WINDOW, (busiest, MAX_PER_WINDOW, [round(t - arrivals[0], 3) for t in arrivals])

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
