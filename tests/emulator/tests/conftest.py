# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers for the emulator suite (the emulator fixtures live in tests/conftest.py)."""

from __future__ import annotations

import pytest

LADDER = ["vtrans2-852x480x800x25", "vtrans2-640x360x400x25"]


@pytest.fixture
def create(emulator):
    """``create(body=None)``: POST /stream, check 200, return the stream object."""
    def _create(body=None):
        resp = emulator.call("POST", "/stream", body if body is not None else {})
        assert resp.status == 200, resp
        return resp.json
    return _create


@pytest.fixture
def ladder_stream(create):
    """A passthrough with two transcodes (tags on everything)."""
    return create({"tags": ["event:demo", "name:cam1"],
                   "transcodes": [{"profile": LADDER[0], "tags": ["q:high"]}, {"profile": LADDER[1], "tags": ["q:low"]}]})
