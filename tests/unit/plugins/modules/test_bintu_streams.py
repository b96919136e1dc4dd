# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

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
    (dict(scope_tags=['e'], streams=[dict(name='a', ladder='hd')]),
     "streams[0].ladder 'hd' is not one of ladders; known ladders: none"),
    (dict(scope_tags=['e'], ladders=dict(sd=[HD]), streams=[dict(name='a', ladder='hd')]),
     "known ladders: sd. Fix the name"),
    (dict(scope_tags=['e'], ladders=dict(sd=[HD]), streams=[dict(name='a', ladder='sd', transcodes=[HD])]),
     'streams[0] sets both ladder and transcodes'),
    (dict(scope_tags=['e'], ladders=dict(up=[SD, HD]), streams=[dict(name='a')]), 'ladders.up[1]'),
    (dict(scope_tags=['e'], ladders=dict(sd='vtrans2-640x360x400x25'), streams=[dict(name='a')]),
     'ladders.sd must be a list'),
    (dict(scope_tags=['e'], streams=[dict(name='a')], handoff=dict(dir='/tmp', formats=['pdf'])),
     'value of formats must be one or more of'),
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


def _sheet_listing():
    return [make_stream('p0', ['name:s0', 'event:x'], ladder=[('m0', HD, [])]),
            make_stream('p1', ['name:s1', 'event:x'], ladder=[('m1', HD, []), ('m2', SD, [])]),
            make_stream('p9', ['name:gone', 'event:x'], ladder=[('m9', HD, []), ('m8', SD, [])])]


def test_bulk_writes_the_handoff_sheet_with_ladder_names(monkeypatch, capsys, tmp_path):
    directory = tmp_path / 'sheets' / 'x'
    args = dict(CONN, scope_tags=['event:x'], ladders=dict(sd=[HD, SD], one=[HD]),
                streams=[dict(name='s0', transcodes=[HD]), dict(name='s1', ladder='sd')],
                handoff=dict(dir=str(directory), name='x-handoff', title='x', formats=['json', 'csv', 'markdown']))
    result, recorder = run_module(monkeypatch, capsys, bintu_streams.main, args, answers=[_sheet_listing()])
    assert result['changed'] is False and len(recorder.calls) == 1
    files = [str(directory / ('x-handoff.' + ext)) for ext in ('json', 'csv', 'md')]
    assert result['handoff'] == dict(written=True, files=files)
    assert oct(directory.stat().st_mode & 0o777) == '0o700'
    assert [oct((directory / f).stat().st_mode & 0o777) for f in sorted(p.name for p in directory.iterdir())] == \
        ['0o600'] * 3, 'no temporary file is left behind'
    sheet = json.loads((directory / 'x-handoff.json').read_text(encoding='utf-8'))
    assert (sheet['event'], sheet['state'], sheet['scope_tag']) == ('x', 'present', 'event:x')
    rows = dict((r['name'], r) for r in sheet['streams'])
    # declared with its own transcodes: custom (even though they equal ladder "one"); by name: the ladder's name
    assert rows['s0']['ladder'] == 'custom' and rows['s1']['ladder'] == 'sd'
    assert [p['profile'] for p in rows['s1']['renditions']] == ['passthrough', HD, SD]
    assert rows['s1']['ingest_streamname'] == 'ORG01-p1'
    assert rows['s1']['renditions'][2]['hls_url'] == 'https://play/m2.m3u8'
    markdown = (directory / 'x-handoff.md').read_text(encoding='utf-8')
    assert markdown.startswith('# Hand-off sheet: x\n')
    assert '| s1 | sd | created | unchanged | rtmp://ingest/live | ORG01-p1 |' in markdown
    csv_text = (directory / 'x-handoff.csv').read_text(encoding='utf-8')
    assert csv_text.splitlines()[2].startswith('"x","s1","sd","%s %s","created","unchanged","p1"' % (HD, SD))


def test_bulk_teardown_sheet_labels_streams_by_matching_ladder(monkeypatch, capsys, tmp_path):
    args = dict(CONN, scope_tags=['event:x'], state='absent', ladders=dict(sd=[HD, SD]),
                handoff=dict(dir=str(tmp_path), name='down', formats=['markdown']))
    listing = _sheet_listing()
    listing[2]['state'] = 'live'
    answers = [listing] + [None] * 2 + [listing[2:]]
    result, recorder = run_module(monkeypatch, capsys, bintu_streams.main, args, answers=answers)
    assert [(r['name'], r['action']) for r in result['results']] == [
        ('gone', 'kept_live'), ('s0', 'deleted'), ('s1', 'deleted')]
    markdown = (tmp_path / 'down.md').read_text(encoding='utf-8')
    assert markdown.startswith('# Teardown: event:x\n')
    # a stream that is still there is labelled by the ladder its transcodes match; a deleted one has none
    assert '| gone | sd | kept_live | live | p9 |' in markdown
    assert '| s0 | - | deleted | deleted | p0 |' in markdown
    assert 'Streams marked `kept_live` were still live' in markdown


def test_bulk_check_mode_writes_no_sheet(monkeypatch, capsys, tmp_path):
    args = dict(CONN, scope_tags=['event:x'], streams=[dict(name='s0', transcodes=[HD])],
                handoff=dict(dir=str(tmp_path / 'sheet')))
    result, recorder = run_module(monkeypatch, capsys, bintu_streams.main, args, answers=[_sheet_listing()],
                                  check_mode=True)
    assert result['handoff']['written'] is False
    assert result['handoff']['files'] == [str(tmp_path / 'sheet' / ('handoff.' + e)) for e in ('md', 'csv', 'json')]
    assert not (tmp_path / 'sheet').exists()


def test_bulk_sheet_that_cannot_be_written_fails_after_converging(monkeypatch, capsys, tmp_path):
    blocker = tmp_path / 'file'
    blocker.write_text('not a directory', encoding='utf-8')
    args = dict(CONN, scope_tags=['event:x'], streams=[dict(name='s0', transcodes=[HD])],
                handoff=dict(dir=str(blocker / 'sheets')))
    result, recorder = run_module(monkeypatch, capsys, bintu_streams.main, args, answers=[_sheet_listing()])
    assert result['failed'] is True
    assert result['msg'].startswith('the streams were converged, but the hand-off sheet could not be written to')
    assert 'Fix handoff.dir' in result['msg']
    assert [r['action'] for r in result['results']] == ['unchanged']
