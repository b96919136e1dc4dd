# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Argument specs and runners shared by the modules. Private to this collection: no compatibility guarantees."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.nanocosmos.bintu.plugins.module_utils._api import (
    BintuApiError,
    client_from_module,
    connection_argument_spec,
)
from ansible_collections.nanocosmos.bintu.plugins.module_utils._engine import (
    CHANGING,
    Engine,
    StreamError,
    summarise,
)
from ansible_collections.nanocosmos.bintu.plugins.module_utils._streams import (
    BintuInputError,
    desired_stream,
    desired_streams,
    info_filters,
)


# the formats of the hand-off sheet (module_utils._handoff, imported only when a sheet is written)
SHEET_FORMATS = ('markdown', 'csv', 'json')


def stream_argument_spec():
    spec = connection_argument_spec()
    spec.update(
        name=dict(type='str'),
        id=dict(type='str'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        tags=dict(type='list', elements='raw'),
        purge_tags=dict(type='bool', default=True),
        transcodes=dict(type='list', elements='raw'),
        recreate=dict(type='bool', default=False),
        force=dict(type='bool', default=False),
    )
    return spec


def streams_argument_spec():
    spec = connection_argument_spec()
    spec.update(
        streams=dict(type='list', elements='dict', options=dict(
            name=dict(type='str', required=True),
            tags=dict(type='list', elements='raw'),
            transcodes=dict(type='list', elements='raw'),
            ladder=dict(type='str'),
        )),
        ladders=dict(type='dict'),
        handoff=dict(type='dict', options=dict(
            dir=dict(type='path', required=True),
            name=dict(type='str', default='handoff'),
            formats=dict(type='list', elements='str', default=list(SHEET_FORMATS), choices=list(SHEET_FORMATS)),
            title=dict(type='str'),
        )),
        scope_tags=dict(type='list', elements='raw', required=True),
        prune=dict(type='bool', default=False),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        purge_tags=dict(type='bool', default=True),
        recreate=dict(type='bool', default=False),
        force=dict(type='bool', default=False),
        concurrency=dict(type='int', default=4),
    )
    return spec


def info_argument_spec():
    spec = connection_argument_spec()
    spec.update(
        quantity=dict(type='int', default=50),
        tags=dict(type='list', elements='raw'),
        state=dict(type='str', choices=['created', 'live', 'ended']),
        id=dict(type='str'),
        name=dict(type='str'),
    )
    return spec


def _api_details(exc):
    return dict(api_error=exc.to_dict()) if isinstance(exc, BintuApiError) else {}


def _about(desired, exc):
    """An error message that names the stream it is about."""
    if desired.get('name') is not None:
        return "stream '%s': %s" % (desired['name'], exc)
    return 'stream id %s: %s' % (desired['id'], exc)


def _validated(module, validate):
    try:
        return validate(module.params)
    except BintuInputError as exc:
        module.fail_json(msg=str(exc))


def _public(result, no_log):
    item = dict(name=result.get('name'), id=result.get('id'), action=result['action'],
                changes=list(result.get('changes') or []), stream=result.get('stream'))
    if result['action'] in ('failed', 'kept_live'):
        item['msg'] = result.get('error')
    if no_log:
        # ansible-core 2.19 prints list entries of a no_log task unless each entry says so itself
        item['_ansible_no_log'] = True
    return item


def run_stream_module():
    module = AnsibleModule(argument_spec=stream_argument_spec(), supports_check_mode=True)
    desired = _validated(module, desired_stream)
    client = client_from_module(module)
    engine = Engine(client, check_mode=module.check_mode, retries=module.params['api_retries'])
    try:
        if desired['id'] is not None:
            observed = engine.observe_id(desired['id'], missing_ok=desired['state'] == 'absent')
        else:
            observed = engine.single(desired['name'], engine.lookup(desired['name']))
        result = engine.run(desired, observed)
    except (BintuApiError, StreamError) as exc:
        module.fail_json(msg=_about(desired, exc), changed=False, **_api_details(exc))
    finally:
        client.close()
    for text in engine.warnings:
        module.warn(text)
    output = dict(changed=result['action'] in CHANGING, action=result['action'], changes=result['changes'],
                  stream=result.get('stream'))
    if module._diff:
        output['diff'] = dict(before=result['before'], after=result['after'])
    if result['action'] in ('failed', 'kept_live'):
        module.fail_json(msg=result['error'], **output)
    module.exit_json(**output)


def run_streams_module():
    module = AnsibleModule(argument_spec=streams_argument_spec(), supports_check_mode=True)
    scope_tags, desired_list = _validated(module, desired_streams)
    params = module.params
    client = client_from_module(module)
    engine = Engine(client, check_mode=module.check_mode, retries=params['api_retries'],
                    concurrency=params['concurrency'])
    try:
        results = engine.run_bulk(scope_tags, desired_list, state=params['state'], prune=params['prune'],
                                  force=params['force'])
    except (BintuApiError, StreamError) as exc:
        module.fail_json(msg='listing the streams in scope %s failed: %s' % (', '.join(scope_tags), exc),
                         changed=False, **_api_details(exc))
    finally:
        client.close()
    for text in engine.warnings:
        module.warn(text)
    summary = summarise(results)
    public = [_public(r, module.no_log) for r in results]
    output = dict(changed=any(r['action'] in CHANGING for r in results), results=public, summary=summary)
    if params['handoff']:
        output['handoff'] = _handoff(module, scope_tags, desired_list, output)
    if module._diff:
        before, after = {}, {}
        for result in results:
            if result['action'] in CHANGING and result.get('name') is not None:
                before[result['name']] = result.get('before')
                after[result['name']] = result.get('after')
        output['diff'] = dict(before=before, after=after)
    kept = [r['name'] for r in results if r['action'] == 'kept_live']
    if kept:
        names = '' if module.no_log else ': %s' % ', '.join(str(n) for n in kept)
        module.warn('%d live stream(s) kept%s. Stop their encoders and re-run, or set force=true to delete them '
                    'while live' % (len(kept), names))
    reasons = [r['error'] for r in results if r['action'] == 'failed']
    # the raw API objects behind the results are not returned: free them before the result is copied for output
    del results[:]
    if reasons:
        module.fail_json(msg='%d of %d streams failed: %s' % (len(reasons), len(public), '; '.join(reasons)),
                         **output)
    module.exit_json(**output)


def _handoff(module, scope_tags, desired_list, output):
    """Write the hand-off sheet of a run's output (not in check mode). Returns the paths of its files."""
    from ansible_collections.nanocosmos.bintu.plugins.module_utils._handoff import (
        build_sheet,
        sheet_paths,
        sheet_rows,
        write_sheet,
    )

    options = module.params['handoff']
    paths = sheet_paths(options['dir'], options['name'], options['formats'])
    if module.check_mode:
        return dict(written=False, files=[path for dummy, path in paths])
    rows = sheet_rows(output['results'], labels=dict((d['name'], d['ladder']) for d in desired_list),
                      ladders=module.params['ladders'])
    sheet = build_sheet(options['title'] or ', '.join(scope_tags), module.params['state'], scope_tags,
                        output['summary'], rows)
    try:
        files = write_sheet(sheet, options['dir'], options['name'], options['formats'])
    except (IOError, OSError) as exc:
        module.fail_json(msg='the streams were converged, but the hand-off sheet could not be written to %s: %s. '
                             'Fix handoff.dir (or its permissions) and re-run' % (options['dir'], exc), **output)
    return dict(written=True, files=files)


def run_info_module():
    module = AnsibleModule(argument_spec=info_argument_spec(), supports_check_mode=True)
    filters = _validated(module, info_filters)
    client = client_from_module(module)
    engine = Engine(client, retries=module.params['api_retries'])
    try:
        streams = engine.info(filters)
    except (BintuApiError, StreamError) as exc:
        module.fail_json(msg=str(exc), **_api_details(exc))
    finally:
        client.close()
    module.exit_json(changed=False, streams=streams)
