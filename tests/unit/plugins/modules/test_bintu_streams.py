# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.nanocosmos.bintu.plugins.modules import bintu_stream_info, bintu_streams
from ansible_collections.nanocosmos.bintu.tests.unit.plugins.module_utils.fake_bintu import make_stream
from ansible_collections.nanocosmos.bintu.tests.unit.plugins.modules.module_runner import run_module

KEY = 'unit-test-key-456'
CONN = dict(api_url='http://127.0.0.1:9', api_key=KEY)
HD = 'vtrans2-852x480x800x25'
SD = 'vtrans2-640x360x400x25'


@pytest.fixture(autouse=True)
def no_bintu_env(monkeypatch):
    for name in ('BINTU_API_URL', 'BINTU_API_KEY', 'BINTU_API_TOKEN'):
        monkeypatch.delenv(name, raising=False)


BULK_BAD_INPUT = [
    (dict(scope_tags=[], streams=[dict(name='a')]), 'scope_tags must list at least one tag'),
    (dict(scope_tags=['name:event'], streams=[dict(name='a')]), "scope_tags[0] 'name:event' starts with the reserved"),
    (dict(scope_tags=['e'], streams=[dict(name='a'), dict(name='a')]), "streams[1].name 'a' is already used"),
    (dict(scope_tags=['e'], streams=[dict(name='a')], concurrency=0), 'concurrency must be an integer of at least 1'),
    (dict(scope_tags=['e'], streams=[dict(name='a', transcodes=[SD, HD])]), 'streams[0].transcodes[1]'),
    (dict(scope_tags=['e'], streams=[dict(name='a', tags=['x', 'x'])]), 'streams[0].tags[1]'),
    (dict(scope_tags=['e'], streams=[dict(tags=['x'])]), 'missing required arguments: name'),
    (dict(scope_tags=['e'], streams=[dict(name='a', ladder='hd')]), 'ladder'),
    (dict(scope_tags=['e'], streams=[dict(name='a')], api_url='bintu.nanocosmos.de'), 'api_url must be'),
]


@pytest.mark.parametrize('args,fragment', BULK_BAD_INPUT)
def test_bulk_bad_input_fails_before_any_request(monkeypatch, capsys, args, fragment):
    result, recorder = run_module(monkeypatch, capsys, bintu_streams.main, dict(CONN, **args))
    assert result.get('failed') is True
    assert fragment in result['msg']
    assert recorder.calls == []


@pytest.mark.parametrize('args,fragment', [
    (dict(quantity=0), 'quantity must be an integer of at least 1'),
    (dict(state='deleted'), 'value of state must be one of'),
    (dict(name='a', id='b'), 'mutually exclusive'),
    (dict(tags=['name:a']), 'reserved prefix'),
])
def test_info_bad_input_fails_before_any_request(monkeypatch, capsys, args, fragment):
    result, recorder = run_module(monkeypatch, capsys, bintu_stream_info.main, dict(CONN, **args))
    assert result.get('failed') is True
    assert fragment in result['msg']
    assert recorder.calls == []


def test_bulk_warm_run_is_one_listing(monkeypatch, capsys):
    listing = [make_stream('p%d' % i, ['name:s%d' % i, 'event:x'], ladder=[('m%d' % i, HD, [])]) for i in range(3)]
    streams = [dict(name='s%d' % i, transcodes=[HD]) for i in range(3)]
    result, recorder = run_module(monkeypatch, capsys, bintu_streams.main,
                                  dict(CONN, scope_tags=['event:x'], streams=streams, prune=True),
                                  answers=[listing])
    assert result['changed'] is False
    assert [r['action'] for r in result['results']] == ['unchanged'] * 3
    assert result['summary']['unchanged'] == 3 and result['summary']['total'] == 3
    assert len(recorder.calls) == 1
    assert recorder.calls[0][2] == [('tags[]', 'event:x'), ('quantity', '1000')]


def test_bulk_failure_is_reported_at_the_end(monkeypatch, capsys):
    listing = [make_stream('p0', ['name:s0', 'event:x'], ladder=[('m0', HD, [])]),
               make_stream('p1', ['name:s1', 'event:x'])]
    streams = [dict(name='s0', transcodes=[HD]), dict(name='s1', transcodes=[HD])]
    result, recorder = run_module(monkeypatch, capsys, bintu_streams.main,
                                  dict(CONN, scope_tags=['event:x'], streams=streams), answers=[listing])
    assert result['failed'] is True
    assert result['msg'].startswith("1 of 2 streams failed: the transcodes of stream 's1'")
    assert [r['action'] for r in result['results']] == ['unchanged', 'failed']
    assert 'recreate=true' in result['results'][1]['msg']


def test_info_returns_normalised_streams(monkeypatch, capsys):
    listing = [make_stream('p1', ['name:a', 't'], created_at='2027-01-01T00:00:01.000Z'),
               make_stream('m1', ['t'], group='p1'),
               make_stream('p2', ['t'], created_at='2027-01-01T00:00:02.000Z')]
    result, recorder = run_module(monkeypatch, capsys, bintu_stream_info.main, dict(CONN, tags=['t'], quantity=5),
                                  answers=[listing], check_mode=True)
    assert result['changed'] is False
    assert [s['id'] for s in result['streams']] == ['p2', 'p1']
    assert result['streams'][1]['name'] == 'a'
    assert recorder.calls[0][2] == [('tags[]', 't'), ('quantity', '5')]
