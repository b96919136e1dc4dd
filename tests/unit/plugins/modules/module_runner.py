# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's main() in-process with given arguments and capture its JSON result."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json

from ansible.module_utils import basic

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    patch_module_args = None

from ansible_collections.nanocosmos.bintu.plugins.module_utils import _api


@contextlib.contextmanager
def module_args(args):
    if patch_module_args is not None:
        with patch_module_args(args):
            yield
        return
    saved = basic._ANSIBLE_ARGS
    basic._ANSIBLE_ARGS = json.dumps({'ANSIBLE_MODULE_ARGS': args}).encode('utf-8')
    try:
        yield
    finally:
        basic._ANSIBLE_ARGS = saved


class RequestRecorder:
    """Replaces BintuClient.request: records each call and answers from a script (or refuses any call)."""

    def __init__(self, answers=None):
        self.calls = []
        self.answers = list(answers or [])

    def __call__(self, method, path, params=None, body=None, object_hook=None):
        self.calls.append((method, path, params, body))
        if not self.answers:
            raise AssertionError('unexpected request %s %s' % (method, path))
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        if object_hook is not None:
            # parsed the way the client parses an answer with an object_hook
            answer = json.loads(json.dumps(answer), object_hook=object_hook)
        return answer


def run_module(monkeypatch, capsys, main, args, answers=None, check_mode=False, diff=False):
    """Returns (result dict, recorder). The module's exit code is in result['_rc']."""
    recorder = RequestRecorder(answers)
    # a plain callable object is not bound to the client: it is called with the request's own arguments
    monkeypatch.setattr(_api.BintuClient, 'request', recorder)
    args = dict(args)
    if check_mode:
        args['_ansible_check_mode'] = True
    if diff:
        args['_ansible_diff'] = True
    with module_args(args):
        try:
            main()
        except SystemExit as exc:
            rc = exc.code
        else:
            rc = None
    out = capsys.readouterr().out
    result = json.loads(out)
    result['_rc'] = rc
    return result, recorder
