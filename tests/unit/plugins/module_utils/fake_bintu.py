# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An in-memory stand-in for BintuClient, for engine unit tests (no HTTP)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import threading

from ansible_collections.nanocosmos.bintu.plugins.module_utils._api import BintuApiError, BintuOutcomeUnknown, _brief
from ansible_collections.nanocosmos.bintu.plugins.module_utils._streams import parse_profile


def make_stream(stream_id, tags, created_at='2027-01-01T00:00:00.000Z', state='created', ladder=(), group=None):
    """A Bintu-like passthrough object; ladder is a list of (member_id, profile, tags)."""
    no_info = dict(width=None, height=None, bitrate=None, fps=None)
    server = dict(websocket='wss://play/ws', hls='https://play/hls', progressive='https://play/p')
    h5live = [dict(index=0, id=stream_id, streamname='ORG01-%s' % stream_id, info=no_info, tags=list(tags),
                   server=server)]
    for index, (member_id, profile, member_tags) in enumerate(ladder, 1):
        spec = parse_profile(profile)
        h5live.append(dict(index=index, id=member_id, streamname='ORG01-%s' % member_id,
                           info=dict(width=spec['width'], height=spec['height'], bitrate=spec['bitrate'],
                                     fps=spec['fps']),
                           tags=list(member_tags)))
    return dict(
        id=stream_id, streamgroup=group or stream_id, state=state, created_at=created_at, tags=list(tags),
        ingest=dict(rtmp=dict(url='rtmp://ingest/live', streamname='ORG01-%s' % stream_id)),
        playout=dict(h5live=h5live,
                     rtmp=[dict(index=e['index'], id=e['id'], url='rtmp://play/play', streamname=e['streamname'])
                           for e in h5live],
                     hls=[dict(index=e['index'], id=e['id'], url='https://play/%s.m3u8' % e['id']) for e in h5live],
                     web=[dict(url='https://dash/playout/%s' % stream_id, type='live')]),
    )


class FakeBintu:
    """Keeps streams in a dict, logs every call as (method, what), and can inject failures and races."""

    def __init__(self, quantity_cap=None):
        self.streams = {}
        self.calls = []
        self.counter = 0
        self.quantity_cap = quantity_cap
        self.lock = threading.Lock()
        self.create_faults = []  # 'unknown' (not committed), 'commit-unknown' (committed, then unknown)
        self.after_create = None  # callable(fake, created, ladder) run after a committed create
        self.fail_names = {}  # identity tag -> BintuApiError for lookups
        self.fail_deletes = set()

    # -- helpers for tests ----------------------------------------------

    def add(self, tags, state='created', ladder=(), created_at=None):
        with self.lock:
            self.counter += 1
            stream_id = 's%03d' % self.counter
            members = []
            for profile, member_tags in ladder:
                self.counter += 1
                members.append(('m%03d' % self.counter, profile, member_tags))
            obj = make_stream(stream_id, tags, created_at=created_at or '2027-01-01T00:00:%02d.000Z' % self.counter,
                              state=state, ladder=members)
            self.streams[stream_id] = obj
            for member_id, profile, member_tags in members:
                member = make_stream(member_id, member_tags, created_at=obj['created_at'], state=state, group=stream_id)
                member['playout'] = obj['playout']
                self.streams[member_id] = member
            return obj

    def methods(self):
        return [c[0] for c in self.calls]

    def writes(self):
        return [c for c in self.calls if c[0] in ('POST', 'PUT', 'DELETE')]

    def named(self, name):
        return [s for s in self.streams.values() if 'name:%s' % name in s['tags'] and s['streamgroup'] == s['id']]

    # -- BintuClient interface ------------------------------------------

    def list_streams(self, tags=None, quantity=None, state=None, brief=False):
        with self.lock:
            self.calls.append(('GET', 'list', tuple(tags or ()), quantity))
            for tag in tags or []:
                if tag in self.fail_names:
                    raise self.fail_names[tag]
            found = [s for s in self.streams.values()
                     if set(tags or []) <= set(s['tags']) and (state is None or s['state'] == state)
                     and s['streamgroup'] == s['id']]
            found.sort(key=lambda s: s['created_at'], reverse=True)
            limit = quantity or 50
            if self.quantity_cap:
                limit = min(limit, self.quantity_cap)
            found = [dict(s) for s in found[:limit]]
            return json.loads(json.dumps(found), object_hook=_brief) if brief else found

    def get_stream(self, stream_id):
        with self.lock:
            self.calls.append(('GET', stream_id))
            obj = self.streams.get(stream_id)
            return dict(obj) if obj else None

    def create_stream(self, body):
        fault = None
        with self.lock:
            self.calls.append(('POST', tuple(body.get('tags', []))))
            if self.create_faults:
                fault = self.create_faults.pop(0)
            if fault == 'unknown':
                raise BintuOutcomeUnknown(status=503, message='busy', method='POST', path='/stream')
        ladder = [(t['profile'], t.get('tags') or []) for t in body.get('transcodes', [])]
        created = self.add(body.get('tags', []), ladder=ladder)
        if self.after_create:
            self.after_create(self, created, ladder)
        if fault == 'commit-unknown':
            raise BintuOutcomeUnknown(message='connection dropped', method='POST', path='/stream')
        return dict(created)

    def set_tags(self, stream_id, tags):
        with self.lock:
            self.calls.append(('PUT', stream_id, tuple(tags)))
            obj = self.streams[stream_id]
            obj['tags'] = list(tags)
            for other in self.streams.values():
                for entry in other['playout']['h5live']:
                    if entry['id'] == stream_id:
                        entry['tags'] = list(tags)
            return dict(obj)

    def delete_stream(self, stream_id):
        with self.lock:
            self.calls.append(('DELETE', stream_id))
            if stream_id in self.fail_deletes:
                raise BintuApiError(status=403, code=2001, message='Access denied', method='DELETE',
                                    path='/stream/%s' % stream_id)
            if stream_id not in self.streams:
                return False
            obj = self.streams.pop(stream_id)
            for entry in obj['playout']['h5live'][1:]:
                self.streams.pop(entry['id'], None)
            return True
