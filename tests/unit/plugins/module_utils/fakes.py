# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scripted stand-ins for requests.Session used by the unit tests."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json


class FakeResponse:
    def __init__(self, status=200, body=None, headers=None, raw=None, reason='OK'):
        self.status_code = status
        self.headers = headers or {}
        self.reason = reason
        if raw is not None:
            self.content = raw if isinstance(raw, bytes) else raw.encode('utf-8')
        elif body is None:
            self.content = b''
        else:
            self.content = json.dumps(body).encode('utf-8')


class FakeSession:
    """Answers calls from a script of FakeResponse objects or exceptions; records every call."""

    def __init__(self, script=None):
        self.script = list(script or [])
        self.calls = []
        self.headers = {}
        self.verify = None
        self.closed = False

    def request(self, method, url, params=None, data=None, timeout=None, allow_redirects=True):
        self.calls.append(dict(method=method, url=url, params=params, data=data, timeout=timeout,
                               headers=dict(self.headers)))
        if not self.script:
            raise AssertionError('unexpected request %s %s' % (method, url))
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self):
        self.closed = True


def error_body(code, message, userinfo=None):
    return {'error': {'code': code, 'message': message, 'userinfo': userinfo or {}}}
