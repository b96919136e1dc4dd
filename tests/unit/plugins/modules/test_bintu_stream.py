# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.nanocosmos.bintu.plugins.module_utils import _api
from ansible_collections.nanocosmos.bintu.plugins.modules import bintu_stream
from ansible_collections.nanocosmos.bintu.tests.unit.plugins.module_utils.fake_bintu import make_stream
from ansible_collections.nanocosmos.bintu.tests.unit.plugins.modules.module_runner import run_module

KEY = 'unit-test-key-123'
CONN = dict(api_url='http://127.0.0.1:9', api_key=KEY)
HD = 'vtrans2-852x480x800x25'
SD = 'vtrans2-640x360x400x25'


@pytest.fixture(autouse=True)
def no_bintu_env(monkeypatch):
    for name in ('BINTU_API_URL', 'BINTU_API_KEY', 'BINTU_API_TOKEN'):
        monkeypatch.delenv(name, raising=False)


# Issue 3 must 7: each bad input fails before any request, saying what to fix.
BAD_INPUT = [
    (dict(name=''), 'name must be a non-empty string'),
    (dict(name='a', id='b'), 'name and id are mutually exclusive'),
    (dict(), 'one of name or id is required'),
    (dict(name='a', tags=[5]), 'tags[0] must be a non-empty string, got int 5'),
    (dict(name='a', tags=['']), 'tags[0] must be a non-empty string'),
    (dict(name='a', tags=['x', 'x']), "tags[1] 'x' is listed twice"),
    (dict(name='a', tags=['name:b']), "starts with the reserved prefix 'name:'"),
    (dict(name='a', transcodes=['vtrans2-852x480x800']), None),  # valid legacy name, used as a control
    (dict(name='a', transcodes=['vtrans9-1x1x1x1']), 'is not a valid transcoding profile name'),
    (dict(name='a', transcodes=[HD, HD]), "transcodes[1] profile 'vtrans2-852x480x800x25' is already transcodes[0]"),
    (dict(name='a', transcodes=[SD, HD]), 'must have a lower bitrate than transcodes[0]'),
    (dict(name='a', api_token='unit-test-token-789'), 'api_key and api_token are both set'),
    (dict(name='a', api_key=None), 'BINTU_API_KEY'),
    (dict(name='a', api_url='ftp://bintu.example'), 'api_url must be an http:// or https:// URL'),
    (dict(name='a', api_timeout=0), 'api_timeout must be'),
    (dict(name='a', state='maybe'), 'value of state must be one of'),
    (dict(name='a', force='perhaps'), 'force'),
]


@pytest.mark.parametrize('args,fragment', [b for b in BAD_INPUT if b[1]])
def test_bad_input_fails_before_any_request(monkeypatch, capsys, args, fragment):
    params = dict(CONN)
    params.update(args)
    params = dict((k, v) for k, v in params.items() if v is not None)
    result, recorder = run_module(monkeypatch, capsys, bintu_stream.main, params)
    assert result.get('failed') is True
    assert fragment in result['msg']
    assert recorder.calls == []
    assert KEY not in str(result)


def test_create_sends_lookup_post_and_verification(monkeypatch, capsys):
    created = make_stream('p1', ['name:show', 'a'], ladder=[('m1', HD, [])])
    answers = [[], created, [created]]
    result, recorder = run_module(monkeypatch, capsys, bintu_stream.main,
                                  dict(CONN, name='show', tags=['a'], transcodes=[HD]), answers=answers, diff=True)
    assert result['changed'] is True and result['action'] == 'created'
    assert [(c[0], c[1]) for c in recorder.calls] == [('GET', '/stream'), ('POST', '/stream'), ('GET', '/stream')]
    assert recorder.calls[0][2] == [('tags[]', 'name:show')]
    assert recorder.calls[1][3] == dict(tags=['name:show', 'a'], transcodes=[dict(profile=HD, tags=[])])
    assert result['stream']['id'] == 'p1'
    assert result['diff'] == dict(before=dict(state='absent'),
                                  after=dict(state='present', name='show', tags=['a'],
                                             transcodes=[dict(profile=HD, tags=[])]))


def test_check_mode_returns_predicted_stream_without_writing(monkeypatch, capsys):
    result, recorder = run_module(monkeypatch, capsys, bintu_stream.main, dict(CONN, name='show', tags=['a']),
                                  answers=[[]], check_mode=True)
    assert result['changed'] is True
    assert result['stream']['id'] is None and result['stream']['tags'] == ['a']
    assert [c[0] for c in recorder.calls] == ['GET']


def test_ladder_change_fails_with_message_and_diff(monkeypatch, capsys):
    existing = make_stream('p1', ['name:show'], ladder=[('m1', HD, [])])
    result, recorder = run_module(monkeypatch, capsys, bintu_stream.main, dict(CONN, name='show', transcodes=[SD]),
                                  answers=[[existing]], diff=True)
    assert result['failed'] is True
    assert 'observed [%s], desired [%s]' % (HD, SD) in result['msg']
    assert result['stream']['id'] == 'p1' and result['stream']['transcodes'][0]['profile'] == HD
    assert result['diff']['before']['transcodes'][0]['profile'] == HD
    assert result['diff']['after']['transcodes'][0]['profile'] == SD
    assert [c[0] for c in recorder.calls] == ['GET']


def test_live_stream_delete_needs_force(monkeypatch, capsys):
    live = make_stream('p1', ['name:show'], state='live')
    result, recorder = run_module(monkeypatch, capsys, bintu_stream.main, dict(CONN, name='show', state='absent'),
                                  answers=[[live]])
    assert result['failed'] is True and 'is live' in result['msg'] and 'force=true' in result['msg']
    assert [c[0] for c in recorder.calls] == ['GET']


def test_api_error_is_reported_with_details_and_without_the_key(monkeypatch, capsys):
    error = _api.BintuApiError(status=401, code=4002, message='User Credentials are not valid', method='GET',
                               path='/stream')
    result, recorder = run_module(monkeypatch, capsys, bintu_stream.main, dict(CONN, name='show'), answers=[error])
    assert result['failed'] is True
    assert 'HTTP 401' in result['msg'] and 'BINTU_API_KEY' in result['msg']
    assert result['api_error']['code'] == 4002
    assert KEY not in str(result)


def test_validate_certs_false_warns(monkeypatch, capsys):
    existing = make_stream('p1', ['name:show'])
    result, recorder = run_module(monkeypatch, capsys, bintu_stream.main,
                                  dict(CONN, name='show', validate_certs=False), answers=[[existing]])
    assert any('validate_certs is false' in str(w) for w in result['warnings'])
