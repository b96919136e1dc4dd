# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import io
import json

from ansible_collections.nanocosmos.bintu.plugins.module_utils import _handoff
from ansible_collections.nanocosmos.bintu.plugins.module_utils._streams import normalise_stream
from ansible_collections.nanocosmos.bintu.tests.unit.plugins.module_utils.fake_bintu import make_stream

HD = 'vtrans2-852x480x800x25'
SD = 'vtrans2-640x360x400x25'


def _result(name, action, obj=None, msg=None):
    stream = normalise_stream(obj) if obj else None
    if stream:
        for member, profile in zip(stream['transcodes'], [HD, SD]):
            member['profile'] = profile
        for entry in stream['playout']['h5live']:
            entry['websocket'] = 'wss://play/ws'  # every rendition on the same server
    return dict(name=name, id=(obj or {}).get('id'), action=action, changes=[], stream=stream, msg=msg)


def _sheet(results, state='present', labels=None, ladders=None):
    rows = _handoff.sheet_rows(results, labels=labels, ladders=ladders)
    summary = dict(total=len(results), created=1, failed=1)
    return _handoff.build_sheet('ev', state, ['event:ev'], summary, rows)


def test_ladder_label_matches_profile_names_in_name_order():
    ladders = dict(zz=[HD, SD], aa=[dict(profile=HD), SD], passthrough=[])
    assert _handoff.ladder_label([HD, SD], ladders) == 'aa'
    assert _handoff.ladder_label([], ladders) == 'passthrough'
    assert _handoff.ladder_label([SD], ladders) == 'custom'
    assert _handoff.ladder_label([SD], None) == 'custom'


def test_rows_are_sorted_and_failed_streams_keep_their_reason():
    obj = make_stream('p1', ['name:b'], ladder=[('m1', HD, []), ('m2', SD, [])])
    sheet = _sheet([_result('b', 'created', obj), _result('a', 'failed', msg="stream 'a': bad | worse")],
                   labels=dict(b='sd'))
    assert [r['name'] for r in sheet['streams']] == ['a', 'b']
    failed, created = sheet['streams']
    assert failed['ladder'] is None and failed['renditions'] == [] and failed['state'] is None
    assert created['ladder'] == 'sd' and created['profiles'] == [HD, SD]
    assert [(r['index'], r['profile'], r['width'], r['bitrate']) for r in created['renditions']] == [
        (0, 'passthrough', None, None), (1, HD, 852, 800), (2, SD, 640, 400)]
    markdown = _handoff.render_markdown(sheet)
    assert '| 1 | 852x480 800 kbit/s | ORG01-m1 | wss://play/ws | https://play/m1.m3u8 |' in markdown
    assert '| 0 | passthrough | ORG01-p1 |' in markdown
    # a pipe in a value cannot break the table
    assert "- **a**: stream 'a': bad \\| worse" in markdown
    assert '| a | - | - | failed | - | - |' in markdown
    assert '### a\n\nLadder - (passthrough only).\n\nNo playback URLs yet.\n' in markdown
    assert markdown.endswith('A re-run retries the failed streams; the others are already converged.\n')


def test_csv_quotes_every_field_and_joins_renditions():
    obj = make_stream('p1', ['name:b'], ladder=[('m1', HD, [])])
    sheet = _sheet([_result('b', 'created', obj), _result('a "quoted"', 'failed', msg='x, "y"')])
    text = _handoff.render_csv(sheet)
    assert text.splitlines()[0] == ','.join('"%s"' % f for f in _handoff.CSV_FIELDS)
    assert text.splitlines()[1].startswith('"ev","a ""quoted""",')
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]['message'] == 'x, "y"' and rows[0]['id'] == ''
    assert rows[1]['h5live_websocket_url'] == 'wss://play/ws', 'the same websocket is listed once'
    assert rows[1]['h5live_streamnames'] == 'ORG01-p1 ORG01-m1'
    assert rows[1]['ladder'] == 'custom'


def test_json_holds_everything():
    obj = make_stream('p1', ['name:b'])
    sheet = _sheet([_result('b', 'deleted', obj)], state='absent')
    data = json.loads(_handoff.render_json(sheet))
    assert data['state'] == 'absent' and data['scope_tag'] == 'event:ev' and data['summary']['total'] == 1
    assert data['streams'][0]['state'] == 'deleted'


def test_write_sheet_replaces_files_and_tightens_the_directory(tmp_path):
    directory = tmp_path / 'out'
    directory.mkdir(mode=0o755)
    (directory / 'ev.md').write_text('old', encoding='utf-8')
    sheet = _sheet([])
    paths = _handoff.write_sheet(sheet, str(directory), 'ev', ['markdown', 'json', 'markdown'])
    assert paths == [str(directory / 'ev.md'), str(directory / 'ev.json')]
    assert (directory / 'ev.md').read_text(encoding='utf-8').startswith('# Hand-off sheet: ev')
    assert directory.stat().st_mode & 0o777 == 0o700
    assert sorted(p.name for p in directory.iterdir()) == ['ev.json', 'ev.md']
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in directory.iterdir())


def test_the_module_offers_every_format():
    from ansible_collections.nanocosmos.bintu.plugins.module_utils import _module
    assert tuple(_handoff.FORMATS) == _module.SHEET_FORMATS
