# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bintu stream model and planner (pure, no I/O). Private to this collection: no compatibility guarantees."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

IDENTITY_PREFIX = 'name:'
STATES = ('created', 'live', 'ended')
PROFILE_FIELDS = ('width', 'height', 'bitrate', 'fps')
PROFILE_EXAMPLE = 'vtrans2-852x480x800x25'
MAX_FPS = 120

_PROFILE_FULL = re.compile(r'^(vtrans2?)-([1-9][0-9]{0,4})x([1-9][0-9]{0,4})x([1-9][0-9]{0,5})(?:x([1-9][0-9]{0,2}))?$')
_PROFILE_SHORT = re.compile(r'^(vtrans2?)-([1-9][0-9]{0,5})(?:x([1-9][0-9]{0,2})|k([1-9][0-9]{0,2})?)$')
_CONTROL = re.compile(r'[\x00-\x1f\x7f]')


class BintuInputError(ValueError):
    """Bad module input, found before any request is sent. The message says what to fix."""


# -- validation ---------------------------------------------------------------

def parse_profile(name, where='profile'):
    """Parse a transcoding profile name into {name, family, width, height, bitrate, fps} (missing parts None)."""
    if not isinstance(name, str) or not name:
        raise BintuInputError('%s must be a profile name such as %s, got %r' % (where, PROFILE_EXAMPLE, name))
    spec = None
    match = _PROFILE_FULL.match(name)
    if match:
        family, width, height, bitrate, fps = match.groups()
        spec = dict(name=name, family=family, width=int(width), height=int(height), bitrate=int(bitrate),
                    fps=int(fps) if fps else None)
    match = _PROFILE_SHORT.match(name)
    if match:
        family, bitrate, fps_x, fps_k = match.groups()
        fps = fps_x or fps_k
        spec = dict(name=name, family=family, width=None, height=None, bitrate=int(bitrate),
                    fps=int(fps) if fps else None)
    if spec and (spec['fps'] is None or spec['fps'] <= MAX_FPS):
        return spec
    raise BintuInputError(
        '%s %r is not a valid transcoding profile name: use vtrans2-<width>x<height>x<kbit/s>x<fps> such as %s '
        '(family vtrans or vtrans2; legacy forms vtrans2-<kbit/s>x<fps>, vtrans2-<kbit/s>k and '
        'vtrans2-<width>x<height>x<kbit/s> are accepted too; at most %d fps)' % (where, name, PROFILE_EXAMPLE, MAX_FPS))


def profile_name_from_info(info, family='vtrans2'):
    """Rebuild a profile name from width/height/bitrate/fps; None when the bitrate is unknown."""
    width, height, bitrate, fps = (info.get(k) for k in PROFILE_FIELDS)
    if bitrate is None:
        return None
    if width is not None and height is not None:
        name = '%s-%sx%sx%s' % (family, width, height, bitrate)
        return name + ('x%s' % fps if fps is not None else '')
    if fps is not None:
        return '%s-%sx%s' % (family, bitrate, fps)
    return '%s-%sk' % (family, bitrate)


def check_name(name, where='name'):
    if not isinstance(name, str) or not name.strip():
        raise BintuInputError('%s must be a non-empty string, got %r' % (where, name))
    if name != name.strip():
        raise BintuInputError('%s %r must not start or end with whitespace' % (where, name))
    if _CONTROL.search(name):
        raise BintuInputError('%s %r must not contain control characters such as line breaks' % (where, name))
    return name


def check_tags(tags, where='tags'):
    """A list of distinct non-empty strings, none using the reserved identity prefix; returned as a new list."""
    if tags is None:
        return None
    if not isinstance(tags, (list, tuple)):
        raise BintuInputError('%s must be a list of strings, got %r' % (where, tags))
    seen = set()
    result = []
    for index, tag in enumerate(tags):
        label = '%s[%d]' % (where, index)
        if not isinstance(tag, str):
            raise BintuInputError('%s must be a non-empty string, got %s %r (quote it in YAML)'
                                  % (label, type(tag).__name__, tag))
        if not tag.strip():
            raise BintuInputError('%s must be a non-empty string, got %r' % (label, tag))
        if tag != tag.strip():
            raise BintuInputError('%s %r must not start or end with whitespace' % (label, tag))
        if _CONTROL.search(tag):
            raise BintuInputError('%s %r must not contain control characters such as line breaks' % (label, tag))
        if tag.lower().startswith(IDENTITY_PREFIX):
            advice = ('scope tags select streams by what they share; use a tag such as event:<slug>'
                      if where == 'scope_tags' else 'set the name with the name option and rename this tag')
            raise BintuInputError('%s %r starts with the reserved prefix %r: the collection stores the stream name in '
                                  'that tag; %s' % (label, tag, IDENTITY_PREFIX, advice))
        if tag in seen:
            raise BintuInputError('%s %r is listed twice: list each tag once' % (label, tag))
        seen.add(tag)
        result.append(tag)
    return result


def check_transcodes(transcodes, where='transcodes'):
    """Validate a ladder: profile names or {profile, tags}; distinct; strictly decreasing bitrate."""
    if transcodes is None:
        return None
    if not isinstance(transcodes, (list, tuple)):
        raise BintuInputError('%s must be a list of profile names or {profile, tags} entries, got %r'
                              % (where, transcodes))
    ladder = []
    for index, entry in enumerate(transcodes):
        label = '%s[%d]' % (where, index)
        tags = None
        if isinstance(entry, dict):
            unknown = sorted(set(entry) - set(['profile', 'tags']))
            if unknown:
                raise BintuInputError('%s has unknown keys %s: only profile and tags are allowed'
                                      % (label, ', '.join(str(k) for k in unknown)))
            if 'profile' not in entry:
                raise BintuInputError('%s needs a profile, such as %s' % (label, PROFILE_EXAMPLE))
            profile = entry['profile']
            tags = check_tags(entry.get('tags'), where='%s.tags' % label)
        else:
            profile = entry
        spec = parse_profile(profile, where=label if not isinstance(entry, dict) else '%s.profile' % label)
        for other_index, other in enumerate(ladder):
            if other['profile'] == profile:
                raise BintuInputError('%s profile %r is already %s[%d]: list each profile once'
                                      % (label, profile, where, other_index))
        if ladder and not spec['bitrate'] < ladder[-1]['spec']['bitrate']:
            previous = ladder[-1]
            raise BintuInputError(
                '%s %r (%d kbit/s) must have a lower bitrate than %s[%d] %r (%d kbit/s): order the ladder from the '
                'highest to the lowest bitrate, each profile strictly lower than the one before'
                % (label, profile, spec['bitrate'], where, index - 1, previous['profile'], previous['spec']['bitrate']))
        ladder.append(dict(profile=profile, spec=spec, tags=tags))
    return ladder


def merge_unique(*lists):
    result = []
    for items in lists:
        for item in items or []:
            if item not in result:
                result.append(item)
    return result


def desired_stream(params):
    """Validate bintu_stream-style parameters into a desired-stream dict. Raises BintuInputError."""
    name = params.get('name')
    stream_id = params.get('id')
    if name is not None and stream_id is not None:
        raise BintuInputError('name and id are mutually exclusive: identify the stream by one of them')
    if name is None and stream_id is None:
        raise BintuInputError('one of name or id is required: name identifies the stream by its identity tag, '
                              'id by its Bintu id')
    if name is not None:
        check_name(name)
    if stream_id is not None:
        check_name(stream_id, where='id')
    state = params.get('state') or 'present'
    if state not in ('present', 'absent'):
        raise BintuInputError('state must be present or absent, got %r' % state)
    return dict(
        name=name,
        id=stream_id,
        state=state,
        tags=check_tags(params.get('tags')),
        purge_tags=bool(params.get('purge_tags', True)),
        transcodes=check_transcodes(params.get('transcodes')),
        recreate=bool(params.get('recreate', False)),
        force=bool(params.get('force', False)),
    )


def desired_streams(params):
    """Validate bintu_streams parameters: returns (scope_tags, [desired-stream dicts]). Raises BintuInputError."""
    scope_tags = params.get('scope_tags')
    if not scope_tags:
        raise BintuInputError('scope_tags must list at least one tag, such as event:summit-2027: it marks every '
                              'stream of this call and limits what prune and state=absent may delete')
    scope_tags = check_tags(scope_tags, where='scope_tags')
    concurrency = params.get('concurrency', 4)
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        raise BintuInputError('concurrency must be an integer of at least 1, got %r' % (concurrency,))
    state = params.get('state') or 'present'
    if state not in ('present', 'absent'):
        raise BintuInputError('state must be present or absent, got %r' % state)
    streams = params.get('streams')
    if streams is None:
        streams = []
    if not isinstance(streams, (list, tuple)):
        raise BintuInputError('streams must be a list of {name, tags, transcodes} entries')
    if state == 'present' and not streams and not params.get('prune'):
        raise BintuInputError('streams is empty: list the streams to converge (or use state=absent to delete '
                              'every stream in scope_tags, or prune=true to delete every stream in scope)')
    purge = bool(params.get('purge_tags', True))
    ladders = check_ladders(params.get('ladders'))
    result = []
    names = {}
    for index, entry in enumerate(streams):
        label = 'streams[%d]' % index
        if not isinstance(entry, dict):
            raise BintuInputError('%s must be a dict with name, tags and transcodes, got %r' % (label, entry))
        name = check_name(entry.get('name'), where='%s.name' % label)
        if name in names:
            raise BintuInputError('%s.name %r is already used by streams[%d]: stream names must be unique'
                                  % (label, name, names[name]))
        names[name] = index
        try:
            tags = check_tags(entry.get('tags'), where='%s.tags' % label)
            ladder, transcodes = _ladder_of(entry, ladders, label)
        except BintuInputError as exc:
            raise BintuInputError("stream '%s': %s" % (name, exc)) from exc
        result.append(dict(
            name=name,
            id=None,
            state=state,
            tags=merge_unique(scope_tags, tags) if tags is not None else list(scope_tags),
            purge_tags=purge if tags is not None else False,
            purge_member_tags=purge,
            transcodes=transcodes,
            recreate=bool(params.get('recreate', False)),
            force=bool(params.get('force', False)),
            ladder=ladder,
        ))
    return scope_tags, result


def check_ladders(ladders):
    """Validate named ladders: {name: [profile, ...]}. Returns {name: checked ladder} ({} for None)."""
    if ladders is None:
        return {}
    if not isinstance(ladders, dict):
        raise BintuInputError('ladders must map ladder names to lists of profiles, for example '
                              '{sd: [vtrans2-852x480x800x25, vtrans2-640x360x400x25], passthrough: []}')
    checked = {}
    for name in sorted(ladders, key=str):
        profiles = [] if ladders[name] is None else ladders[name]
        checked[str(name)] = check_transcodes(profiles, where='ladders.%s' % name)
    return checked


def _ladder_of(entry, ladders, label):
    """(ladder label, checked transcodes) of a streams entry: a named ladder, or 'custom' for its own."""
    ladder, transcodes = entry.get('ladder'), entry.get('transcodes')
    if ladder is None:
        if transcodes is None:
            return 'passthrough', []
        return 'custom', check_transcodes(transcodes, where='%s.transcodes' % label)
    if transcodes is not None:
        raise BintuInputError("%s sets both ladder and transcodes: set one of them ('ladder' names one of "
                              "ladders, 'transcodes' lists profiles)" % label)
    if ladder not in ladders:
        known = ', '.join(sorted(ladders)) or 'none (the ladders option is not set)'
        raise BintuInputError('%s.ladder %r is not one of ladders; known ladders: %s. Fix the name or add the '
                              'ladder to ladders' % (label, ladder, known))
    return ladder, ladders[ladder]


def info_filters(params):
    """Validate bintu_stream_info parameters. Raises BintuInputError."""
    quantity = params.get('quantity', 50)
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise BintuInputError('quantity must be an integer of at least 1, got %r' % (quantity,))
    state = params.get('state')
    if state is not None and state not in STATES:
        raise BintuInputError('state must be one of %s, got %r' % (', '.join(STATES), state))
    name = params.get('name')
    if name is not None:
        check_name(name)
    stream_id = params.get('id')
    if stream_id is not None:
        check_name(stream_id, where='id')
    if name is not None and stream_id is not None:
        raise BintuInputError('name and id are mutually exclusive: filter by one of them')
    return dict(quantity=quantity, state=state, tags=check_tags(params.get('tags')) or [], name=name, id=stream_id)


# -- reading Bintu stream objects -----------------------------------------------

def _list(value):
    return value if isinstance(value, list) else []


def _dict(value):
    return value if isinstance(value, dict) else {}


def identity_tag(name):
    return IDENTITY_PREFIX + name


def raw_tags(obj):
    return [t for t in _list(_dict(obj).get('tags')) if isinstance(t, str)]


def stream_name(obj):
    """The stream's name from its identity tag, or None."""
    for tag in raw_tags(obj):
        if tag.startswith(IDENTITY_PREFIX):
            return tag[len(IDENTITY_PREFIX):]
    return None


def user_tags(tags):
    return sorted(set(t for t in tags or [] if isinstance(t, str) and not t.startswith(IDENTITY_PREFIX)))


def is_member(obj):
    """A transcode of a group: its streamgroup is set and is not its own id."""
    group = obj.get('streamgroup')
    return bool(group) and group != obj.get('id')


def is_deleted(obj):
    return obj.get('state') == 'deleted'


def matches_name(obj, name):
    """Exact identity-tag match on a passthrough (or single) stream that is not deleted."""
    return (isinstance(obj, dict) and not is_member(obj) and not is_deleted(obj)
            and identity_tag(name) in raw_tags(obj))


def oldest(streams):
    return min(streams, key=lambda s: (str(s.get('created_at') or ''), str(s.get('id') or '')))


def _int_or_none(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _indexed(entries):
    result = []
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        index = _int_or_none(entry.get('index'))
        result.append((index if index is not None else position, entry))
    result.sort(key=lambda item: item[0])
    return result


def _member_info(entry):
    info = _dict(entry.get('info'))
    return dict((k, _int_or_none(info.get(k))) for k in PROFILE_FIELDS)


def observed_ladder(obj):
    """The group members of a passthrough (h5live entries with index >= 1), in order."""
    ladder = []
    for index, entry in _indexed(_list(_dict(obj.get('playout')).get('h5live'))):
        if index < 1:
            continue
        info = _member_info(entry)
        tags = entry.get('tags')
        profile = entry.get('profile') if isinstance(entry.get('profile'), str) else None
        ladder.append(dict(
            index=index,
            id=entry.get('id'),
            streamname=entry.get('streamname') or _dict(entry.get('rtmp')).get('streamname'),
            tags=[t for t in tags if isinstance(t, str)] if isinstance(tags, list) else None,
            api_profile=profile,
            **info
        ))
    return ladder


def normalise_stream(obj, ladder=None):
    """A Bintu stream object in the collection's return shape (identity tag and members' internals removed)."""
    obj = _dict(obj)
    playout = _dict(obj.get('playout'))
    rtmp_ingest = _dict(_dict(obj.get('ingest')).get('rtmp'))
    if ladder is None:
        ladder = observed_ladder(obj)
    h5live = []
    for index, entry in _indexed(_list(playout.get('h5live'))):
        server = _dict(entry.get('server'))
        item = dict(index=index, id=entry.get('id'),
                    streamname=entry.get('streamname') or _dict(entry.get('rtmp')).get('streamname'),
                    websocket=server.get('websocket'), hls=server.get('hls'), progressive=server.get('progressive'))
        item.update(_member_info(entry))
        h5live.append(item)
    return dict(
        id=obj.get('id'),
        name=stream_name(obj),
        state=obj.get('state'),
        created_at=obj.get('created_at'),
        streamgroup=obj.get('streamgroup'),
        tags=user_tags(raw_tags(obj)),
        ingest=dict(rtmp_url=rtmp_ingest.get('url'), streamname=rtmp_ingest.get('streamname')),
        playout=dict(
            rtmp=[dict(index=i, id=e.get('id'), url=e.get('url'), streamname=e.get('streamname'))
                  for i, e in _indexed(_list(playout.get('rtmp')))],
            hls=[dict(index=i, id=e.get('id'), url=e.get('url')) for i, e in _indexed(_list(playout.get('hls')))],
            h5live=h5live,
            web=[e.get('url') if isinstance(e, dict) else e for e in _list(playout.get('web'))
                 if isinstance(e, (dict, str))],
        ),
        transcodes=[_normalised_member(m) for m in ladder],
    )


def _normalised_member(member):
    profile = member.get('desired_profile') or member.get('api_profile') or profile_name_from_info(member)
    return dict(profile=profile, id=member.get('id'), streamname=member.get('streamname'),
                tags=sorted(member.get('tags') or []),
                width=member.get('width'), height=member.get('height'), bitrate=member.get('bitrate'),
                fps=member.get('fps'))


# -- comparing ----------------------------------------------------------------

def member_matches(desired_entry, member):
    """Does an observed member fit a desired profile? Compared on what the profile name specifies."""
    spec = desired_entry['spec']
    observed = dict((k, member.get(k)) for k in PROFILE_FIELDS)
    if member.get('api_profile'):
        try:
            api_spec = parse_profile(member['api_profile'])
        except BintuInputError:
            api_spec = None
        if api_spec:
            for key in PROFILE_FIELDS:
                if observed[key] is None:
                    observed[key] = api_spec[key]
    for key in PROFILE_FIELDS:
        if spec[key] is not None and observed[key] is not None and spec[key] != observed[key]:
            return False
    return True


def ladder_matches(desired_ladder, ladder):
    if len(desired_ladder) != len(ladder):
        return False
    return all(member_matches(d, m) for d, m in zip(desired_ladder, ladder))


def _ladder_names(entries, desired=False):
    if desired:
        return [e['profile'] for e in entries]
    return [_normalised_member(m)['profile'] or '?' for m in entries]


def tag_target(observed, desired, purge):
    """The user tags a stream should end up with (None = leave them)."""
    if desired is None:
        return None
    if purge:
        return list(desired)
    return merge_unique(desired, sorted(set(observed or []) - set(desired)))


def describe_tag_change(before, after):
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    parts = ['+%s' % t for t in added] + ['-%s' % t for t in removed]
    return ', '.join(parts)


def managed_view(stream):
    """The managed fields of a normalised stream, for diffs (None = the stream does not exist)."""
    if stream is None:
        return dict(state='absent')
    return dict(
        state='present',
        name=stream.get('name'),
        tags=sorted(stream.get('tags') or []),
        transcodes=[dict(profile=t.get('profile'), tags=sorted(t.get('tags') or [])) for t in stream.get('transcodes') or []],
    )


# -- planning -----------------------------------------------------------------

def create_body(name, user_tag_list, ladder, identity=None):
    tags = ([identity_tag(name)] if name is not None else list(identity or [])) + list(user_tag_list or [])
    body = dict(tags=tags)
    if ladder:
        body['transcodes'] = [dict(profile=e['profile'], tags=list(e.get('tags') or [])) for e in ladder]
    return body


def predicted_new_stream(name, user_tag_list, ladder):
    """What a create will return, as far as it can be known before it happens (ids unknown)."""
    return dict(
        id=None, name=name, state=None, created_at=None, streamgroup=None,
        tags=sorted(user_tag_list or []),
        ingest=dict(rtmp_url=None, streamname=None),
        playout=dict(rtmp=[], hls=[], h5live=[], web=[]),
        transcodes=[dict(profile=e['profile'], id=None, streamname=None, tags=sorted(e.get('tags') or []),
                         width=e['spec']['width'], height=e['spec']['height'], bitrate=e['spec']['bitrate'],
                         fps=e['spec']['fps']) for e in ladder or []],
    )


def _result(name, action, observed=None, predicted=None, steps=None, changes=None, error=None):
    return dict(
        name=name,
        action=action,
        steps=steps or [],
        changes=changes or [],
        error=error,
        observed=observed,
        predicted=predicted,
        before=managed_view(observed),
        after=managed_view(predicted),
    )


def plan(desired, observed):
    """Compare a desired stream with the observed Bintu object (or None) and return the plan.

    The plan is a dict: name, action (created, updated, unchanged, recreated, deleted, kept_live, absent,
    failed), steps (create / delete / set_tags, in order), changes (human-readable), error (for failed and
    kept_live), observed / predicted (normalised streams) and before / after (managed fields, for diffs).
    """
    ladder = observed_ladder(observed) if observed else []
    desired_ladder = desired.get('transcodes')
    if observed and desired_ladder is not None and ladder_matches(desired_ladder, ladder):
        for entry, member in zip(desired_ladder, ladder):
            member['desired_profile'] = entry['profile']
    current = normalise_stream(observed, ladder) if observed else None
    name = desired.get('name') or (current or {}).get('name')
    label = "stream '%s'" % name if name is not None else 'stream id %s' % desired.get('id')
    live = bool(observed) and observed.get('state') == 'live'

    if desired['state'] == 'absent':
        if not observed:
            return _result(name, 'absent', predicted=None, changes=[])
        if live and not desired.get('force'):
            return _result(name, 'kept_live', observed=current, predicted=current, error=(
                '%s (id %s) is live: it was not deleted. Stop the encoder first, or set force=true to delete it '
                'while it is live' % (label, current['id'])))
        return _result(name, 'deleted', observed=current, predicted=None,
                       steps=[dict(op='delete', id=current['id'], reason='absent')],
                       changes=['delete %s (id %s)' % (label, current['id'])])

    tags_wanted = desired.get('tags')
    purge = desired.get('purge_tags', True)

    if not observed:
        user = tag_target([], tags_wanted, True) or []
        new_ladder = desired_ladder or []
        predicted = predicted_new_stream(name, user, new_ladder)
        changes = ['create %s' % label + (' with transcodes %s' % ', '.join(_ladder_names(new_ladder, True))
                                          if new_ladder else '')]
        return _result(name, 'created', predicted=predicted, changes=changes,
                       steps=[dict(op='create', name=name, body=create_body(name, user, new_ladder))])

    if desired_ladder is not None and not ladder_matches(desired_ladder, ladder):
        have = _ladder_names(ladder) or ['(passthrough only)']
        want = _ladder_names(desired_ladder, True) or ['(passthrough only)']
        if not desired.get('recreate'):
            return _result(name, 'failed', observed=current, predicted=_with_ladder(current, desired_ladder), error=(
                'the transcodes of %s (id %s) differ from the desired ladder: observed [%s], desired [%s]. '
                'Bintu cannot change the ladder of an existing stream. Set recreate=true to delete it and create it '
                'again (new id and new ingest stream name: encoders must be given the new one), or keep the '
                'observed transcodes' % (label, current['id'], ', '.join(have), ', '.join(want))))
        if live and not desired.get('force'):
            return _result(name, 'failed', observed=current, predicted=current, error=(
                '%s (id %s) is live: refusing to recreate it for the ladder change [%s] -> [%s]. Stop the encoder '
                'first, or set force=true to recreate it while it is live' % (label, current['id'], ', '.join(have),
                                                                              ', '.join(want))))
        user = tag_target(current['tags'], tags_wanted, purge)
        if user is None:
            user = current['tags']
        predicted = predicted_new_stream(name, user, desired_ladder)
        identity = [t for t in raw_tags(observed) if t.startswith(IDENTITY_PREFIX)]
        return _result(name, 'recreated', observed=current, predicted=predicted, steps=[
            dict(op='delete', id=current['id'], reason='recreate'),
            dict(op='create', name=name, body=create_body(desired.get('name'), user, desired_ladder, identity)),
        ], changes=['recreate %s (id %s): transcodes [%s] -> [%s]; the new stream gets a new id and ingest stream '
                    'name' % (label, current['id'], ', '.join(have), ', '.join(want))])

    steps = []
    changes = []
    predicted = dict(current, tags=list(current['tags']), transcodes=[dict(t) for t in current['transcodes']])
    user = tag_target(current['tags'], tags_wanted, purge)
    if user is not None and set(user) != set(current['tags']):
        identity = [t for t in raw_tags(observed) if t.startswith(IDENTITY_PREFIX)]
        steps.append(dict(op='set_tags', id=current['id'], tags=identity + user, member=None))
        changes.append('tags: %s' % describe_tag_change(current['tags'], user))
        predicted['tags'] = sorted(user)
    if desired_ladder:
        for position, (entry, member) in enumerate(zip(desired_ladder, ladder)):
            observed_tags = member.get('tags') or []
            target = tag_target(observed_tags, entry.get('tags'), desired.get('purge_member_tags', purge))
            if target is None or set(target) == set(observed_tags):
                continue
            steps.append(dict(op='set_tags', id=member.get('id'), tags=target, member=position + 1))
            change = describe_tag_change(observed_tags, target)
            changes.append('transcode %d (%s) tags: %s' % (position + 1, entry['profile'], change))
            predicted['transcodes'][position]['tags'] = sorted(target)
    return _result(name, 'updated' if steps else 'unchanged', observed=current, predicted=predicted, steps=steps,
                   changes=changes)


def _with_ladder(current, desired_ladder):
    predicted = predicted_new_stream(current.get('name'), current.get('tags'), desired_ladder)
    return predicted


def members_needing_tags(desired, observed):
    """Ids of observed members whose tags are needed for the plan but missing from the object."""
    desired_ladder = desired.get('transcodes') or []
    if not observed or desired.get('state') != 'present':
        return []
    ladder = observed_ladder(observed)
    if not ladder_matches(desired_ladder, ladder):
        return []
    return [m['id'] for e, m in zip(desired_ladder, ladder) if e.get('tags') is not None and m['tags'] is None and m['id']]


def fill_member_tags(observed, tags_by_id):
    """Put member tags fetched separately into the passthrough's h5live entries (returns a patched copy)."""
    playout = dict(_dict(observed.get('playout')))
    entries = []
    for entry in _list(playout.get('h5live')):
        if isinstance(entry, dict) and entry.get('id') in tags_by_id and entry.get('tags') is None:
            entry = dict(entry, tags=list(tags_by_id[entry['id']]))
        entries.append(entry)
    playout['h5live'] = entries
    return dict(observed, playout=playout)
