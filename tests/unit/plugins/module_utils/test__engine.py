# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.nanocosmos.bintu.plugins.module_utils._api import BintuApiError
from ansible_collections.nanocosmos.bintu.plugins.module_utils._engine import Engine, StreamError, summarise
from ansible_collections.nanocosmos.bintu.plugins.module_utils._streams import desired_stream, desired_streams
from ansible_collections.nanocosmos.bintu.tests.unit.plugins.module_utils.fake_bintu import FakeBintu

HD = 'vtrans2-852x480x800x25'
SD = 'vtrans2-640x360x400x25'


def run_one(fake, check_mode=False, **params):
    desired = desired_stream(params)
    engine = Engine(fake, check_mode=check_mode, retries=3)
    if desired['id'] is not None:
        observed = engine.observe_id(desired['id'], missing_ok=desired['state'] == 'absent')
    else:
        observed = engine.single(desired['name'], engine.lookup(desired['name']))
    return engine.run(desired, observed), engine


# -- one stream ---------------------------------------------------------------

def test_create_costs_lookup_post_and_verify():
    fake = FakeBintu()
    result, dummy = run_one(fake, name='show', tags=['a'], transcodes=[HD])
    assert result['action'] == 'created'
    assert fake.methods() == ['GET', 'POST', 'GET']
    assert result['id'] == result['stream']['id'] and result['id'] in fake.streams
    assert result['stream']['transcodes'][0]['profile'] == HD
    assert result['stream']['tags'] == ['a']


def test_unchanged_costs_one_request():
    fake = FakeBintu()
    fake.add(['name:show', 'a'], ladder=[(HD, [])])
    result, dummy = run_one(fake, name='show', tags=['a'], transcodes=[HD])
    assert result['action'] == 'unchanged'
    assert fake.methods() == ['GET']


def test_tag_change_costs_two_requests():
    fake = FakeBintu()
    obj = fake.add(['name:show', 'a'])
    result, dummy = run_one(fake, name='show', tags=['b'])
    assert result['action'] == 'updated'
    assert fake.methods() == ['GET', 'PUT']
    assert fake.streams[obj['id']]['tags'] == ['name:show', 'b']


def test_check_mode_writes_nothing():
    fake = FakeBintu()
    result, dummy = run_one(fake, check_mode=True, name='show', tags=['a'])
    assert result['action'] == 'created' and result['id'] is None and result['stream']['id'] is None
    fake.add(['name:show', 'x'])
    result, dummy = run_one(fake, check_mode=True, name='show', tags=['a'])
    assert result['action'] == 'updated'
    result, dummy = run_one(fake, check_mode=True, name='show', state='absent')
    assert result['action'] == 'deleted'
    assert fake.writes() == []


def test_duplicates_are_an_error_naming_both_ids():
    fake = FakeBintu()
    first = fake.add(['name:show'])
    second = fake.add(['name:show'])
    with pytest.raises(StreamError) as exc:
        run_one(fake, name='show')
    assert first['id'] in str(exc.value) and second['id'] in str(exc.value)
    assert fake.writes() == []


def test_members_carrying_the_name_do_not_match():
    fake = FakeBintu()
    obj = fake.add(['name:show'], ladder=[(HD, ['name:show'])])
    result, dummy = run_one(fake, name='show')
    assert result['id'] == obj['id'] and result['action'] == 'unchanged'


def test_unknown_id_is_an_error_never_a_create():
    fake = FakeBintu()
    with pytest.raises(StreamError) as exc:
        run_one(fake, id='nope', tags=['a'])
    assert 'does not exist' in str(exc.value) and 'never created' in str(exc.value)
    assert fake.writes() == []


def test_unknown_id_is_fine_for_absent():
    fake = FakeBintu()
    result, dummy = run_one(fake, id='gone', state='absent')
    assert result['action'] == 'absent'
    assert fake.writes() == []


def test_member_id_is_refused():
    fake = FakeBintu()
    obj = fake.add(['name:show'], ladder=[(HD, [])])
    member_id = obj['playout']['h5live'][1]['id']
    with pytest.raises(StreamError) as exc:
        run_one(fake, id=member_id, state='absent')
    assert 'transcode of the stream group %s' % obj['id'] in str(exc.value)


def test_recreate_deletes_then_creates():
    fake = FakeBintu()
    old = fake.add(['name:show', 'a'], ladder=[(HD, [])])
    result, dummy = run_one(fake, name='show', transcodes=[SD], recreate=True)
    assert result['action'] == 'recreated'
    assert fake.methods() == ['GET', 'DELETE', 'POST', 'GET']
    assert old['id'] not in fake.streams
    assert result['id'] != old['id']
    assert result['stream']['tags'] == ['a']
    assert [t['profile'] for t in result['stream']['transcodes']] == [SD]


def test_absent_and_absent_again():
    fake = FakeBintu()
    fake.add(['name:show'])
    result, dummy = run_one(fake, name='show', state='absent')
    assert result['action'] == 'deleted' and fake.methods() == ['GET', 'DELETE']
    result, dummy = run_one(fake, name='show', state='absent')
    assert result['action'] == 'absent'


def test_member_tags_are_fetched_when_the_object_lacks_them():
    fake = FakeBintu()
    obj = fake.add(['name:show'], ladder=[(HD, ['x'])])
    del fake.streams[obj['id']]['playout']['h5live'][1]['tags']
    result, dummy = run_one(fake, name='show', transcodes=[{'profile': HD, 'tags': ['x']}])
    assert result['action'] == 'unchanged'
    assert fake.methods() == ['GET', 'GET']


# -- creates that race or fail ambiguously ----------------------------------------

def test_outcome_unknown_without_commit_looks_up_then_creates_again():
    fake = FakeBintu()
    fake.create_faults = ['unknown']
    result, dummy = run_one(fake, name='show')
    assert result['action'] == 'created'
    assert fake.methods() == ['GET', 'POST', 'GET', 'POST', 'GET']
    assert len(fake.named('show')) == 1


def test_outcome_unknown_after_commit_adopts_the_stream():
    fake = FakeBintu()
    fake.create_faults = ['commit-unknown']
    result, dummy = run_one(fake, name='show', tags=['a'])
    assert result['action'] == 'created'
    # the lookup after the failed POST found it: no second POST, no extra verification
    assert fake.methods() == ['GET', 'POST', 'GET']
    assert len(fake.named('show')) == 1
    assert result['id'] == fake.named('show')[0]['id']


def test_outcome_unknown_every_time_gives_up_with_a_clear_message():
    fake = FakeBintu()
    fake.create_faults = ['unknown'] * 4
    with pytest.raises(StreamError) as exc:
        run_one(fake, name='show')
    assert fake.methods().count('POST') == 4
    assert 'unknown whether Bintu created it' in str(exc.value)


def other_run_creates_first(fake, created, ladder):
    """Simulate a concurrent run whose create of the same name committed just before ours."""
    fake.after_create = None
    other = fake.add(list(created['tags']), created_at='2026-12-31T23:59:59.000Z', ladder=ladder)
    fake.other_id = other['id']


def other_run_creates_later(fake, created, ladder):
    fake.after_create = None
    other = fake.add(list(created['tags']), created_at='2027-12-31T23:59:59.000Z', ladder=ladder)
    fake.other_id = other['id']


def test_race_loser_deletes_its_own_newer_stream():
    fake = FakeBintu()
    fake.after_create = other_run_creates_first
    result, dummy = run_one(fake, name='show', tags=['a'])
    survivors = fake.named('show')
    assert [s['id'] for s in survivors] == [fake.other_id]
    assert result['id'] == fake.other_id
    assert result['action'] == 'updated'
    assert any('another run created the same name' in c for c in result['changes'])
    assert [c[0] for c in fake.writes()] == ['POST', 'DELETE']


def test_race_loser_converges_the_kept_stream():
    fake = FakeBintu()

    def other(fake, created, ladder):
        fake.after_create = None
        kept = fake.add(['name:show', 'old'], created_at='2026-12-31T23:59:59.000Z')
        fake.other_id = kept['id']

    fake.after_create = other
    result, dummy = run_one(fake, name='show', tags=['a'])
    assert fake.streams[fake.other_id]['tags'] == ['name:show', 'a']
    assert result['stream']['tags'] == ['a']


def test_race_winner_keeps_its_stream():
    fake = FakeBintu()
    fake.after_create = other_run_creates_later
    result, dummy = run_one(fake, name='show')
    assert result['action'] == 'created'
    # the newer stream belongs to the other run, which deletes it itself; this run never deletes it
    assert fake.other_id in fake.streams
    assert [c[0] for c in fake.writes()] == ['POST']


def test_race_never_deletes_a_live_duplicate():
    fake = FakeBintu()

    def other(fake, created, ladder):
        fake.after_create = None
        fake.add(list(created['tags']), created_at='2026-12-31T23:59:59.000Z')
        fake.streams[created['id']]['state'] = 'live'

    fake.after_create = other
    with pytest.raises(StreamError) as exc:
        run_one(fake, name='show')
    assert 'already live and was not deleted' in str(exc.value)
    assert len(fake.named('show')) == 2


# -- many streams ---------------------------------------------------------------

def bulk_params(**kwargs):
    params = dict(scope_tags=['event:x'], streams=[], state='present', prune=False, purge_tags=True, recreate=False,
                  force=False, concurrency=4)
    params.update(kwargs)
    return params


def run_bulk(fake, check_mode=False, **kwargs):
    params = bulk_params(**kwargs)
    scope, desired = desired_streams(params)
    engine = Engine(fake, check_mode=check_mode, retries=3, concurrency=params['concurrency'])
    return engine.run_bulk(scope, desired, state=params['state'], prune=params['prune'], force=params['force'])


def streams(count, **extra):
    return [dict(name='s%02d' % i, tags=['n:%d' % i], transcodes=[HD], **extra) for i in range(count)]


def test_bulk_cold_run_then_warm_run():
    fake = FakeBintu()
    results = run_bulk(fake, streams=streams(5))
    assert [r['action'] for r in results] == ['created'] * 5
    assert [r['name'] for r in results] == ['s%02d' % i for i in range(5)]
    # 1 listing + 5 lookups + 5 creates + 1 verification listing
    assert fake.methods().count('GET') == 7 and fake.methods().count('POST') == 5
    assert all(r['stream']['tags'] == sorted(['event:x', 'n:%d' % i]) for i, r in enumerate(results))
    fake.calls = []
    results = run_bulk(fake, streams=streams(5))
    assert [r['action'] for r in results] == ['unchanged'] * 5
    assert fake.calls == [('GET', 'list', ('event:x',), 1000)]


def test_bulk_capped_listing_never_declares_a_stream_missing():
    fake = FakeBintu(quantity_cap=2)
    run_bulk(fake, streams=streams(5))
    assert len(fake.streams) == 10  # 5 passthroughs + 5 members, no duplicates
    fake.calls = []
    results = run_bulk(fake, streams=streams(5))
    assert [r['action'] for r in results] == ['unchanged'] * 5
    assert fake.methods().count('POST') == 0
    # the listing showed 2, the other 3 were looked up by name
    assert len(fake.calls) == 4


def test_bulk_scope_tags_added_to_existing_stream_found_outside_scope():
    fake = FakeBintu()
    obj = fake.add(['name:s00', 'n:0', 'other'], ladder=[(HD, [])])
    results = run_bulk(fake, streams=[dict(name='s00', transcodes=[HD])])
    assert results[0]['action'] == 'updated'
    assert set(fake.streams[obj['id']]['tags']) == set(['name:s00', 'n:0', 'other', 'event:x'])


def test_bulk_prune_and_kept_live():
    fake = FakeBintu()
    run_bulk(fake, streams=streams(3))
    live = fake.named('s02')[0]
    fake.streams[live['id']]['state'] = 'live'
    foreign = fake.add(['event:x', 'not-ours'])  # no identity tag: never pruned
    fake.calls = []
    results = run_bulk(fake, streams=streams(1), prune=True)
    expected = [('s00', 'unchanged'), ('s01', 'deleted'), ('s02', 'kept_live')]
    assert [(r['name'], r['action']) for r in results] == expected
    assert 'is live' in results[2]['error']
    assert foreign['id'] in fake.streams
    assert summarise(results)['kept_live'] == 1
    results = run_bulk(fake, streams=streams(1), prune=True, force=True)
    assert [(r['name'], r['action']) for r in results] == [('s00', 'unchanged'), ('s02', 'deleted')]


def test_bulk_prune_relists_when_the_listing_was_cut():
    fake = FakeBintu(quantity_cap=2)
    run_bulk(fake, streams=streams(5))
    results = run_bulk(fake, state='absent')
    assert sorted(r['name'] for r in results if r['action'] == 'deleted') == ['s%02d' % i for i in range(5)]
    assert fake.named('s00') == [] and len(fake.streams) == 0


def test_bulk_absent_named_streams():
    fake = FakeBintu()
    run_bulk(fake, streams=streams(3))
    results = run_bulk(fake, state='absent', streams=[dict(name='s01'), dict(name='missing')])
    assert [(r['name'], r['action']) for r in results] == [('s01', 'deleted'), ('missing', 'absent')]
    assert len(fake.named('s00')) == 1


def test_bulk_race_with_a_different_ladder_deletes_only_its_own_stream():
    fake = FakeBintu()

    def other(fake, created, ladder):
        fake.after_create = None
        fake.other_id = fake.add(list(created['tags']), created_at='2026-12-31T23:59:59.000Z')['id']

    fake.after_create = other
    results = run_bulk(fake, streams=streams(1))
    assert results[0]['action'] == 'failed'
    assert 'differ from the desired ladder' in results[0]['error']
    assert [s['id'] for s in fake.named('s00')] == [fake.other_id]


def test_bulk_one_failure_does_not_stop_the_others():
    fake = FakeBintu()
    fake.fail_names['name:s01'] = BintuApiError(status=403, code=2001, message='Access denied', method='GET',
                                                path='/stream')
    results = run_bulk(fake, streams=streams(3))
    assert [r['action'] for r in results] == ['created', 'failed', 'created']
    assert "stream 's01'" in results[1]['error'] and 'HTTP 403' in results[1]['error']
    del fake.fail_names['name:s01']
    results = run_bulk(fake, streams=streams(3))
    assert [r['action'] for r in results] == ['unchanged', 'created', 'unchanged']


def test_bulk_ladder_change_fails_only_that_stream():
    fake = FakeBintu()
    run_bulk(fake, streams=streams(2))
    changed = streams(2)
    changed[1]['transcodes'] = [SD]
    results = run_bulk(fake, streams=changed)
    assert [r['action'] for r in results] == ['unchanged', 'failed']
    assert 'recreate=true' in results[1]['error']
    changed[1]['recreate'] = True
    results = run_bulk(fake, streams=changed, recreate=True)
    assert [r['action'] for r in results] == ['unchanged', 'recreated']


def test_bulk_check_mode_writes_nothing():
    fake = FakeBintu()
    run_bulk(fake, streams=streams(2))
    fake.calls = []
    desired = streams(3)
    desired[0]['tags'] = ['changed']
    results = run_bulk(fake, check_mode=True, streams=desired[:1] + desired[2:], prune=True)
    assert [(r['name'], r['action']) for r in results] == [('s00', 'updated'), ('s02', 'created'), ('s01', 'deleted')]
    assert results[1]['id'] is None
    assert fake.writes() == []


def test_bulk_duplicate_name_in_listing_fails_that_stream():
    fake = FakeBintu()
    fake.add(['name:s00', 'event:x'])
    fake.add(['name:s00', 'event:x'])
    results = run_bulk(fake, streams=streams(2))
    assert [r['action'] for r in results] == ['failed', 'created']
    assert '2 streams are named' in results[0]['error']


def test_bulk_race_resolution_uses_the_verification_listing():
    fake = FakeBintu()
    fake.after_create = other_run_creates_first
    results = run_bulk(fake, streams=streams(1), concurrency=1)
    assert len(fake.named('s00')) == 1
    assert results[0]['id'] == fake.other_id
    assert results[0]['action'] == 'updated'
    # the verification listing is brief: the kept stream is fetched whole, so the result has its URLs
    assert ('GET', fake.other_id) in fake.calls
    assert results[0]['stream']['ingest']['streamname'] == 'ORG01-%s' % fake.other_id


def test_bulk_create_reports_the_create_answer_without_fetching_it_again():
    fake = FakeBintu()
    results = run_bulk(fake, streams=streams(2))
    assert [c[0] for c in fake.calls].count('GET') == 1 + 2 + 1  # listing, lookups, verification listing
    for result in results:
        assert result['action'] == 'created' and 'created' not in result and 'steps' not in result
        assert result['stream']['ingest']['streamname'] == 'ORG01-%s' % result['id']
        assert [t['profile'] for t in result['stream']['transcodes']] == [HD]


# -- info -----------------------------------------------------------------------

def test_info_newest_first_members_excluded():
    fake = FakeBintu()
    first = fake.add(['name:a', 't'])
    second = fake.add(['name:b', 't'], ladder=[(HD, ['t'])])
    engine = Engine(fake)
    found = engine.info(dict(quantity=50, tags=['t'], state=None, name=None, id=None))
    assert [s['id'] for s in found] == [second['id'], first['id']]
    found = engine.info(dict(quantity=50, tags=[], state=None, name='a', id=None))
    assert [s['id'] for s in found] == [first['id']]
    assert fake.calls[-1] == ('GET', 'list', ('name:a',), 50)
    assert engine.info(dict(quantity=50, tags=[], state=None, name=None, id='nope')) == []
    assert engine.info(dict(quantity=50, tags=[], state='live', name=None, id=first['id'])) == []
    assert engine.info(dict(quantity=1, tags=['t'], state=None, name=None, id=None))[0]['id'] == second['id']


def test_bulk_member_tags_follow_purge_tags_even_when_stream_tags_are_omitted():
    fake = FakeBintu()
    obj = fake.add(['name:s00', 'event:x', 'keep-me'], ladder=[(HD, ['old'])])
    results = run_bulk(fake, streams=[dict(name='s00', transcodes=[{'profile': HD, 'tags': ['new']}])])
    assert results[0]['action'] == 'updated'
    member_id = obj['playout']['h5live'][1]['id']
    assert fake.streams[member_id]['tags'] == ['new']
    assert set(fake.streams[obj['id']]['tags']) == set(['name:s00', 'event:x', 'keep-me'])
