# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""429 Retry-After over real HTTP: honoured, capped, and bounded by api_retries.

The transport (the same BintuClient the modules use) talks to the emulator; only its
sleep function is replaced by a recorder, so the waits it chose can be read exactly
without the test waiting for them. The playbook-level 429 runs are in
test_reliability_faults.py.
"""

from __future__ import annotations

import pytest

from ansible_collections.nanocosmos.bintu.plugins.module_utils._api import (
    RETRY_AFTER_CAP,
    BintuApiError,
    BintuClient,
)


def _client(emulator, waits, retries=3):
    return BintuClient(api_url=emulator.url, api_key=emulator.api_key, retries=retries, timeout=10,
                       sleep=waits.append)


def test_retry_after_is_honoured(emulator):
    emulator.configure(fail_next={"status": 429, "count": 2, "retry_after": 7})
    waits = []
    assert _client(emulator, waits).list_streams() == []
    assert waits == [7.0, 7.0]
    assert [e["status"] for e in emulator.requests()] == [429, 429, 200]


def test_retry_after_is_capped(emulator):
    emulator.configure(fail_next={"status": 429, "count": 1, "retry_after": 3600})
    waits = []
    assert _client(emulator, waits).list_streams() == []
    assert waits == [RETRY_AFTER_CAP]
    assert RETRY_AFTER_CAP <= 60


def test_persistent_429_gives_up_after_api_retries(emulator):
    emulator.configure(fail_rate={"status": 429, "rate": 1.0, "retry_after": 2})
    waits = []
    with pytest.raises(BintuApiError) as caught:
        _client(emulator, waits, retries=2).list_streams()
    assert caught.value.status == 429
    assert "gave up after 3 attempts" in str(caught.value)
    assert waits == [2.0, 2.0]
    assert [e["status"] for e in emulator.requests()] == [429, 429, 429]


def test_429_on_create_is_retried_without_a_duplicate(emulator):
    """A 429 is an answer before any work: the POST is sent again, and one stream results."""
    emulator.configure(fail_next={"status": 429, "count": 1, "retry_after": 1, "method": "POST"})
    waits = []
    created = _client(emulator, waits).create_stream({"tags": ["name:retry-after/one"]})
    assert created["id"]
    assert waits == [1.0]
    assert len([s for s in emulator.streams() if "name:retry-after/one" in s["tags"]]) == 1
