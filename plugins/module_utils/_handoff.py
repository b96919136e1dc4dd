# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hand-off sheet of a bintu_streams run: rows, Markdown / CSV / JSON, files. Private to this collection."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import io
import json
import os
import tempfile

FORMATS = dict(markdown='md', csv='csv', json='json')  # the keys are _module.SHEET_FORMATS
CSV_FIELDS = ('event', 'stream', 'ladder', 'profiles', 'state', 'last_run', 'id', 'rtmp_ingest_url',
              'rtmp_streamname', 'h5live_websocket_url', 'h5live_streamnames', 'hls_urls', 'message')
COUNTS = ('total', 'created', 'updated', 'unchanged', 'recreated', 'deleted', 'kept_live', 'failed')


def _profiles(ladder):
    return [entry.get('profile') if isinstance(entry, dict) else entry for entry in ladder or []]


def ladder_label(profiles, ladders):
    """The name of the first ladder (by name) with exactly these profiles, else 'custom'."""
    for name in sorted(ladders or {}):
        if _profiles(ladders[name]) == list(profiles):
            return name
    return 'custom'


def _renditions(stream, profiles):
    playout = stream.get('playout') or {}
    hls = dict((h.get('index'), h.get('url')) for h in playout.get('hls') or [] if isinstance(h, dict))
    renditions = []
    for entry in playout.get('h5live') or []:
        index = entry.get('index')
        if index == 0:
            profile = 'passthrough'
        elif isinstance(index, int) and 0 < index <= len(profiles):
            profile = profiles[index - 1]
        else:
            profile = None
        renditions.append(dict(index=index, profile=profile, width=entry.get('width'), height=entry.get('height'),
                               bitrate=entry.get('bitrate'), fps=entry.get('fps'),
                               h5live_streamname=entry.get('streamname'), h5live_websocket=entry.get('websocket'),
                               hls_url=hls.get(index)))
    return renditions


def sheet_rows(results, labels=None, ladders=None):
    """One row per result (sorted by name): what an encoder operator and a player need.

    labels maps a stream name to the ladder it was declared with; other streams (pruned, torn down) are
    labelled by the named ladder their profiles match.
    """
    labels = labels or {}
    rows = []
    for result in sorted(results, key=lambda r: (str(r.get('name')), str(r.get('id')))):
        stream = result.get('stream') if isinstance(result.get('stream'), dict) else {}
        profiles = [t.get('profile') for t in stream.get('transcodes') or [] if isinstance(t, dict)]
        if result.get('name') in labels:
            ladder = labels[result['name']]
        elif stream:
            ladder = ladder_label(profiles, ladders)
        else:
            ladder = None
        ingest = stream.get('ingest') or {}
        rows.append(dict(
            name=result.get('name'),
            id=result.get('id'),
            action=result.get('action'),
            state='deleted' if result.get('action') == 'deleted' else stream.get('state'),
            ladder=ladder,
            profiles=profiles,
            ingest_rtmp_url=ingest.get('rtmp_url'),
            ingest_streamname=ingest.get('streamname'),
            renditions=_renditions(stream, profiles),
            changes=list(result.get('changes') or []),
            msg=result.get('msg'),
        ))
    return rows


# -- formats -------------------------------------------------------------------

def _cell(value):
    """A Markdown table cell: '-' for nothing, pipes escaped."""
    if value is None or value == '':
        return '-'
    return str(value).replace('|', '\\|')


def _rendition_label(rendition):
    if rendition['profile'] == 'passthrough':
        return 'passthrough'
    if rendition['width'] is not None and rendition['height'] is not None:
        bitrate = ' %s kbit/s' % rendition['bitrate'] if rendition['bitrate'] is not None else ''
        return '%sx%s%s' % (rendition['width'], rendition['height'], bitrate)
    return _cell(rendition['profile'])


def _table(header, align, rows):
    lines = ['| %s |' % ' | '.join(header), '|%s|' % '|'.join(align)]
    lines.extend('| %s |' % ' | '.join(cells) for cells in rows)
    return lines


def render_markdown(sheet):
    event, rows, summary = sheet['event'], sheet['streams'], sheet['summary']
    teardown = sheet['state'] == 'absent'
    out = ['# %s: %s' % ('Teardown' if teardown else 'Hand-off sheet', event), '']
    if teardown:
        out.append('Streams of event `%s` (tag `%s`) after the teardown.' % (event, sheet['scope_tag']))
    else:
        out.extend([
            'Live streams of event `%s` (tag `%s`): what each' % (event, sheet['scope_tag']),
            'encoder publishes to, and where players read from. Keep this sheet private: an ingest stream name is',
            'all it takes to publish to the stream.'])
    out.extend(['', '## Run summary', ''])
    out.extend(_table(['Streams', 'Created', 'Updated', 'Unchanged', 'Recreated', 'Deleted', 'Kept live', 'Failed'],
                      ['--------:', '--------:', '--------:', '----------:', '----------:', '--------:',
                       '----------:', '-------:'],
                      [[str(summary.get(key, 0)) for key in COUNTS]]))
    out.append('')
    if teardown:
        out.extend(['## Streams', ''])
        out.extend(_table(['Stream', 'Ladder', 'Action', 'State', 'Id'],
                          ['--------', '--------', '--------', '-------', '----'],
                          [[str(r['name']), _cell(r['ladder']), str(r['action']), _cell(r['state']), _cell(r['id'])]
                           for r in rows]))
        if any(r['action'] == 'kept_live' for r in rows):
            out.extend(['', 'Streams marked `kept_live` were still live and were not deleted. Stop their encoders '
                            'and run the', 'teardown again, or run it with `event_rollout_force=true`.'])
    else:
        out.extend(['## Ingest (encoder settings)', ''])
        out.extend(_table(['Stream', 'Ladder', 'State', 'Last run', 'RTMP ingest URL', 'Stream name'],
                          ['--------', '--------', '-------', '----------', '-----------------', '-------------'],
                          [[str(r['name']), _cell(r['ladder']), _cell(r['state']), str(r['action']),
                            _cell(r['ingest_rtmp_url']), _cell(r['ingest_streamname'])] for r in rows]))
        out.extend(['', '## Playback', '',
                    'H5Live: open the websocket URL with the stream name of the rendition (nanoStream H5Live Player).',
                    'HLS: the playlist URL of the rendition.'])
        for r in rows:
            profiles = ': %s' % ', '.join(r['profiles']) if r['profiles'] else ' (passthrough only)'
            out.extend(['', '### %s' % r['name'], '', 'Ladder %s%s.' % (_cell(r['ladder']), profiles), ''])
            if r['renditions']:
                out.extend(_table(['#', 'Rendition', 'H5Live stream name', 'H5Live websocket URL', 'HLS URL'],
                                  ['--:', '-----------', '--------------------', '----------------------', '---------'],
                                  [[str(p['index']), _rendition_label(p), _cell(p['h5live_streamname']),
                                    _cell(p['h5live_websocket']), _cell(p['hls_url'])] for p in r['renditions']]))
            else:
                out.append('No playback URLs yet.')
    failed = [r for r in rows if r['action'] == 'failed']
    if failed:
        out.extend(['', '## Failed', ''])
        out.extend('- **%s**: %s' % (r['name'], _cell(r['msg'])) for r in failed)
        out.extend(['', 'A re-run retries the failed streams; the others are already converged.'])
    return '\n'.join(out) + '\n'


def render_csv(sheet):
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator='\n')
    writer.writerow(CSV_FIELDS)
    for r in sheet['streams']:
        renditions = r['renditions']
        websockets = []
        for p in renditions:
            if p['h5live_websocket'] is not None and p['h5live_websocket'] not in websockets:
                websockets.append(p['h5live_websocket'])
        fields = [sheet['event'], r['name'], r['ladder'], ' '.join(r['profiles']), r['state'], r['action'], r['id'],
                  r['ingest_rtmp_url'], r['ingest_streamname'], ' '.join(websockets),
                  ' '.join(str(p['h5live_streamname']) for p in renditions if p['h5live_streamname'] is not None),
                  ' '.join(str(p['hls_url']) for p in renditions if p['hls_url'] is not None), r['msg']]
        writer.writerow(['' if f is None else f for f in fields])
    return buf.getvalue()


def render_json(sheet):
    return json.dumps(sheet, indent=2, sort_keys=True) + '\n'


RENDER = dict(markdown=render_markdown, csv=render_csv, json=render_json)


def build_sheet(event, state, scope_tags, summary, rows):
    """The whole sheet (what the JSON format holds). It is only written by runs that are not in check mode."""
    return dict(event=event, state=state, scope_tag=', '.join(scope_tags), summary=summary, streams=rows)


def sheet_paths(directory, name, formats):
    """Where each format goes: <directory>/<name>.<md|csv|json>, in the order given, each format once."""
    paths = []
    for fmt in formats:
        path = os.path.join(directory, '%s.%s' % (name, FORMATS[fmt]))
        if path not in [p for dummy, p in paths]:
            paths.append((fmt, path))
    return paths


def write_sheet(sheet, directory, name, formats):
    """Write the sheet in each format: files 0600 (replaced atomically) in a directory 0700. Returns the paths."""
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    os.chmod(directory, 0o700)
    written = []
    for fmt, path in sheet_paths(directory, name, formats):
        handle, tmp = tempfile.mkstemp(dir=directory, prefix='.%s.' % os.path.basename(path))
        try:
            with os.fdopen(handle, 'w', encoding='utf-8', newline='') as stream:
                stream.write(RENDER[fmt](sheet))
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise
        written.append(path)
    return written
