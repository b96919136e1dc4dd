# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bintu stream engine: look up, apply plans, settle creates, bulk runs. Private to this collection."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading

from ansible_collections.nanocosmos.bintu.plugins.module_utils._api import BRIEF_MARK, BintuApiError, BintuOutcomeUnknown
from ansible_collections.nanocosmos.bintu.plugins.module_utils._streams import (
    fill_member_tags,
    identity_tag,
    is_deleted,
    is_member,
    matches_name,
    members_needing_tags,
    normalise_stream,
    observed_ladder,
    ladder_matches,
    oldest,
    plan,
    raw_tags,
    stream_name,
)

ACTIONS = ('created', 'updated', 'unchanged', 'recreated', 'deleted', 'kept_live', 'failed', 'absent')
CHANGING = frozenset(['created', 'updated', 'recreated', 'deleted'])


class StreamError(Exception):
    """A stream cannot be converged (duplicates, unknown id, live stream, ladder change ...). Says what to do."""


def _ids(streams):
    return ', '.join(str(s.get('id')) for s in streams)


def present_stream(desired, obj):
    """Normalise an observed object, reporting desired profile names where the ladder matches them."""
    if not obj:
        return None
    ladder = observed_ladder(obj)
    desired_ladder = (desired or {}).get('transcodes')
    if desired_ladder and ladder_matches(desired_ladder, ladder):
        for entry, member in zip(desired_ladder, ladder):
            member['desired_profile'] = entry['profile']
    return normalise_stream(obj, ladder)


class Engine:
    """Converges desired streams through a BintuClient. Thread-safe; writes nothing in check mode."""

    def __init__(self, client, check_mode=False, retries=3, concurrency=1):
        self.client = client
        self.check_mode = check_mode
        self.retries = max(0, retries)
        self.concurrency = max(1, concurrency)
        self.warnings = []
        self._lock = threading.Lock()

    def warn(self, text):
        with self._lock:
            if text not in self.warnings:
                self.warnings.append(text)

    def _map(self, func, items):
        items = list(items)
        if self.concurrency == 1 or len(items) <= 1:
            return [func(item) for item in items]
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(items))) as pool:
            return list(pool.map(func, items))

    # -- reading --------------------------------------------------------

    def lookup(self, name):
        """All passthroughs carrying exactly the identity tag of name (members and deleted streams never match)."""
        return [s for s in self.client.list_streams(tags=[identity_tag(name)]) if matches_name(s, name)]

    @staticmethod
    def single(name, matches):
        if len(matches) > 1:
            raise StreamError(
                "%d streams are named '%s' (ids %s): a name must identify one stream. Delete the extra ones "
                "(for example with nanocosmos.bintu.bintu_stream id=<id> state=absent) or remove their tag '%s'"
                % (len(matches), name, _ids(matches), identity_tag(name)))
        return matches[0] if matches else None

    def observe_id(self, stream_id, missing_ok=False):
        """The passthrough with this id. Missing: None if missing_ok (deleting), else an error (never a create)."""
        obj = self.client.get_stream(stream_id)
        if (obj is None or is_deleted(obj)) and missing_ok:
            return None
        if obj is None or is_deleted(obj):
            raise StreamError('stream id %s does not exist: check the id. A stream given by id is never created; '
                              'use name to create a stream' % stream_id)
        if is_member(obj):
            raise StreamError('stream id %s is a transcode of the stream group %s: manage the group through its '
                              'passthrough id %s' % (stream_id, obj.get('streamgroup'), obj.get('streamgroup')))
        return obj

    def complete(self, desired, observed):
        """Fetch member tags that the stream object does not carry but the plan needs."""
        missing = members_needing_tags(desired, observed)
        if not missing:
            return observed
        tags = {}
        for member_id in missing:
            member = self.client.get_stream(member_id)
            tags[member_id] = raw_tags(member) if member else []
        return fill_member_tags(observed, tags)

    # -- writing --------------------------------------------------------

    def create(self, name, body):
        """POST a stream. After an unknown outcome, look the name up before posting again.

        Returns (created object or None, ours, matches) where matches is a fresh lookup when one was made.
        """
        last = None
        for dummy in range(self.retries + 1):
            try:
                return self.client.create_stream(body), True, None
            except BintuOutcomeUnknown as exc:
                last = exc
                if name is None:
                    break
                matches = self.lookup(name)
                if matches:
                    return None, False, matches
        raise StreamError('creating the stream failed and it is unknown whether Bintu created it (%s). It was not '
                          'found by a lookup afterwards; a re-run looks it up again before creating' % last)

    def settle(self, desired, created, ours, matches):
        """After a create: make the name lead to one stream again.

        Another run may have created the same name at the same time. The oldest stream wins (created_at, then
        id); the stream this run created is deleted if it is not the oldest and not live. Streams this run did
        not create are never deleted. Returns (final object, notes).
        """
        name = desired.get('name')
        created_id = created.get('id') if created else None
        if not matches:
            if created:
                self.warn("stream '%s' (id %s) was created but a lookup right after did not show it yet" %
                          (name, created_id))
                return created, []
            raise StreamError("stream '%s' was created, but a lookup right after did not find it" % name)
        if len(matches) == 1:
            return matches[0], []
        keep = oldest(matches)
        if not ours or not created_id:
            raise StreamError(
                "%d streams are named '%s' (ids %s) after a create whose outcome was unknown, so this run cannot "
                "tell which one it created: delete all but one" % (len(matches), name, _ids(matches)))
        if keep.get('id') == created_id:
            return keep, []
        mine = [m for m in matches if m.get('id') == created_id]
        notes = []
        if mine and mine[0].get('state') == 'live':
            raise StreamError(
                "stream '%s': another run created it at the same time (id %s, older). The duplicate this run "
                "created (id %s) is already live and was not deleted: delete one of them" %
                (name, keep.get('id'), created_id))
        if mine:
            self.client.delete_stream(created_id)
            notes.append('another run created the same name at the same time: kept the older stream %s and deleted '
                         'the duplicate this run created (%s)' % (keep.get('id'), created_id))
        others = [m for m in matches if m.get('id') not in (created_id, keep.get('id'))]
        if others:
            raise StreamError("%d streams are named '%s' (ids %s): delete all but one" %
                              (len(matches) - len(mine), name, _ids([keep] + others)))
        return keep, notes

    def execute(self, desired, steps):
        """Run the steps of a plan; returns the create outcome (created, ours, matches) or None."""
        outcome = None
        for step in steps:
            if step['op'] == 'delete':
                self.client.delete_stream(step['id'])
            elif step['op'] == 'set_tags':
                self.client.set_tags(step['id'], step['tags'])
            elif step['op'] == 'create':
                outcome = self.create(step.get('name'), step['body'])
        return outcome

    def converge_kept(self, desired, keep):
        """Bring the stream another run created (the survivor of a race) to the desired tags; never delete it."""
        keep = self.complete(desired, keep)
        result = plan(desired, keep)
        if result['action'] == 'failed':
            raise StreamError(result['error'])
        if any(step['op'] != 'set_tags' for step in result['steps']):
            raise StreamError("stream '%s' (id %s), created by another run, differs from the desired stream in a "
                              "way only a recreate can fix; re-run" % (desired.get('name'), keep.get('id')))
        self.execute(desired, result['steps'])
        return result

    # -- one stream -----------------------------------------------------

    def run(self, desired, observed, verify=True):
        """Plan and (unless check mode) apply one stream; returns the plan dict with stream and id filled in."""
        if observed is not None:
            observed = self.complete(desired, observed)
        result = plan(desired, observed)
        # a stream that is not converged is reported as it is; the diff still shows what was wanted
        result['stream'] = result['observed'] if result['action'] in ('failed', 'kept_live') else result['predicted']
        result['id'] = (result['observed'] or {}).get('id')
        if result['action'] in ('failed', 'kept_live', 'absent', 'unchanged') or self.check_mode:
            if result['action'] in ('created', 'recreated'):
                result['id'] = None
            return result
        outcome = self.execute(desired, result['steps'])
        if outcome is None:
            return result
        created, ours, matches = outcome
        result['created'] = dict(obj=created, ours=ours, matches=matches)
        final = created
        if verify:
            if matches is None and desired.get('name') is not None:
                matches = self.lookup(desired['name'])
            if desired.get('name') is not None:
                final = self.finish_create(desired, result, matches)
        return self._created_result(desired, result, final)

    def finish_create(self, desired, result, matches):
        info = result['created']
        final, notes = self.settle(desired, info['obj'], info['ours'], matches)
        final = self.whole(final, info['obj'])
        if notes:
            converged = self.converge_kept(desired, final)
            result['action'] = 'updated'
            result['changes'] = notes + converged['changes']
            result['stream'] = converged['predicted']
            result['id'] = final.get('id')
            result['settled'] = True
        return final

    def whole(self, obj, created=None):
        """The complete object of a stream seen in a brief listing: the create's answer if it is that stream,
        else fetched."""
        if not obj or not obj.get(BRIEF_MARK):
            return obj
        if created and created.get('id') == obj.get('id'):
            return created
        fetched = self.client.get_stream(obj.get('id'))
        if fetched is None or is_deleted(fetched):
            raise StreamError('stream %s was listed but is gone now; re-run' % obj.get('id'))
        return fetched

    def _created_result(self, desired, result, final):
        if result.get('settled'):
            return result
        stream = present_stream(desired, final)
        if stream is not None and stream.get('id'):
            result['stream'] = stream
            result['id'] = stream['id']
        else:
            result['id'] = None
        return result

    # -- many streams -----------------------------------------------------

    def run_bulk(self, scope_tags, desired_list, state='present', prune=False, force=False, quantity=None):
        """Converge all streams of a scope. Returns the list of result dicts (order of desired_list, then pruned)."""
        quantity = quantity or max(1000, 2 * len(desired_list))
        listing = self.client.list_streams(tags=scope_tags, quantity=quantity)
        by_name = group_by_name(listing)

        def observe(desired):
            try:
                matches = by_name.get(desired['name'])
                if not matches:
                    # not in the listing: only a lookup that could have found it proves the stream missing
                    matches = self.lookup(desired['name'])
                return self.single(desired['name'], matches), None
            except (BintuApiError, StreamError) as exc:
                return None, exc

        def converge(item):
            desired, (observed, error) = item
            if error is not None:
                return failed(desired['name'], error)
            try:
                return slim(self.run(desired, observed, verify=False))
            except (BintuApiError, StreamError) as exc:
                return failed(desired['name'], exc, observed)

        observations = self._map(observe, desired_list)
        results = self._map(converge, list(zip(desired_list, observations)))

        created = [(d, r) for d, r in zip(desired_list, results) if r.get('created')]
        if created:
            self._verify_bulk(scope_tags, quantity, created)

        if prune or (state == 'absent' and not desired_list):
            wanted = set(d['name'] for d in desired_list)
            results.extend(self._prune(scope_tags, quantity, by_name, wanted, force))
        return results

    def _verify_bulk(self, scope_tags, quantity, created):
        """One fresh scope listing for all creates; names it does not show are looked up one by one."""
        try:
            listing = self.client.list_streams(tags=scope_tags, quantity=quantity, brief=True)
        except BintuApiError:
            listing = []
        by_name = group_by_name(listing)

        def verify(item):
            desired, result = item
            try:
                info = result['created']
                matches = info['matches']
                if matches is None:
                    matches = by_name.get(desired['name'])
                    created_id = (info['obj'] or {}).get('id')
                    if not matches or (created_id and created_id not in [m.get('id') for m in matches]):
                        matches = self.lookup(desired['name'])
                final = self.finish_create(desired, result, matches)
                self._created_result(desired, result, final)
            except (BintuApiError, StreamError) as exc:
                result.update(failed(desired['name'], exc, None, keep_changes=result))
            # the raw answer of the create is not needed any more
            result.pop('created', None)
            return slim(result)

        self._map(verify, created)

    def _prune(self, scope_tags, quantity, by_name, wanted, force):
        """Delete named streams in scope that are not wanted; re-list after deleting, in case the listing was cut."""
        results = []
        handled = set()
        candidates = self._prune_candidates(by_name, wanted, handled)
        rounds = 0
        while candidates:
            rounds += 1

            def delete(obj):
                desired = dict(name=stream_name(obj), id=obj.get('id'), state='absent', force=force)
                try:
                    return slim(self.run(desired, obj))
                except (BintuApiError, StreamError) as exc:
                    return failed(desired['name'], exc, obj)

            batch = self._map(delete, candidates)
            results.extend(batch)
            if self.check_mode or not any(r['action'] == 'deleted' for r in batch) or rounds >= 50:
                break
            listing = self.client.list_streams(tags=scope_tags, quantity=quantity)
            candidates = self._prune_candidates(group_by_name(listing), wanted, handled)
        results.sort(key=lambda r: (str(r.get('name')), str(r.get('id'))))
        return results

    @staticmethod
    def _prune_candidates(by_name, wanted, handled):
        found = []
        for name in sorted(by_name):
            if name in wanted:
                continue
            for obj in by_name[name]:
                if obj.get('id') not in handled:
                    handled.add(obj.get('id'))
                    found.append(obj)
        return found

    # -- info -------------------------------------------------------------

    def info(self, filters):
        quantity = filters['quantity']
        if filters.get('id'):
            obj = self.client.get_stream(filters['id'])
            items = [obj] if obj else []
            if filters.get('state'):
                items = [s for s in items if s.get('state') == filters['state']]
            if filters.get('tags'):
                items = [s for s in items if set(filters['tags']) <= set(raw_tags(s))]
            if filters.get('name') is not None:
                items = [s for s in items if matches_name(s, filters['name'])]
        else:
            tags = list(filters.get('tags') or [])
            if filters.get('name') is not None:
                tags.append(identity_tag(filters['name']))
            items = self.client.list_streams(tags=tags, quantity=quantity, state=filters.get('state'))
            if filters.get('name') is not None:
                items = [s for s in items if matches_name(s, filters['name'])]
        items = [s for s in items if isinstance(s, dict) and not is_member(s) and not is_deleted(s)]
        items.sort(key=lambda s: str(s.get('created_at') or ''), reverse=True)
        return [normalise_stream(s) for s in items[:quantity]]


def group_by_name(listing):
    """Passthroughs of a listing that carry an identity tag, by name (members and deleted streams left out)."""
    by_name = {}
    for obj in listing:
        if isinstance(obj, dict) and not is_member(obj) and not is_deleted(obj):
            name = stream_name(obj)
            if name is not None:
                by_name.setdefault(name, []).append(obj)
    return by_name


def slim(result):
    """Drop what a bulk run does not report (steps with their request bodies, the plan's views) to save memory."""
    for key in ('steps', 'observed', 'predicted'):
        result.pop(key, None)
    return result


def failed(name, exc, observed=None, keep_changes=None):
    """A result dict for a stream that could not be converged."""
    message = str(exc)
    current = normalise_stream(observed) if observed else None
    result = dict(name=name, action='failed', steps=[], changes=list((keep_changes or {}).get('changes') or []),
                  error="stream '%s': %s" % (name, message) if name is not None else message,
                  observed=current, predicted=current, stream=current,
                  id=(current or {}).get('id') or (keep_changes or {}).get('id'),
                  before=None, after=None)
    if isinstance(exc, BintuApiError):
        result['api_error'] = exc.to_dict()
    return result


def summarise(results):
    summary = dict((action, 0) for action in ACTIONS)
    for result in results:
        summary[result['action']] = summary.get(result['action'], 0) + 1
    summary['total'] = len(results)
    return summary
