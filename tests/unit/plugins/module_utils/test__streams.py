# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.nanocosmos.bintu.plugins.module_utils._streams import (
    BintuInputError,
    check_tags,
    check_transcodes,
    desired_stream,
    desired_streams,
    info_filters,
    is_member,
    ladder_matches,
    managed_view,
    matches_name,
    member_matches,
    normalise_stream,
    observed_ladder,
    oldest,
    parse_profile,
    plan,
    profile_name_from_info,
    stream_name,
    tag_target,
)
from ansible_collections.nanocosmos.bintu.tests.unit.plugins.module_utils.fake_bintu import make_stream

HD = 'vtrans2-852x480x800x25'
SD = 'vtrans2-640x360x400x25'


# -- profiles -------------------------------------------------------------------

@pytest.mark.parametrize('name,expected', [
    ('vtrans2-852x480x800x25', ('vtrans2', 852, 480, 800, 25)),
    ('vtrans-1280x720x2000x30', ('vtrans', 1280, 720, 2000, 30)),
    ('vtrans2-640x360x400', ('vtrans2', 640, 360, 400, None)),
    ('vtrans2-2000x30', ('vtrans2', None, None, 2000, 30)),
    ('vtrans-1000k', ('vtrans', None, None, 1000, None)),
    ('vtrans2-400k15', ('vtrans2', None, None, 400, 15)),
])
def test_parse_profile(name, expected):
    spec = parse_profile(name)
    assert (spec['family'], spec['width'], spec['height'], spec['bitrate'], spec['fps']) == expected
    assert spec['name'] == name


@pytest.mark.parametrize('name', [
    'vtrans3-852x480x800x25', '852x480x800x25', 'vtrans2-852x480', 'vtrans2-0x480x800x25', 'vtrans2-852x480x800x25x1',
    'VTRANS2-852x480x800x25', 'vtrans2-852x480x800x25 ', 'vtrans2-', '', None, 800, 'vtrans2-800kk',
])
def test_malformed_profiles_are_rejected(name):
    with pytest.raises(BintuInputError) as exc:
        parse_profile(name, where='transcodes[0]')
    assert 'transcodes[0]' in str(exc.value)
    assert 'vtrans2-852x480x800x25' in str(exc.value)


@pytest.mark.parametrize('info,expected', [
    (dict(width=852, height=480, bitrate=800, fps=25), 'vtrans2-852x480x800x25'),
    (dict(width=640, height=360, bitrate=400, fps=None), 'vtrans2-640x360x400'),
    (dict(width=None, height=None, bitrate=2000, fps=30), 'vtrans2-2000x30'),
    (dict(width=None, height=None, bitrate=1000, fps=None), 'vtrans2-1000k'),
    (dict(width=None, height=None, bitrate=None, fps=None), None),
])
def test_profile_name_from_info(info, expected):
    assert profile_name_from_info(info) == expected


# -- tags and ladders ---------------------------------------------------------

@pytest.mark.parametrize('tags,fragment', [
    ('a', 'must be a list'),
    (['a', 3], 'tags[1] must be a non-empty string, got int 3'),
    (['a', None], 'tags[1] must be a non-empty string'),
    ([''], 'tags[0] must be a non-empty string'),
    (['  '], 'tags[0] must be a non-empty string'),
    ([' a'], 'must not start or end with whitespace'),
    (['a\nb'], 'control characters'),
    (['name:x'], "reserved prefix 'name:'"),
    (['Name:x'], "reserved prefix 'name:'"),
    (['a', 'b', 'a'], "tags[2] 'a' is listed twice"),
    ([{'a': 1}], 'tags[0] must be a non-empty string, got dict'),
])
def test_bad_tags(tags, fragment):
    with pytest.raises(BintuInputError) as exc:
        check_tags(tags)
    assert fragment in str(exc.value)


def test_good_tags_keep_order_and_allow_colons_and_spaces():
    assert check_tags(['room: main hall', 'studio/west', 'lang:en', 'names:x']) == [
        'room: main hall', 'studio/west', 'lang:en', 'names:x']
    assert check_tags(None) is None
    assert check_tags([]) == []


def test_ladder_entries_strings_and_dicts():
    ladder = check_transcodes([HD, {'profile': SD, 'tags': ['low']}])
    assert [(e['profile'], e['tags']) for e in ladder] == [(HD, None), (SD, ['low'])]
    assert ladder[0]['spec']['bitrate'] == 800


@pytest.mark.parametrize('ladder,fragment', [
    ('vtrans2-852x480x800x25', 'must be a list'),
    ([SD, HD], "transcodes[1] 'vtrans2-852x480x800x25' (800 kbit/s) must have a lower bitrate than transcodes[0]"),
    ([HD, 'vtrans2-640x360x800x25'], 'must have a lower bitrate'),
    ([HD, HD], 'is already transcodes[0]'),
    (['vtrans2-852x480'], 'not a valid transcoding profile'),
    ([{'tags': ['x']}], 'needs a profile'),
    ([{'profile': HD, 'tag': ['x']}], 'unknown keys tag'),
    ([{'profile': HD, 'tags': ['name:x']}], "transcodes[0].tags[0] 'name:x'"),
    ([{'profile': 'bad'}], 'transcodes[0].profile'),
    ([7], 'transcodes[0] must be a profile name'),
])
def test_bad_ladders(ladder, fragment):
    with pytest.raises(BintuInputError) as exc:
        check_transcodes(ladder)
    assert fragment in str(exc.value)


def test_tag_target():
    assert tag_target(['a', 'b'], None, True) is None
    assert tag_target(['a', 'b'], ['c'], True) == ['c']
    assert tag_target(['b', 'a'], ['c'], False) == ['c', 'a', 'b']
    assert tag_target(['a'], [], True) == []


# -- module parameters --------------------------------------------------------

@pytest.mark.parametrize('params,fragment', [
    (dict(), 'one of name or id is required'),
    (dict(name='a', id='b'), 'mutually exclusive'),
    (dict(name=''), 'name must be a non-empty string'),
    (dict(name=' a'), 'whitespace'),
    (dict(id=''), 'id must be a non-empty string'),
    (dict(name='a', state='gone'), 'state must be present or absent'),
    (dict(name='a', tags=['name:b']), 'reserved prefix'),
    (dict(name='a', transcodes=[SD, HD]), 'lower bitrate'),
])
def test_desired_stream_errors(params, fragment):
    with pytest.raises(BintuInputError) as exc:
        desired_stream(params)
    assert fragment in str(exc.value)


def test_desired_stream_defaults():
    desired = desired_stream(dict(name='a'))
    assert desired == dict(name='a', id=None, state='present', tags=None, purge_tags=True, transcodes=None,
                           recreate=False, force=False)


def bulk(**kwargs):
    params = dict(scope_tags=['event:x'], streams=[dict(name='a')], state='present', prune=False, purge_tags=True,
                  recreate=False, force=False, concurrency=4)
    params.update(kwargs)
    return params


@pytest.mark.parametrize('params,fragment', [
    (bulk(scope_tags=[]), 'scope_tags must list at least one tag'),
    (bulk(scope_tags=None), 'scope_tags must list at least one tag'),
    (bulk(scope_tags=['name:x']), "scope_tags[0] 'name:x' starts with the reserved prefix"),
    (bulk(streams=[dict(name='a'), dict(name='b'), dict(name='a')]), "streams[2].name 'a' is already used by streams[0]"),
    (bulk(concurrency=0), 'concurrency must be an integer of at least 1'),
    (bulk(streams=[dict(name='')]), 'streams[0].name must be a non-empty string'),
    (bulk(streams=[dict(name='a', transcodes=[SD, SD])]), 'streams[0].transcodes[1]'),
    (bulk(streams=[dict(name='a', tags=[''])]), 'streams[0].tags[0]'),
    (bulk(streams=[]), 'streams is empty'),
    (bulk(streams=['a']), 'streams[0] must be a dict'),
])
def test_desired_streams_errors(params, fragment):
    with pytest.raises(BintuInputError) as exc:
        desired_streams(params)
    assert fragment in str(exc.value)


def test_desired_streams_scope_tags_are_added():
    scope, streams = desired_streams(bulk(streams=[dict(name='a', tags=['room:1', 'event:x']), dict(name='b')]))
    assert scope == ['event:x']
    assert streams[0]['tags'] == ['event:x', 'room:1'] and streams[0]['purge_tags'] is True
    # tags omitted: only the scope tags are ensured, other tags are left alone
    assert streams[1]['tags'] == ['event:x'] and streams[1]['purge_tags'] is False
    assert streams[1]['transcodes'] == []
    assert streams[1]['purge_member_tags'] is True


def test_desired_streams_absent_without_streams_is_allowed():
    scope, streams = desired_streams(bulk(streams=None, state='absent'))
    assert streams == []


@pytest.mark.parametrize('params,fragment', [
    (dict(quantity=0), 'quantity must be an integer of at least 1'),
    (dict(quantity=-5), 'quantity'),
    (dict(quantity=True), 'quantity'),
    (dict(state='deleted'), 'state must be one of created, live, ended'),
    (dict(name='a', id='b'), 'mutually exclusive'),
    (dict(tags=['name:a']), 'reserved prefix'),
])
def test_info_filter_errors(params, fragment):
    with pytest.raises(BintuInputError) as exc:
        info_filters(params)
    assert fragment in str(exc.value)


# -- reading stream objects ---------------------------------------------------

def group():
    return make_stream('p1', ['name:show', 'b', 'a'], ladder=[('m1', HD, ['hd']), ('m2', SD, [])])


def test_normalise_stream_shape():
    stream = normalise_stream(group())
    assert stream['id'] == 'p1' and stream['name'] == 'show' and stream['streamgroup'] == 'p1'
    assert stream['tags'] == ['a', 'b']
    assert stream['ingest'] == dict(rtmp_url='rtmp://ingest/live', streamname='ORG01-p1')
    assert [e['index'] for e in stream['playout']['h5live']] == [0, 1, 2]
    assert stream['playout']['h5live'][1]['width'] == 852
    assert stream['playout']['h5live'][0]['websocket'] == 'wss://play/ws'
    assert stream['playout']['rtmp'][2] == dict(index=2, id='m2', url='rtmp://play/play', streamname='ORG01-m2')
    assert stream['playout']['web'] == ['https://dash/playout/p1']
    assert stream['transcodes'] == [
        dict(profile=HD, id='m1', streamname='ORG01-m1', tags=['hd'], width=852, height=480, bitrate=800, fps=25),
        dict(profile=SD, id='m2', streamname='ORG01-m2', tags=[], width=640, height=360, bitrate=400, fps=25),
    ]


def test_normalise_tolerates_missing_fields():
    stream = normalise_stream({'id': 'x'})
    assert stream['name'] is None and stream['tags'] == [] and stream['transcodes'] == []
    assert stream['ingest'] == dict(rtmp_url=None, streamname=None)
    assert stream['playout'] == dict(rtmp=[], hls=[], h5live=[], web=[])
    assert normalise_stream({'id': 'x', 'playout': None, 'tags': None, 'ingest': {'rtmp': None}})['tags'] == []


def test_members_ordered_by_index_even_when_listed_out_of_order():
    obj = group()
    obj['playout']['h5live'] = list(reversed(obj['playout']['h5live']))
    assert [m['id'] for m in observed_ladder(obj)] == ['m1', 'm2']


def test_member_streamname_from_rtmp_and_api_profile():
    entry = {'index': 1, 'id': 'm', 'rtmp': {'streamname': 'N-1'}, 'profile': 'vtrans-852x480x800x30', 'info': {}}
    obj = {'id': 'p', 'playout': {'h5live': [{'index': 0}, entry]}}
    member = normalise_stream(obj)['transcodes'][0]
    assert member['streamname'] == 'N-1'
    assert member['profile'] == 'vtrans-852x480x800x30'
    assert member['tags'] == []


def test_identity_and_membership():
    passthrough = group()
    member = make_stream('m1', ['name:show'], group='p1')
    assert stream_name(passthrough) == 'show'
    assert is_member(member) and not is_member(passthrough)
    assert matches_name(passthrough, 'show')
    assert not matches_name(member, 'show')
    assert not matches_name(passthrough, 'sho')
    assert not matches_name(make_stream('p2', ['name:show-2']), 'show')
    assert not matches_name(dict(passthrough, state='deleted'), 'show')


def test_oldest_by_created_at_then_id():
    a = dict(id='b', created_at='2027-01-01T00:00:01.000Z')
    b = dict(id='a', created_at='2027-01-01T00:00:01.000Z')
    c = dict(id='0', created_at='2027-01-01T00:00:02.000Z')
    assert oldest([c, a, b]) is b


# -- ladder comparison ----------------------------------------------------------

def member(**info):
    base = dict(width=None, height=None, bitrate=None, fps=None, api_profile=None)
    base.update(info)
    return base


def entry(profile):
    return dict(profile=profile, spec=parse_profile(profile), tags=None)


def test_member_matches_on_specified_fields():
    assert member_matches(entry(HD), member(width=852, height=480, bitrate=800, fps=25))
    # family is not exposed by the API: vtrans and vtrans2 of the same numbers match
    assert member_matches(entry('vtrans-852x480x800x25'), member(width=852, height=480, bitrate=800, fps=25))
    assert not member_matches(entry(HD), member(width=852, height=480, bitrate=800, fps=30))
    assert not member_matches(entry(HD), member(width=1280, height=720, bitrate=800, fps=25))
    # a legacy name without resolution only compares what it specifies
    assert member_matches(entry('vtrans2-800k'), member(width=852, height=480, bitrate=800, fps=25))
    # unknown observed values are not held against the stream
    assert member_matches(entry(HD), member(bitrate=800))
    assert member_matches(entry(HD), member(api_profile=HD))
    assert not member_matches(entry(HD), member(api_profile=SD))


def test_ladder_matches_needs_same_length():
    ladder = observed_ladder(group())
    assert ladder_matches([entry(HD), entry(SD)], ladder)
    assert not ladder_matches([entry(HD)], ladder)
    assert not ladder_matches([], ladder)
    assert ladder_matches([], [])


# -- planning -----------------------------------------------------------------

def want(**kwargs):
    params = dict(name='show')
    params.update(kwargs)
    return desired_stream(params)


def test_plan_create():
    result = plan(want(tags=['b', 'a'], transcodes=[HD, {'profile': SD, 'tags': ['low']}]), None)
    assert result['action'] == 'created'
    assert result['steps'] == [dict(op='create', name='show', body=dict(
        tags=['name:show', 'b', 'a'], transcodes=[dict(profile=HD, tags=[]), dict(profile=SD, tags=['low'])]))]
    predicted = result['predicted']
    assert predicted['id'] is None and predicted['name'] == 'show' and predicted['tags'] == ['a', 'b']
    assert [(t['profile'], t['tags'], t['id']) for t in predicted['transcodes']] == [(HD, [], None), (SD, ['low'], None)]
    assert result['before'] == dict(state='absent')
    assert result['after'] == dict(state='present', name='show', tags=['a', 'b'],
                                   transcodes=[dict(profile=HD, tags=[]), dict(profile=SD, tags=['low'])])


def test_plan_create_without_transcodes_sends_none():
    result = plan(want(), None)
    assert result['steps'][0]['body'] == dict(tags=['name:show'])


def test_plan_unchanged_compares_tags_as_sets():
    result = plan(want(tags=['b', 'a'], transcodes=[HD, SD]), group())
    assert result['action'] == 'unchanged' and result['steps'] == [] and result['changes'] == []
    assert result['predicted']['transcodes'][0]['profile'] == HD


def test_plan_unchanged_reports_desired_profile_names():
    result = plan(want(transcodes=['vtrans-852x480x800x25', SD]), group())
    assert result['action'] == 'unchanged'
    assert result['predicted']['transcodes'][0]['profile'] == 'vtrans-852x480x800x25'


def test_plan_tags_omitted_are_untouched():
    assert plan(want(), group())['action'] == 'unchanged'


def test_plan_tag_update_keeps_identity_tag():
    result = plan(want(tags=['a', 'c']), group())
    assert result['action'] == 'updated'
    assert result['steps'] == [dict(op='set_tags', id='p1', tags=['name:show', 'a', 'c'], member=None)]
    assert result['changes'] == ['tags: +c, -b']
    assert result['predicted']['tags'] == ['a', 'c']
    assert result['before']['tags'] == ['a', 'b'] and result['after']['tags'] == ['a', 'c']


def test_plan_without_purge_only_adds():
    result = plan(want(tags=['c'], purge_tags=False), group())
    assert result['steps'][0]['tags'] == ['name:show', 'c', 'a', 'b']
    assert plan(want(tags=['a'], purge_tags=False), group())['action'] == 'unchanged'


def test_plan_purge_to_empty():
    result = plan(want(tags=[]), group())
    assert result['steps'][0]['tags'] == ['name:show']


def test_plan_member_tags_updated_in_place():
    result = plan(want(transcodes=[{'profile': HD, 'tags': ['hd', 'main']}, {'profile': SD, 'tags': []}]), group())
    assert result['action'] == 'updated'
    assert result['steps'] == [dict(op='set_tags', id='m1', tags=['hd', 'main'], member=1)]
    assert result['changes'] == ['transcode 1 (%s) tags: +main' % HD]
    assert result['after']['transcodes'][0]['tags'] == ['hd', 'main']
    assert result['before']['transcodes'][0]['tags'] == ['hd']


def test_plan_ladder_change_fails_clearly():
    result = plan(want(transcodes=['vtrans2-1280x720x1600x25', HD]), group())
    assert result['action'] == 'failed' and result['steps'] == []
    error = result['error']
    assert "stream 'show' (id p1)" in error
    assert 'observed [%s, %s]' % (HD, SD) in error
    assert 'desired [vtrans2-1280x720x1600x25, %s]' % HD in error
    assert 'recreate=true' in error
    assert result['before']['transcodes'] != result['after']['transcodes']


def test_plan_passthrough_only_vs_ladder():
    result = plan(want(transcodes=[]), group())
    assert result['action'] == 'failed'
    assert 'desired [(passthrough only)]' in result['error']


def test_plan_recreate():
    result = plan(want(transcodes=[HD], recreate=True), group())
    assert result['action'] == 'recreated'
    assert result['steps'] == [
        dict(op='delete', id='p1', reason='recreate'),
        dict(op='create', name='show', body=dict(tags=['name:show', 'a', 'b'], transcodes=[dict(profile=HD, tags=[])])),
    ]
    assert result['predicted']['id'] is None


def test_plan_recreate_refused_while_live_unless_forced():
    live = dict(group(), state='live')
    result = plan(want(transcodes=[HD], recreate=True), live)
    assert result['action'] == 'failed' and 'is live' in result['error'] and 'force=true' in result['error']
    assert plan(want(transcodes=[HD], recreate=True, force=True), live)['action'] == 'recreated'


def test_plan_absent():
    assert plan(want(state='absent'), None)['action'] == 'absent'
    result = plan(want(state='absent'), group())
    assert result['action'] == 'deleted'
    assert result['steps'] == [dict(op='delete', id='p1', reason='absent')]
    assert result['after'] == dict(state='absent')


def test_plan_absent_live_needs_force():
    live = dict(group(), state='live')
    result = plan(want(state='absent'), live)
    assert result['action'] == 'kept_live' and result['steps'] == []
    assert 'is live' in result['error'] and 'force=true' in result['error']
    assert plan(want(state='absent', force=True), live)['action'] == 'deleted'


def test_plan_by_id_without_identity_tag():
    obj = make_stream('x1', ['a'])
    result = plan(desired_stream(dict(id='x1', tags=['b'])), obj)
    assert result['name'] is None
    assert result['steps'] == [dict(op='set_tags', id='x1', tags=['b'], member=None)]


def test_managed_view_ignores_server_fields():
    first = normalise_stream(group())
    second = normalise_stream(dict(group(), state='live', created_at='later'))
    assert managed_view(first) == managed_view(second)
    assert managed_view(None) == dict(state='absent')
