# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers for the module integration tests (real ansible-playbook against the emulator).

Playbooks separate their steps with marker tasks: ``bintu_stream_info`` with
``name: marker-<step>``, which shows up in the emulator's request log as
``GET /stream?tags[]=name:marker-<step>``. ``segments()`` cuts the log at those
markers, so one playbook run can assert the request cost of each step.
"""

from __future__ import annotations

import urllib.parse

import pytest

MARKER_PREFIX = "name:marker-"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def query_tags(entry):
    """The tags[] values of a logged request."""
    params = urllib.parse.parse_qsl(entry.get("query") or "", keep_blank_values=True)
    return [value for key, value in params if key in ("tags[]", "tags")]


def query_param(entry, name):
    params = dict(urllib.parse.parse_qsl(entry.get("query") or "", keep_blank_values=True))
    return params.get(name)


def marker_of(entry):
    if entry["method"] != "GET" or entry["path"] != "/stream":
        return None
    for tag in query_tags(entry):
        if tag.startswith(MARKER_PREFIX):
            return tag[len(MARKER_PREFIX):]
    return None


def segments(log, first="start"):
    """{step: [log entries]} where each marker task starts a new step (markers themselves left out)."""
    found = {first: []}
    current = first
    for entry in log:
        marker = marker_of(entry)
        if marker is not None:
            current = marker
            assert current not in found, "marker %s used twice" % current
            found[current] = []
            continue
        found[current].append(entry)
    return found


def calls(entries):
    """Compact 'METHOD path' list of log entries."""
    return ["%s %s" % (e["method"], e["path"]) for e in entries]


def writes(entries):
    return [e for e in entries if e["method"] in WRITE_METHODS]


def live_passthroughs(emulator, name=None, tag=None):
    """Stored passthroughs that are not deleted, optionally only those named name / carrying tag."""
    found = []
    for stream in emulator.streams():
        if stream.get("state") == "deleted" or stream.get("streamgroup") not in (None, stream["id"]):
            continue
        tags = stream.get("tags") or []
        if name is not None and "name:%s" % name not in tags:
            continue
        if tag is not None and tag not in tags:
            continue
        found.append(stream)
    return found


def members(emulator, group_id):
    """Stored members (not deleted) of a stream group."""
    return [s for s in emulator.streams()
            if s.get("streamgroup") == group_id and s["id"] != group_id and s.get("state") != "deleted"]


class StreamTools:
    """The helpers above, handed to tests as the ``tools`` fixture."""

    segments = staticmethod(segments)
    calls = staticmethod(calls)
    writes = staticmethod(writes)
    live_passthroughs = staticmethod(live_passthroughs)
    members = staticmethod(members)
    query_tags = staticmethod(query_tags)
    query_param = staticmethod(query_param)


@pytest.fixture
def tools():
    """Log and state helpers for the module integration tests."""
    return StreamTools


@pytest.fixture
def playbook_vars(emulator):
    """Extra vars every module playbook gets: emulator URL and control token (for encoder state changes)."""
    return {"emulator_url": emulator.url, "control_token": emulator.control_token}
