# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A small HTTP/1.1 client on the Python standard library. Private to this collection.

One Session keeps one connection open (keep-alive) and is used by one thread. It
speaks what the Bintu API needs: JSON bodies, query parameters, TLS with or without
certificate checks, gzip answers, and the proxies of the environment (http_proxy,
https_proxy, all_proxy, no_proxy, as curl and requests read them). It never follows
redirects. Its errors say whether the request can have reached the server.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import select
import socket
import ssl

from http.client import HTTPConnection, HTTPException, HTTPSConnection
from urllib.parse import unquote, urlencode, urlsplit


class TransportError(Exception):
    """The request failed below HTTP: no status code was received."""


class ConnectError(TransportError):
    """No connection could be made: the request was never sent."""


class ReadTimeout(TransportError):
    """The request was sent, and no (complete) answer came within the timeout."""


class ConnectionBroken(TransportError):
    """The connection broke after the request was sent: the server may have acted on it."""


class TlsError(TransportError):
    """The TLS handshake failed (certificate, protocol): retrying does not help."""


class InvalidUrl(TransportError):
    """The URL cannot be requested."""


class Headers(dict):
    """Response headers; get() ignores case."""

    def get(self, key, default=None):
        return dict.get(self, key.lower(), default)


class Response:
    def __init__(self, status_code, reason, headers, content):
        self.status_code = status_code
        self.reason = reason
        self.headers = headers
        self.content = content


def _proxy_from_env(scheme):
    for name in ('%s_proxy' % scheme, 'all_proxy'):
        value = os.environ.get(name) or os.environ.get(name.upper())
        if value:
            return value
    return None


def _bypassed(host, port):
    """True when no_proxy (or NO_PROXY) names the host: '*', a host, a domain (.example.com or example.com)."""
    entries = os.environ.get('no_proxy') or os.environ.get('NO_PROXY') or ''
    host = host.lower()
    for entry in entries.replace(' ', ',').split(','):
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == '*':
            return True
        name, dummy, entry_port = entry.partition(':')
        if entry_port and entry_port != str(port):
            continue
        name = name.lstrip('.')
        if host == name or host.endswith('.' + name):
            return True
    return False


def proxy_for(scheme, host, port):
    """(proxy host, proxy port, Proxy-Authorization value or None) for a request, or None for a direct one."""
    proxy = _proxy_from_env(scheme)
    if not proxy or _bypassed(host, port):
        return None
    parts = urlsplit(proxy if '://' in proxy else 'http://' + proxy)
    if parts.scheme != 'http' or not parts.hostname:
        raise InvalidUrl('the proxy %s_proxy=%s is not supported: use an http:// proxy URL' % (scheme, proxy))
    auth = None
    if parts.username is not None:
        import base64
        pair = '%s:%s' % (unquote(parts.username), unquote(parts.password or ''))
        auth = 'Basic ' + base64.b64encode(pair.encode('utf-8')).decode('ascii')
    return parts.hostname, parts.port or 80, auth


def _dropped(sock):
    """True when the server closed an idle kept-alive connection (it is readable before anything was asked)."""
    try:
        readable, dummy, dummy2 = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class Session:
    """Requests over one kept-alive connection; not thread-safe (one per thread)."""

    def __init__(self):
        self.headers = {}
        self.verify = True
        self._conn = None
        self._key = None

    def close(self):
        if self._conn is not None:
            self._conn.close()
        self._conn = None
        self._key = None

    def _tls_context(self):
        context = ssl.create_default_context()
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _connection(self, scheme, host, port, proxy, timeout):
        key = (scheme, host, port, proxy, timeout, self.verify)
        conn = self._conn
        if conn is not None and (key != self._key or (conn.sock is not None and _dropped(conn.sock))):
            self.close()
            conn = None
        if conn is None:
            target_host, target_port = (proxy[0], proxy[1]) if proxy else (host, port)
            if scheme == 'https':
                conn = HTTPSConnection(target_host, target_port, timeout=timeout, context=self._tls_context())
                if proxy:
                    conn.set_tunnel(host, port, headers={'Proxy-Authorization': proxy[2]} if proxy[2] else None)
            else:
                conn = HTTPConnection(target_host, target_port, timeout=timeout)
            self._conn, self._key = conn, key
        return conn

    def _connect(self, conn, where):
        try:
            conn.connect()
        except (ssl.SSLError, ssl.CertificateError) as exc:
            self.close()
            raise TlsError('%s: %s' % (where, exc))
        except socket.timeout:
            self.close()
            raise ConnectError('%s: connect timed out' % where)
        except (OSError, HTTPException) as exc:
            self.close()
            raise ConnectError('%s: %s' % (where, exc))

    def request(self, method, url, params=None, data=None, timeout=None, allow_redirects=False):
        """Send one request and read the whole answer. Redirects are returned, not followed."""
        parts = urlsplit(url)
        if parts.scheme not in ('http', 'https') or not parts.hostname:
            raise InvalidUrl('%r is not an http:// or https:// URL' % url)
        try:
            port = parts.port or (443 if parts.scheme == 'https' else 80)
        except ValueError as exc:
            raise InvalidUrl('%r: %s' % (url, exc))
        proxy = proxy_for(parts.scheme, parts.hostname, port)
        target = parts.path or '/'
        query = '&'.join(q for q in (parts.query, urlencode(params or [])) if q)
        if query:
            target += '?' + query
        headers = dict(self.headers)
        headers['Accept-Encoding'] = 'gzip'
        if proxy and parts.scheme == 'http':
            target = '%s://%s%s' % (parts.scheme, parts.netloc, target)
            if proxy[2]:
                headers['Proxy-Authorization'] = proxy[2]
        body = data.encode('utf-8') if isinstance(data, str) else data
        conn = self._connection(parts.scheme, parts.hostname, port, proxy, timeout)
        where = '%s:%s' % (proxy[0], proxy[1]) if proxy else '%s:%s' % (parts.hostname, port)
        if conn.sock is None:
            self._connect(conn, where)
        try:
            conn.request(method, target, body=body, headers=headers)
            answer = conn.getresponse()
            content = answer.read()
        except socket.timeout:
            self.close()
            raise ReadTimeout('no answer from %s within %s s' % (where, timeout))
        except (OSError, HTTPException) as exc:
            self.close()
            raise ConnectionBroken('%s: %s' % (where, exc.__class__.__name__ if not str(exc) else exc))
        found = Headers((k.lower(), v) for k, v in answer.getheaders())
        if content and found.get('Content-Encoding', '').lower() == 'gzip':
            import gzip
            try:
                content = gzip.decompress(content)
            except (OSError, EOFError) as exc:
                raise ConnectionBroken('%s: the gzip answer is broken: %s' % (where, exc))
        if answer.will_close:
            self.close()
        return Response(answer.status, answer.reason, found, content)
