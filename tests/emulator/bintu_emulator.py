# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bintu emulator: a stateful local stand-in for the nanoStream Cloud Bintu REST API.

Standard library only. Start it with::

    python tests/emulator/bintu_emulator.py --port 0

The first line on stdout is the base URL. See tests/emulator/README.md for the
flags, switches, faults and the control API under ``/_emulator/``.
"""

from __future__ import annotations

import argparse
import copy
import functools
import hmac
import json
import random
import re
import signal
import socket
import sqlite3
import string
import struct
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

VERSION = "1.0.0"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8089
DEFAULT_API_KEY = "emulator-api-key"
DEFAULT_API_TOKEN = "emulator-api-token"
DEFAULT_CONTROL_TOKEN = "emulator-control"
DEFAULT_ORG_NAME = "Bintu Emulator"
CONTROL_HEADER = "X-Emulator-Control"
CONTROL_PREFIX = "/_emulator"
MAX_BODY = 4 * 1024 * 1024
REQUEST_LOG_MAX = 100000
ALNUM = string.ascii_letters + string.digits

# Hosts used in stream objects (bintu-api.md section 5).
INGEST_RTMP = "rtmp://bintu-stream.nanocosmos.de:1935/live"
INGEST_RTMP_VTRANS = "rtmp://bintu-vtrans.nanocosmos.de:1935/live"
PLAYOUT_RTMP = "rtmp://bintu-play.nanocosmos.de:80/play"
H5LIVE_WEBSOCKET = "wss://bintu-play.nanocosmos.de:443/h5live/stream/stream.mp4"
H5LIVE_HLS = "https://bintu-play.nanocosmos.de:443/h5live/http/playlist.m3u8"
H5LIVE_PROGRESSIVE = "https://bintu-play.nanocosmos.de:443/h5live/http/stream.mp4"
WEB_PLAYOUT = "https://dashboard.nanostream.cloud/playout/"

STATES = ("created", "live", "ended", "locked")
LIST_STATES = STATES + ("deleted",)
PROCESSING_IDS = ("rec", "replay", "thumbs", "motionclip")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

# --------------------------------------------------------------------------
# Transcoding profiles (bintu-api.md section 4)
# --------------------------------------------------------------------------

PROFILE_FAMILIES = ("vtrans", "vtrans2")
PROFILE_SUFFIXES = (
    "2000x30", "2000x25", "1600x30", "1600x25", "1000k", "1000x30", "1000x25", "800k", "400k", "400k15",
    "1280x720x2000x30", "1280x720x2000x25", "1280x720x1600x30", "1280x720x1600x25",
    "1280x720x1200x30", "1280x720x1200x25", "1280x720x1000x30", "1280x720x1000x25",
    "852x480x800x30", "852x480x800x25", "852x480x640x30", "852x480x640x25",
    "640x360x400", "640x360x400x25", "640x360x300x15", "480x360x300x15", "480x270x250x15",
    "426x240x200x15", "320x240x200x15",
)
KNOWN_PROFILES = frozenset("%s-%s" % (family, suffix) for family in PROFILE_FAMILIES for suffix in PROFILE_SUFFIXES)
_NUM = r"([1-9][0-9]{0,5})"
PROFILE_FULL_RE = re.compile(r"^(?:vtrans|vtrans2)-%sx%sx%sx%s$" % (_NUM, _NUM, _NUM, _NUM))
_SUFFIX_FORMS = (
    (re.compile(r"^%sx%sx%sx%s$" % (_NUM, _NUM, _NUM, _NUM)), ("width", "height", "bitrate", "fps")),
    (re.compile(r"^%sx%sx%s$" % (_NUM, _NUM, _NUM)), ("width", "height", "bitrate")),
    (re.compile(r"^%sx%s$" % (_NUM, _NUM)), ("bitrate", "fps")),
    (re.compile(r"^%sk%s$" % (_NUM, _NUM)), ("bitrate", "fps")),
    (re.compile(r"^%sk$" % _NUM), ("bitrate",)),
)


def profile_is_valid(name):
    """True for the 58 listed names and any ``<vtrans|vtrans2>-WxHxKBPSxFPS``."""
    return isinstance(name, str) and (name in KNOWN_PROFILES or PROFILE_FULL_RE.match(name) is not None)


@functools.lru_cache(maxsize=1024)
def _profile_numbers(name):
    info = {"width": None, "height": None, "bitrate": None, "fps": None}
    if name and "-" in name:
        suffix = name.split("-", 1)[1]
        for pattern, fields in _SUFFIX_FORMS:
            match = pattern.match(suffix)
            if match:
                for field, value in zip(fields, match.groups()):
                    info[field] = int(value)
                break
    return tuple(info.items())


def profile_info(name):
    """``{width, height, bitrate, fps}`` from a profile name; parts the name lacks are None."""
    return dict(_profile_numbers(name))


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------

class ApiError(Exception):
    """An error answered in the Bintu envelope ``{"error": {"message", "code", "userinfo"}}``."""

    def __init__(self, status, message, code, userinfo=None, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.userinfo = userinfo
        self.headers = headers or {}

    def payload(self):
        """The envelope as a dict."""
        error = {"message": self.message, "code": self.code}
        if self.userinfo is not None:
            error["userinfo"] = self.userinfo
        return {"error": error}


def required(parameter):
    """400 / 1002 Parameter required."""
    return ApiError(400, "Parameter required", 1002, {"required_parameter": parameter})


def not_unique(parameter):
    """400 / 1003 Parameter not unique."""
    return ApiError(400, "Parameter not unique", 1003, {"duplicated_parameter": parameter})


def wrong_type(parameter, type_name):
    """400 / 1004 Wrong Data Type."""
    return ApiError(400, "Wrong Data Type", 1004, {"parameter": parameter, "type": type_name})


def profile_unavailable(name, parameter):
    """400 / 3002 Stream Type is not available (unknown transcoding profile)."""
    return ApiError(400, "Stream Type is not available", 3002, {"stream_type": name, "parameter": parameter})


def _status_phrase(status):
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def generic_error(status, fault=None):
    """An error without a documented Bintu code: the HTTP status doubles as the code."""
    return ApiError(status, _status_phrase(status), status, {"fault": fault} if fault else None)


def org_not_enabled():
    """403 Organisation is not enabled (Bintu's code for it is unknown; 2003 sits in the access family)."""
    return ApiError(403, "Organisation is not enabled", 2003)


def fault_error(name, fault):
    """The error a fail_next / fail_rate fault answers.

    Without ``code``, ``message`` and ``userinfo`` it is the generic error marked
    ``{"fault": name}``; with any of them it is exactly that error: ``code``
    defaults to the status, ``message`` to the HTTP reason phrase, ``userinfo``
    is left out unless given.
    """
    code, message, userinfo = fault.get("code"), fault.get("message"), fault.get("userinfo")
    if code is None and message is None and userinfo is None:
        return generic_error(fault["status"], name)
    return ApiError(fault["status"], _status_phrase(fault["status"]) if message is None else message,
                    fault["status"] if code is None else code, userinfo)


# --------------------------------------------------------------------------
# Switches and faults
# --------------------------------------------------------------------------

def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _choice(*choices):
    def check(value):
        if isinstance(value, bool) or value not in choices:
            raise ValueError("must be one of %s" % ", ".join(json.dumps(c) for c in choices))
        return value
    return check


def _boolean(value):
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _wrap_key(value):
    if not isinstance(value, str) or not value:
        raise ValueError("must be a non-empty string")
    return value


def _optional_positive_int(value):
    if value is None:
        return None
    if not _is_int(value) or value < 1:
        raise ValueError("must be null or a positive integer")
    return value


def _non_negative_int(value):
    if not _is_int(value) or value < 0:
        raise ValueError("must be a non-negative integer")
    return value


def _positive_int(value):
    if not _is_int(value) or value < 1:
        raise ValueError("must be a positive integer")
    return value


def _error_status(value):
    if not _is_int(value) or not 400 <= value <= 599:
        raise ValueError("must be an HTTP error status 400-599")
    return value


def _rate(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise ValueError("must be a number in (0, 1]")
    return float(value)


def _optional_retry_after(value):
    if value is None:
        return None
    return _non_negative_int(value)


def _optional_code(value):
    if value is None:
        return None
    if not _is_int(value):
        raise ValueError("must be null or an integer")
    return value


def _optional_message(value):
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ValueError("must be null or a non-empty string")
    return value


def _optional_object(value):
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("must be null or an object")
    return value


def _method(value):
    if value is None:
        return None
    if not isinstance(value, str) or value.upper() not in HTTP_METHODS:
        raise ValueError("must be null or an HTTP method")
    return value.upper()


def _fault(fields):
    """Validator for a fault object; ``fields`` maps name -> (validator, default or REQUIRED)."""
    def check(value):
        if value is None:
            return None
        if _is_int(value) and "count" in fields:
            value = {"count": value}
        if not isinstance(value, dict):
            raise ValueError("must be null or an object with keys %s" % ", ".join(fields))
        unknown = sorted(set(value) - set(fields))
        if unknown:
            raise ValueError("unknown key(s) %s" % ", ".join(unknown))
        result = {}
        for name, (validator, default) in fields.items():
            if name in value:
                result[name] = validator(value[name])
            elif default is _REQUIRED:
                raise ValueError("needs key %r" % name)
            else:
                result[name] = default
        return result
    return check


_REQUIRED = object()

SWITCHES = {
    "create_status": (_choice(200, 201), 200),
    "list_shape": (_choice("array", "wrapped"), "array"),
    "list_wrap_key": (_wrap_key, "data"),
    "list_members": (_boolean, False),
    "auth_error": (_choice(401, 403), 401),
    "tag_order": (_choice("request", "sorted"), "request"),
    "quantity_cap": (_optional_positive_int, None),
    "not_found_status": (_choice(404, 400), 404),
    "delete_status": (_choice(200, 204), 200),
    "org_enabled": (_boolean, True),
}

# What an error fault answers (all optional; see fault_error).
ERROR_BODY = {"code": (_optional_code, None), "message": (_optional_message, None),
              "userinfo": (_optional_object, None)}

FAULTS = {
    "latency_ms": (_non_negative_int, 0),
    "fail_next": (_fault(dict({"status": (_error_status, _REQUIRED), "count": (_positive_int, 1),
                               "retry_after": (_optional_retry_after, None), "method": (_method, None)},
                              **ERROR_BODY)), None),
    "fail_rate": (_fault(dict({"status": (_error_status, _REQUIRED), "rate": (_rate, _REQUIRED),
                               "retry_after": (_optional_retry_after, None), "method": (_method, None)},
                              **ERROR_BODY)), None),
    "reset_next": (_fault({"count": (_positive_int, 1), "method": (_method, None)}), None),
    "drop_after_commit": (_fault({"count": (_positive_int, 1)}), None),
    "delay_next": (_fault({"count": (_positive_int, 1), "ms": (_non_negative_int, _REQUIRED),
                           "method": (_method, None)}), None),
}

SETTINGS = dict(SWITCHES)
SETTINGS.update(FAULTS)


def validate_settings(patch):
    """Validate a partial config; return the normalised values or raise ApiError (400/1004)."""
    if not isinstance(patch, dict):
        raise wrong_type("body", "object")
    result = {}
    for key, value in patch.items():
        if key not in SETTINGS:
            raise ApiError(400, "Unknown config key", 1004, {"parameter": key, "type": "known switch or fault"})
        try:
            result[key] = SETTINGS[key][0](value)
        except ValueError as exc:
            raise ApiError(400, "Wrong Data Type", 1004, {"parameter": key, "type": str(exc)}) from None
    return result


class Settings:
    """Current switches and faults; counting faults are consumed atomically."""

    def __init__(self, startup):
        self._lock = threading.Lock()
        self._startup = {key: default for key, (_validator, default) in SETTINGS.items()}
        self._startup.update(startup)
        self._values = {}
        self._rate_credit = 0.0
        self.reset()

    def reset(self):
        """Restore the start-up switches and clear every fault."""
        with self._lock:
            self._values = {key: copy.deepcopy(self._startup[key]) for key in SWITCHES}
            self._values.update({key: default for key, (_validator, default) in FAULTS.items()})
            self._rate_credit = 0.0

    def apply_startup_faults(self):
        """Arm the faults given on the command line (start-up only; reset clears them)."""
        with self._lock:
            for key in FAULTS:
                self._values[key] = copy.deepcopy(self._startup[key])

    def snapshot(self):
        """All switches and faults."""
        with self._lock:
            return copy.deepcopy(self._values)

    def update(self, patch):
        """Merge an already validated partial config; return the full config."""
        with self._lock:
            for key, value in patch.items():
                self._values[key] = copy.deepcopy(value)
                if key == "fail_rate":
                    self._rate_credit = 0.0
            return copy.deepcopy(self._values)

    def __getitem__(self, key):
        return self._values[key]

    def take(self, key, method):
        """If fault ``key`` applies to ``method``, consume one count and return a copy of it."""
        if self._values[key] is None:
            return None
        with self._lock:
            fault = self._values[key]
            if fault is None or (fault.get("method") and fault["method"] != method):
                return None
            taken = dict(fault)
            if fault["count"] <= 1:
                self._values[key] = None
            else:
                self._values[key] = dict(fault, count=fault["count"] - 1)
            return taken

    def take_rate(self, method):
        """Deterministic fail_rate: a request fails whenever the accumulated rate reaches 1."""
        if self._values["fail_rate"] is None:
            return None
        with self._lock:
            fault = self._values["fail_rate"]
            if fault is None or (fault.get("method") and fault["method"] != method):
                return None
            self._rate_credit += fault["rate"]
            if self._rate_credit >= 1.0 - 1e-9:
                self._rate_credit -= 1.0
                return dict(fault)
            return None


# --------------------------------------------------------------------------
# Storage
# --------------------------------------------------------------------------

SCHEMA = """
CREATE TABLE IF NOT EXISTS streams (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    streamgroup TEXT NOT NULL,
    idx INTEGER NOT NULL,
    profile TEXT,
    streamname TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    prev_state TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    tags TEXT NOT NULL,
    processing TEXT NOT NULL,
    webrtc INTEGER NOT NULL,
    transcoding INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS streams_group ON streams (streamgroup, idx);
CREATE INDEX IF NOT EXISTS streams_order ON streams (created_at, seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""

COLUMNS = ("seq", "id", "streamgroup", "idx", "profile", "streamname", "state", "prev_state",
           "created_at", "updated_at", "tags", "processing", "webrtc", "transcoding")
SELECT = "SELECT %s FROM streams" % ", ".join(COLUMNS)


def utc_now():
    """ISO-8601 UTC with milliseconds, e.g. 2016-04-25T11:51:05.200Z."""
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (now.microsecond // 1000)


_DECODE = json.JSONDecoder().decode


def _json_list(text):
    return [] if text == "[]" else _DECODE(text)


def _row(values):
    row = dict(zip(COLUMNS, values))
    row["tags"] = _json_list(row["tags"])
    row["processing"] = _json_list(row["processing"])
    row["webrtc"] = bool(row["webrtc"])
    row["transcoding"] = bool(row["transcoding"])
    return row


class Store:
    """Streams and organisation data in SQLite: one connection, one lock, one transaction per write."""

    def __init__(self, path=None, org_hash=None, org_name=DEFAULT_ORG_NAME):
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path or ":memory:", check_same_thread=False, isolation_level=None)
        if path:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        with self._lock:
            meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
            if org_hash:
                meta["org_hash"] = org_hash
            meta.setdefault("org_hash", "".join(random.choices(ALNUM, k=5)))
            meta.setdefault("org_id", str(uuid.uuid4()))
            meta.setdefault("org_created_at", utc_now())
            meta.setdefault("webhook", json.dumps(None))
            meta["org_name"] = org_name
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", sorted(meta.items()))
            self._db.execute("COMMIT")
        self.org_hash = meta["org_hash"]

    def close(self):
        """Close the database."""
        with self._lock:
            self._db.close()

    def _write(self, func, *args):
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = func(*args)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return result

    def _new_streamname(self):
        while True:
            name = "%s-%s" % (self.org_hash, "".join(random.choices(ALNUM, k=5)))
            if self._db.execute("SELECT 1 FROM streams WHERE streamname = ?", (name,)).fetchone() is None:
                return name

    # -- writes ---------------------------------------------------------------

    def create(self, tags, transcodes, processing, webrtc, transcoding):
        """Insert a passthrough and one member per transcode ``(profile, tags)``; return the passthrough id."""
        return self._write(self._create, tags, transcodes, processing, webrtc, transcoding)

    def _create(self, tags, transcodes, processing, webrtc, transcoding):
        group_id = str(uuid.uuid4())
        now = utc_now()
        members = [(None, tags)] + list(transcodes)
        for index, (profile, member_tags) in enumerate(members):
            stream_id = group_id if index == 0 else str(uuid.uuid4())
            member_processing = processing[index] if index < len(processing) else []
            self._db.execute(
                "INSERT INTO streams (id, streamgroup, idx, profile, streamname, state, prev_state, created_at,"
                " updated_at, tags, processing, webrtc, transcoding) VALUES (?, ?, ?, ?, ?, 'created', NULL, ?, ?, ?, ?, ?, ?)",
                (stream_id, group_id, index, profile, self._new_streamname(), now, now, json.dumps(member_tags),
                 json.dumps(member_processing), int(webrtc), int(transcoding)))
        return group_id

    def set_tags(self, stream_id, tags):
        """Replace a stream's tags; False if it does not exist (or is deleted)."""
        return self._write(self._set_tags, stream_id, tags)

    def _set_tags(self, stream_id, tags):
        cur = self._db.execute("UPDATE streams SET tags = ?, updated_at = ? WHERE id = ? AND state != 'deleted'",
                               (json.dumps(tags), utc_now(), stream_id))
        return cur.rowcount > 0

    def _targets(self, stream_id, members):
        row = self._db.execute("SELECT idx, streamgroup FROM streams WHERE id = ? AND state != 'deleted'",
                               (stream_id,)).fetchone()
        if row is None:
            return None
        if row[0] == 0 and members:
            return [r[0] for r in self._db.execute(
                "SELECT id FROM streams WHERE streamgroup = ? AND state != 'deleted' ORDER BY idx", (row[1],))]
        return [stream_id]

    def delete(self, stream_id):
        """Soft-delete a stream (a passthrough takes its members); return the deleted ids or None."""
        return self._write(self._transition, stream_id, True, lambda state, prev: ("deleted", state))

    def transition(self, stream_id, func, members=True):
        """Apply ``func(state, prev_state) -> (state, prev_state)`` to a stream (and its members)."""
        return self._write(self._transition, stream_id, members, func)

    def _transition(self, stream_id, members, func):
        targets = self._targets(stream_id, members)
        if targets is None:
            return None
        now = utc_now()
        for target in targets:
            state, prev = self._db.execute("SELECT state, prev_state FROM streams WHERE id = ?", (target,)).fetchone()
            new_state, new_prev = func(state, prev)
            if (new_state, new_prev) != (state, prev):
                self._db.execute("UPDATE streams SET state = ?, prev_state = ?, updated_at = ? WHERE id = ?",
                                 (new_state, new_prev, now, target))
        return targets

    def clear(self):
        """Drop every stream and the webhook."""
        def _clear():
            self._db.execute("DELETE FROM streams")
            self._db.execute("UPDATE meta SET value = ? WHERE key = 'webhook'", (json.dumps(None),))
        self._write(_clear)

    def set_webhook(self, url):
        """Store the organisation webhook (None clears it)."""
        self._write(lambda: self._db.execute("UPDATE meta SET value = ? WHERE key = 'webhook'", (json.dumps(url),)))

    # -- reads ----------------------------------------------------------------

    def organisation(self):
        """The organisation record."""
        with self._lock:
            meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        return {"id": meta["org_id"], "name": meta["org_name"], "hash": meta["org_hash"],
                "webhook": json.loads(meta["webhook"]), "created_at": meta["org_created_at"]}

    def _groups(self, rows):
        group_ids = sorted({row["streamgroup"] for row in rows})
        groups = {gid: [] for gid in group_ids}
        for start in range(0, len(group_ids), 500):
            chunk = group_ids[start:start + 500]
            query = "%s WHERE streamgroup IN (%s) ORDER BY idx" % (SELECT, ", ".join("?" * len(chunk)))
            for values in self._db.execute(query, chunk):
                member = _row(values)
                groups[member["streamgroup"]].append(member)
        return groups

    def get(self, stream_id):
        """``(row, group_rows)`` of a non-deleted stream, or None."""
        with self._lock:
            values = self._db.execute(SELECT + " WHERE id = ? AND state != 'deleted'", (stream_id,)).fetchone()
            if values is None:
                return None
            row = _row(values)
            cursor = self._db.execute(SELECT + " WHERE streamgroup = ? ORDER BY idx", (row["streamgroup"],))
            group = [_row(v) for v in cursor]
        return row, group

    def query(self, quantity, tags, state, members):
        """Newest first: ``[(row, group_rows)]`` filtered by tags (AND), state and membership."""
        where = []
        params = []
        if state:
            where.append("state = ?")
            params.append(state)
        else:
            where.append("state != 'deleted'")
        if not members:
            where.append("idx = 0")
        for tag in tags:
            where.append("EXISTS (SELECT 1 FROM json_each(streams.tags) WHERE json_each.value = ?)")
            params.append(tag)
        sql = "SELECT id, streamgroup FROM streams WHERE %s ORDER BY created_at DESC, seq DESC LIMIT ?" % " AND ".join(where)
        params.append(quantity)
        with self._lock:
            found = self._db.execute(sql, params).fetchall()
            groups = self._groups([{"streamgroup": group_id} for _stream_id, group_id in found])
        result = []
        for stream_id, group_id in found:
            group = groups[group_id]
            result.append((next(member for member in group if member["id"] == stream_id), group))
        return result

    def all_streams(self):
        """Every stored stream (members and deleted ones too), oldest first, with its group."""
        with self._lock:
            rows = [_row(v) for v in self._db.execute(SELECT + " ORDER BY seq")]
            groups = self._groups(rows)
        return [(row, groups[row["streamgroup"]]) for row in rows]


# --------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------

def render_stream(row, group, tag_order="request"):
    """The Bintu stream object of ``row``; ``group`` = all stored rows of its stream group."""
    def tags_of(member):
        return sorted(member["tags"]) if tag_order == "sorted" else list(member["tags"])

    if row["state"] == "deleted":
        listed = list(group)
    else:
        listed = [member for member in group if member["state"] != "deleted"]
    has_transcodes = any(member["idx"] > 0 for member in group)
    ingest_url = INGEST_RTMP_VTRANS if has_transcodes else INGEST_RTMP
    rtmp, hls, h5live = [], [], []
    for index, member in enumerate(listed):
        name = member["streamname"]
        member_tags = tags_of(member)
        rtmp.append({"index": index, "id": member["id"], "url": PLAYOUT_RTMP, "streamname": name, "type": "live",
                     "tags": member_tags, "processing": list(member["processing"])})
        hls.append({"index": index, "id": member["id"], "type": "live",
                    "url": "%s?url=%s&stream=%s" % (H5LIVE_HLS, "rtmp://localhost/play", name)})
        h5live.append({"index": index, "id": member["id"], "streamname": name,
                       "rtmp": {"url": PLAYOUT_RTMP, "streamname": name},
                       "server": {"websocket": H5LIVE_WEBSOCKET, "hls": H5LIVE_HLS, "progressive": H5LIVE_PROGRESSIVE},
                       "info": profile_info(member["profile"]), "tags": member_tags,
                       "processing": list(member["processing"])})
    return {
        "id": row["id"],
        "streamgroup": row["streamgroup"],
        "state": row["state"],
        "type": "low-latency",
        "created_at": row["created_at"],
        "tags": tags_of(row),
        "webrtc": row["webrtc"],
        "transcoding": row["transcoding"],
        "ingest": {"rtmp": {"url": ingest_url, "streamname": row["streamname"]}},
        "playout": {"rtmp": rtmp, "hls": hls, "h5live": h5live,
                    "web": [{"url": WEB_PLAYOUT + row["id"], "type": "live"}]},
    }


# --------------------------------------------------------------------------
# Request validation
# --------------------------------------------------------------------------

def parse_json_body(body):
    """Decode a request body: empty -> {}; malformed -> 1004; not an object -> 1004."""
    if not body or not body.strip():
        return {}
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise wrong_type("body", "json") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise wrong_type("body", "object")
    return data


def check_tags(value, parameter):
    """A list of unique non-empty strings."""
    if not isinstance(value, list):
        raise wrong_type(parameter, "array")
    for position, tag in enumerate(value):
        if not isinstance(tag, str) or not tag:
            raise wrong_type("%s[%d]" % (parameter, position), "string")
    if len(set(value)) != len(value):
        raise not_unique(parameter)
    return list(value)


def check_bool(data, key, default):
    """An optional boolean field."""
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise wrong_type(key, "boolean")
    return value


def check_transcodes(value):
    """``transcodes: [{profile, tags?}]`` -> ``[(profile, tags)]``."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise wrong_type("transcodes", "array")
    result = []
    for position, item in enumerate(value):
        where = "transcodes[%d]" % position
        if not isinstance(item, dict):
            raise wrong_type(where, "object")
        profile = item.get("profile")
        if profile is None:
            raise required(where + ".profile")
        if not isinstance(profile, str):
            raise wrong_type(where + ".profile", "string")
        if not profile_is_valid(profile):
            raise profile_unavailable(profile, where + ".profile")
        tags = item.get("tags")
        result.append((profile, [] if tags is None else check_tags(tags, where + ".tags")))
    return result


def check_processing(value, members):
    """``processing: [[{id, duration?, interval?}]]``, one inner list per group member."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise wrong_type("processing", "array")
    result = []
    for outer, entries in enumerate(value[:members]):
        if not isinstance(entries, list):
            raise wrong_type("processing[%d]" % outer, "array")
        checked = []
        for inner, entry in enumerate(entries):
            where = "processing[%d][%d]" % (outer, inner)
            if not isinstance(entry, dict):
                raise wrong_type(where, "object")
            if entry.get("id") not in PROCESSING_IDS:
                raise wrong_type(where + ".id", "one of %s" % ", ".join(PROCESSING_IDS))
            for key in ("duration", "interval"):
                if key in entry and entry[key] is not None and not _is_int(entry[key]):
                    raise wrong_type("%s.%s" % (where, key), "integer")
            checked.append(dict(entry))
        result.append(checked)
    return result


# --------------------------------------------------------------------------
# The application
# --------------------------------------------------------------------------

class Response:
    """A JSON answer (``payload`` None = empty body)."""

    __slots__ = ("status", "payload", "headers")

    def __init__(self, status, payload=None, headers=None):
        self.status = status
        self.payload = payload
        self.headers = headers or {}


ROUTES = (
    ("stream", re.compile(r"^/stream$")),
    ("stream_group", re.compile(r"^/stream/([^/]+)/group$")),
    ("stream_tag", re.compile(r"^/stream/([^/]+)/tag$")),
    ("stream_action", re.compile(r"^/stream/([^/]+)/(stop|lock|unlock)$")),
    ("stream_item", re.compile(r"^/stream/([^/]+)$")),
    ("organisation", re.compile(r"^/organisation$")),
    ("webhook", re.compile(r"^/organisation/webhook$")),
)
ROUTE_METHODS = {
    "stream": ("GET", "POST"),
    "stream_group": ("GET",),
    "stream_tag": ("PUT",),
    "stream_action": ("PUT",),
    "stream_item": ("GET", "DELETE"),
    "organisation": ("GET",),
    "webhook": ("PUT",),
}
CONTROL_ROUTES = (
    ("requests", re.compile(r"^/_emulator/requests$")),
    ("config", re.compile(r"^/_emulator/config$")),
    ("reset", re.compile(r"^/_emulator/reset$")),
    ("streams", re.compile(r"^/_emulator/streams$")),
    ("stream_state", re.compile(r"^/_emulator/streams/([^/]+)/state$")),
)


def _stop(state, prev):
    return ("ended", prev) if state == "live" else (state, prev)


def _lock(state, prev):
    return (state, prev) if state == "locked" else ("locked", state)


def _unlock(state, prev):
    if state != "locked":
        return state, prev
    restored = prev or "created"
    return ("ended" if restored == "live" else restored), None


STATE_ACTIONS = {"stop": _stop, "lock": _lock, "unlock": _unlock}


class App:
    """Routing and behaviour of the Bintu API and the control API (transport-independent)."""

    def __init__(self, store, settings, api_keys, api_tokens, control_token):
        self.store = store
        self.settings = settings
        self.api_keys = [k.encode("utf-8") for k in api_keys if k]
        self.api_tokens = [t.encode("utf-8") for t in api_tokens if t]
        self.control_token = control_token.encode("utf-8")
        self._log = deque(maxlen=REQUEST_LOG_MAX)
        self._log_lock = threading.Lock()
        self._log_cleared = time.perf_counter()

    # -- request log ----------------------------------------------------------

    def log(self, method, path, query, status, started, arrived):
        """Record one Bintu API request (never headers or bodies).

        ``started`` is the ``perf_counter`` and ``arrived`` the wall clock (seconds
        since the epoch) when the request arrived.
        """
        entry = {"method": method, "path": path, "query": query, "status": status,
                 "duration_ms": round((time.perf_counter() - started) * 1000.0, 3), "time": arrived}
        with self._log_lock:
            # a request that arrived before the log was cleared belongs to the old log
            if started >= self._log_cleared:
                self._log.append(entry)
        return entry

    def log_entries(self):
        """A copy of the request log, oldest first."""
        with self._log_lock:
            return list(self._log)

    def clear_log(self):
        """Empty the request log."""
        with self._log_lock:
            self._log.clear()
            self._log_cleared = time.perf_counter()

    # -- auth -----------------------------------------------------------------

    @staticmethod
    def _matches(value, accepted):
        if value is None:
            return False
        raw = value.encode("utf-8", "surrogateescape")
        found = False
        for candidate in accepted:
            found |= hmac.compare_digest(raw, candidate)
        return found

    def authenticate(self, headers):
        """Raise the configured auth error unless a valid API key or token is present."""
        if self._matches(headers.get("X-BINTU-APIKEY"), self.api_keys):
            return
        if self._matches(headers.get("X-BINTU-TOKEN"), self.api_tokens):
            return
        if self.settings["auth_error"] == 403:
            raise ApiError(403, "Access denied", 2001)
        raise ApiError(401, "User Credentials are not valid", 4002, {"user": None})

    def control_allowed(self, headers):
        """True if the control header carries the control token."""
        return self._matches(headers.get(CONTROL_HEADER), [self.control_token])

    # -- helpers --------------------------------------------------------------

    def not_found(self, stream_id):
        """The configured unknown-id error."""
        return ApiError(self.settings["not_found_status"], "Stream not found", 3001, {"id": stream_id})

    def render(self, row, group):
        """A stream object with the current tag order."""
        return render_stream(row, group, self.settings["tag_order"])

    def stream_response(self, stream_id, status=200):
        """200 + the stream object, or the not-found error."""
        found = self.store.get(stream_id)
        if found is None:
            raise self.not_found(stream_id)
        return Response(status, self.render(*found))

    # -- Bintu API ------------------------------------------------------------

    def dispatch(self, method, path, query, body, headers):
        """Answer one Bintu API request; raises ApiError for errors."""
        if len(path) > 1 and path.endswith("/"):
            path = path.rstrip("/")
        for name, pattern in ROUTES:
            match = pattern.match(path)
            if match:
                break
        else:
            raise ApiError(404, "Not Found", 404, {"path": path})
        allowed = ROUTE_METHODS[name]
        if method not in allowed:
            raise ApiError(405, "Method Not Allowed", 405, {"method": method}, {"Allow": ", ".join(allowed)})
        params = parse_qsl(query, keep_blank_values=True)
        public = name in ("stream_item", "stream_group") and method == "GET" and ("profile", "player") in params
        if not public:
            self.authenticate(headers)
            if not self.settings["org_enabled"]:
                raise org_not_enabled()
        args = match.groups()
        handler = getattr(self, "api_%s_%s" % (name, method.lower()))
        return handler(args, params, body)

    def api_stream_post(self, _args, _params, body):
        """POST /stream: create a stream (group)."""
        data = parse_json_body(body)
        tags = data.get("tags")
        tags = [] if tags is None else check_tags(tags, "tags")
        transcodes = check_transcodes(data.get("transcodes"))
        processing = check_processing(data.get("processing"), 1 + len(transcodes))
        webrtc = check_bool(data, "webrtc", False)
        transcoding = check_bool(data, "transcoding", bool(transcodes))
        stream_id = self.store.create(tags, transcodes, processing, webrtc, transcoding)
        return self.stream_response(stream_id, self.settings["create_status"])

    def api_stream_get(self, _args, params, _body):
        """GET /stream: newest first, quantity / tags[] / state filters."""
        quantity = 50
        tags = []
        state = None
        for key, value in params:
            if key == "quantity":
                try:
                    quantity = int(value)
                except ValueError:
                    raise wrong_type("quantity", "integer") from None
                if quantity < 1:
                    raise wrong_type("quantity", "positive integer")
            elif key in ("tags[]", "tags"):
                if value and value not in tags:
                    tags.append(value)
            elif key == "state" and value:
                if value not in LIST_STATES:
                    raise wrong_type("state", "one of %s" % ", ".join(LIST_STATES))
                state = value
        cap = self.settings["quantity_cap"]
        if cap is not None:
            quantity = min(quantity, cap)
        found = self.store.query(quantity, tags, state, self.settings["list_members"])
        streams = [self.render(row, group) for row, group in found]
        if self.settings["list_shape"] == "wrapped":
            return Response(200, {self.settings["list_wrap_key"]: streams, "count": len(streams)})
        return Response(200, streams)

    def api_stream_item_get(self, args, _params, _body):
        """GET /stream/{id}."""
        return self.stream_response(args[0])

    def api_stream_group_get(self, args, _params, _body):
        """GET /stream/{id}/group: the group's passthrough (a member id resolves to its group)."""
        found = self.store.get(args[0])
        if found is None:
            raise self.not_found(args[0])
        return self.stream_response(found[0]["streamgroup"])

    def api_stream_tag_put(self, args, _params, body):
        """PUT /stream/{id}/tag: replace the tag list."""
        data = parse_json_body(body)
        if data.get("tags") is None:
            raise required("tags")
        tags = check_tags(data["tags"], "tags")
        if not self.store.set_tags(args[0], tags):
            raise self.not_found(args[0])
        return self.stream_response(args[0])

    def api_stream_action_put(self, args, _params, _body):
        """PUT /stream/{id}/stop|lock|unlock."""
        stream_id, action = args
        if self.store.transition(stream_id, STATE_ACTIONS[action]) is None:
            raise self.not_found(stream_id)
        return self.stream_response(stream_id)

    def api_stream_item_delete(self, args, _params, _body):
        """DELETE /stream/{id}: soft delete; a passthrough takes its members."""
        stream_id = args[0]
        deleted = self.store.delete(stream_id)
        if deleted is None:
            raise self.not_found(stream_id)
        if self.settings["delete_status"] == 204:
            return Response(204)
        return Response(200, {"id": stream_id, "state": "deleted", "deleted": deleted})

    def api_organisation_get(self, _args, _params, _body):
        """GET /organisation."""
        return Response(200, self.store.organisation())

    def api_webhook_put(self, _args, _params, body):
        """PUT /organisation/webhook: {"webhook": url} ("" or null clears it)."""
        data = parse_json_body(body)
        if "webhook" not in data:
            raise required("webhook")
        url = data["webhook"]
        if url is not None and not isinstance(url, str):
            raise wrong_type("webhook", "string")
        self.store.set_webhook(url or None)
        return Response(200, self.store.organisation())

    # -- control API ----------------------------------------------------------

    def control(self, method, path, body):
        """Answer one control request (the caller has checked the control token)."""
        for name, pattern in CONTROL_ROUTES:
            match = pattern.match(path.rstrip("/") if len(path) > 1 else path)
            if match:
                break
        else:
            raise ApiError(404, "Not Found", 404, {"path": path})
        handler = getattr(self, "control_%s_%s" % (name, method.lower()), None)
        if handler is None:
            raise ApiError(405, "Method Not Allowed", 405, {"method": method})
        return handler(match.groups(), body)

    def control_requests_get(self, _args, _body):
        """GET /_emulator/requests."""
        return Response(200, {"requests": self.log_entries()})

    def control_requests_delete(self, _args, _body):
        """DELETE /_emulator/requests."""
        self.clear_log()
        return Response(200, {"requests": []})

    def control_config_get(self, _args, _body):
        """GET /_emulator/config."""
        return Response(200, self.settings.snapshot())

    def control_config_patch(self, _args, body):
        """PATCH /_emulator/config: merge and return everything."""
        return Response(200, self.settings.update(validate_settings(parse_json_body(body))))

    def control_reset_post(self, _args, _body):
        """POST /_emulator/reset."""
        self.store.clear()
        self.clear_log()
        self.settings.reset()
        return Response(200, {"reset": True, "config": self.settings.snapshot()})

    def control_streams_get(self, _args, _body):
        """GET /_emulator/streams: every stored stream, oldest first."""
        streams = []
        for row, group in self.store.all_streams():
            stream = render_stream(row, group)
            stream["profile"] = row["profile"]
            streams.append(stream)
        return Response(200, {"streams": streams})

    def control_stream_state_put(self, args, body):
        """PUT /_emulator/streams/{id}/state {"state", "members"?}."""
        data = parse_json_body(body)
        state = data.get("state")
        if state is None:
            raise required("state")
        if state not in STATES:
            raise wrong_type("state", "one of %s" % ", ".join(STATES))
        members = check_bool(data, "members", True)

        def set_state(old, prev):
            if state == "locked":
                return state, (prev if old == "locked" else old)
            return state, None

        if self.store.transition(args[0], set_state, members) is None:
            raise ApiError(404, "Stream not found", 3001, {"id": args[0]})
        return self.stream_response(args[0])


# --------------------------------------------------------------------------
# HTTP transport
# --------------------------------------------------------------------------

class BodyError(Exception):
    """The request body could not be read; the connection is closed after the answer."""

    def __init__(self, status):
        super().__init__(status)
        self.status = status


class Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive handler; every answer is one write with Content-Length."""

    protocol_version = "HTTP/1.1"
    server_version = "BintuEmulator/" + VERSION
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 300

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Silence the default access log (the request log is kept by the App)."""

    def do_GET(self):  # pylint: disable=invalid-name
        """GET."""
        self.handle_any()

    def do_POST(self):  # pylint: disable=invalid-name
        """POST."""
        self.handle_any()

    def do_PUT(self):  # pylint: disable=invalid-name
        """PUT."""
        self.handle_any()

    def do_PATCH(self):  # pylint: disable=invalid-name
        """PATCH."""
        self.handle_any()

    def do_DELETE(self):  # pylint: disable=invalid-name
        """DELETE."""
        self.handle_any()

    # -- body -----------------------------------------------------------------

    def read_body(self):
        """Read the whole request body (Content-Length or chunked)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            data = bytearray()
            while True:
                line = self.rfile.readline(65537)
                try:
                    size = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    raise BodyError(400) from None
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(data)
                if len(data) + size > MAX_BODY:
                    raise BodyError(413)
                data += self.rfile.read(size)
                self.rfile.readline(65537)
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            size = int(length)
        except ValueError:
            raise BodyError(400) from None
        if size < 0:
            raise BodyError(400)
        if size > MAX_BODY:
            raise BodyError(413)
        return self.rfile.read(size)

    # -- answers --------------------------------------------------------------

    def send(self, response):
        """Write status line, headers and body in one go."""
        status = response.status
        body = b""
        if status != 204 and response.payload is not None:
            body = json.dumps(response.payload, separators=(",", ":")).encode("utf-8")
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Status"
        lines = ["%s %d %s" % (self.protocol_version, status, reason),
                 "Server: " + self.server_version,
                 "Date: " + self.date_time_string()]
        if status != 204:
            lines.append("Content-Type: application/json; charset=utf-8")
            lines.append("Content-Length: %d" % len(body))
        for name, value in response.headers.items():
            lines.append("%s: %s" % (name, value))
        if self.close_connection:
            lines.append("Connection: close")
        elif self.request_version == "HTTP/1.0":
            lines.append("Connection: keep-alive")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head + body)

    def abort(self, reset):
        """Close the connection without an answer: RST (``reset``) or a plain FIN."""
        self.close_connection = True
        sock = self.connection
        try:
            if reset:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()
        self.rfile.close()

    # -- dispatch -------------------------------------------------------------

    def handle_any(self):
        """Answer one request: control API or Bintu API (with faults and the request log)."""
        started = time.perf_counter()
        arrived = time.time()
        app = self.server.app
        method = self.command
        split = urlsplit(self.path)
        path = split.path or "/"
        is_control = path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")
        try:
            body = self.read_body()
        except BodyError as exc:
            self.close_connection = True
            if not is_control:
                app.log(method, path, split.query, exc.status, started, arrived)
            self.send(Response(exc.status, generic_error(exc.status).payload()))
            return
        if is_control:
            self.handle_control(app, method, path, body)
        else:
            self.handle_api(app, method, path, split.query, body, started, arrived)

    def handle_control(self, app, method, path, body):
        """Control API: needs the control token; never logged, never faulted."""
        try:
            if not app.control_allowed(self.headers):
                raise ApiError(403, "Access denied", 2001)
            response = app.control(method, path, body)
        except ApiError as exc:
            response = Response(exc.status, exc.payload(), exc.headers)
        self.send(response)

    def handle_api(self, app, method, path, query, body, started, arrived):
        """Bintu API with latency, faults and logging."""
        settings = app.settings
        latency = settings["latency_ms"]
        if latency:
            time.sleep(latency / 1000.0)
        if settings.take("reset_next", method):
            app.log(method, path, query, 0, started, arrived)
            self.abort(reset=True)
            return
        fault = settings.take("fail_next", method) or settings.take_rate(method)
        if fault:
            error = fault_error("fail_next" if "count" in fault else "fail_rate", fault)
            headers = {}
            if fault.get("retry_after") is not None or fault["status"] == 429:
                headers["Retry-After"] = str(fault.get("retry_after") or 0)
            response = Response(error.status, error.payload(), headers)
        else:
            try:
                response = app.dispatch(method, path, query, body, self.headers)
            except ApiError as exc:
                response = Response(exc.status, exc.payload(), exc.headers)
            except Exception:  # pylint: disable=broad-exception-caught
                traceback.print_exc(file=sys.stderr)
                response = Response(500, generic_error(500).payload())
            if (method == "POST" and response.status < 300 and path.rstrip("/") == "/stream"
                    and settings.take("drop_after_commit", method)):
                app.log(method, path, query, 0, started, arrived)
                self.abort(reset=False)
                return
        delay = settings.take("delay_next", method)
        if delay:
            time.sleep(delay["ms"] / 1000.0)
        # Log before answering, so a client that reads the log right after its answer finds the entry.
        entry = app.log(method, path, query, response.status, started, arrived)
        if self.server.verbose:
            sys.stderr.write("%(method)s %(path)s %(status)s %(duration_ms).1fms\n" % entry)
            sys.stderr.flush()
        self.send(response)


class EmulatorServer(ThreadingHTTPServer):
    """Threaded HTTP server that owns the App."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address, app, verbose=False):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)
        self.app = app
        self.verbose = verbose

    def handle_error(self, request, client_address):
        """Ignore clients that went away; print other errors."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def _cli_value(text):
    """A flag value: JSON when it parses (true, 201, null, {...}), else the plain string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def build_parser():
    """The argument parser: fixed options plus one flag per switch and fault."""
    parser = argparse.ArgumentParser(
        prog="bintu_emulator.py",
        description="Local emulator of the nanoStream Cloud Bintu REST API (prints its base URL first).")
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to bind (default %(default)s)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port; 0 picks a free one (default %(default)s)")
    parser.add_argument("--api-key", action="append", dest="api_keys", metavar="KEY",
                        help="accepted X-BINTU-APIKEY (repeatable; default %s)" % DEFAULT_API_KEY)
    parser.add_argument("--api-token", action="append", dest="api_tokens", metavar="TOKEN",
                        help="accepted X-BINTU-TOKEN (repeatable; default %s)" % DEFAULT_API_TOKEN)
    parser.add_argument("--control-token", default=DEFAULT_CONTROL_TOKEN,
                        help="value of the X-Emulator-Control header for /_emulator/ (default %(default)s)")
    parser.add_argument("--state", metavar="FILE", help="SQLite file for the state (default: in memory)")
    parser.add_argument("--org-hash", metavar="HASH", help="5-character organisation hash (stream name prefix)")
    parser.add_argument("--org-name", default=DEFAULT_ORG_NAME, help="organisation name (default %(default)s)")
    parser.add_argument("--verbose", action="store_true", help="print one line per API request to stderr")
    switches = parser.add_argument_group("switches (see README.md)")
    for key, (_validator, default) in SWITCHES.items():
        switches.add_argument("--" + key.replace("_", "-"), dest=key, type=_cli_value, metavar="VALUE",
                              help="default %s" % json.dumps(default))
    faults = parser.add_argument_group("faults (JSON objects or a count; see README.md)")
    for key, (_validator, default) in FAULTS.items():
        faults.add_argument("--" + key.replace("_", "-"), dest=key, type=_cli_value, metavar="VALUE",
                            help="default %s" % json.dumps(default))
    version = "%(prog)s " + VERSION
    parser.add_argument("--version", action="version", version=version)
    return parser


def main(argv=None):
    """Run the emulator until SIGINT/SIGTERM; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.org_hash is not None and not re.match(r"^[A-Za-z0-9]{5}$", args.org_hash):
        parser.error("--org-hash must be 5 letters or digits")
    startup = {key: getattr(args, key) for key in SETTINGS if getattr(args, key) is not None}
    try:
        startup = validate_settings(startup)
    except ApiError as exc:
        parser.error("--%s: %s" % (exc.userinfo["parameter"].replace("_", "-"), exc.userinfo["type"]))
    settings = Settings(startup)
    settings.apply_startup_faults()
    try:
        store = Store(args.state, org_hash=args.org_hash, org_name=args.org_name)
    except sqlite3.Error as exc:
        sys.stderr.write("bintu_emulator: cannot use state %s: %s\n" % (args.state, exc))
        return 1
    app = App(store, settings, args.api_keys or [DEFAULT_API_KEY], args.api_tokens or [DEFAULT_API_TOKEN],
              args.control_token)
    try:
        server = EmulatorServer((args.host, args.port), app, verbose=args.verbose)
    except OSError as exc:
        sys.stderr.write("bintu_emulator: cannot listen on %s:%s: %s\n" % (args.host, args.port, exc))
        store.close()
        return 1
    stop = threading.Event()

    def on_signal(_signum, _frame):
        stop.set()

    # Handlers first: a caller may send SIGTERM as soon as it has read the URL.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    host, port = server.server_address[:2]
    shown_host = "[%s]" % host if ":" in host else host
    sys.stdout.write("http://%s:%d\n" % (shown_host, port))
    sys.stdout.flush()
    worker = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    worker.start()
    while not stop.wait(1.0):
        pass
    server.shutdown()
    server.server_close()
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
