# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bintu REST transport. Private to this collection: no compatibility guarantees for other users."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import email.utils
import json
import random
import threading
import time

try:
    from urllib.parse import quote, urlparse
except ImportError:  # pragma: no cover
    from urllib import quote  # type: ignore
    from urlparse import urlparse  # type: ignore

from ansible_collections.nanocosmos.bintu.plugins.module_utils._http import (
    ConnectError,
    InvalidUrl,
    ReadTimeout,
    Session,
    TlsError,
    TransportError,
)

COLLECTION_VERSION = '1.0.0'
USER_AGENT = 'nanocosmos.bintu/%s' % COLLECTION_VERSION
DEFAULT_API_URL = 'https://bintu.nanocosmos.de'

RETRY_AFTER_CAP = 30.0
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0
RETRY_STATUSES = frozenset([500, 502, 503, 504])
LIST_KEYS = ('data', 'streams', 'items', 'results')
NOT_FOUND_CODES = frozenset([3001])
MASK = '********'


def connection_argument_spec():
    """Argument spec of the connection options shared by every module (doc fragment nanocosmos.bintu.connection)."""
    from ansible.module_utils.basic import env_fallback
    return dict(
        api_url=dict(type='str', default=DEFAULT_API_URL, fallback=(env_fallback, ['BINTU_API_URL'])),
        api_key=dict(type='str', no_log=True, fallback=(env_fallback, ['BINTU_API_KEY'])),
        api_token=dict(type='str', no_log=True, fallback=(env_fallback, ['BINTU_API_TOKEN'])),
        api_timeout=dict(type='float', default=30.0),
        api_retries=dict(type='int', default=3),
        api_rate_limit=dict(type='float', default=0.0),
        validate_certs=dict(type='bool', default=True),
    )


def connection_errors(params):
    """Check the connection options without sending anything; return a list of messages saying what to fix."""
    errors = []
    key = params.get('api_key') or None
    token = params.get('api_token') or None
    if key and token:
        errors.append('api_key and api_token are both set (directly or through BINTU_API_KEY / BINTU_API_TOKEN): '
                      'set exactly one of them')
    elif not key and not token:
        errors.append('no credentials: set api_key (or the environment variable BINTU_API_KEY) '
                      'or api_token (or BINTU_API_TOKEN)')
    url = params.get('api_url')
    parsed = urlparse(url) if isinstance(url, str) else None
    if not parsed or parsed.scheme not in ('http', 'https') or not parsed.netloc:
        errors.append('api_url must be an http:// or https:// URL such as %s, got %r' % (DEFAULT_API_URL, url))
    elif parsed.query or parsed.fragment:
        errors.append('api_url must not contain a query string or fragment, got %r' % url)
    timeout = params.get('api_timeout')
    if timeout is not None and not timeout > 0:
        errors.append('api_timeout must be a number of seconds greater than 0, got %r' % timeout)
    retries = params.get('api_retries')
    if retries is not None and (retries < 0 or retries > 20):
        errors.append('api_retries must be between 0 and 20, got %r' % retries)
    rate = params.get('api_rate_limit')
    if rate is not None and rate < 0:
        errors.append('api_rate_limit must be 0 (off) or a number of requests per second greater than 0, got %r' % rate)
    return errors


def client_from_module(module, **kwargs):
    """Build a BintuClient from the connection options of an AnsibleModule; fail the module on bad options."""
    errors = connection_errors(module.params)
    if errors:
        module.fail_json(msg='; '.join(errors))
    params = module.params
    if not params['validate_certs']:
        module.warn('validate_certs is false: the TLS certificate of %s is not verified, so the API key or token '
                    'could be sent to an impostor. Use this only against a local emulator or a test system.'
                    % params['api_url'])
    return BintuClient(
        api_url=params['api_url'],
        api_key=params.get('api_key') or None,
        api_token=params.get('api_token') or None,
        timeout=params['api_timeout'],
        retries=params['api_retries'],
        rate_limit=params['api_rate_limit'],
        validate_certs=params['validate_certs'],
        **kwargs
    )


def _short(value, limit=400):
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[:limit] + '...'


def _hint(status, code, message, method, path):
    """The next step for the user, given what went wrong."""
    text = (message or '').lower()
    if status is None:
        return None
    if 'not enabled' in text:
        return ('the organisation does not have the package for this feature enabled (for example transcoding for '
                'transcodes): enable it for the organisation in the nanoStream Cloud dashboard or ask nanocosmos '
                'support, or leave the feature out')
    if code == 3002:
        return ('Bintu does not offer this stream type or transcoding profile to the organisation: check the profile '
                'names in transcodes against the profiles your organisation may use, and that the transcoding package is '
                'enabled for it in the nanoStream Cloud dashboard')
    if status == 401:
        return ('the API key or token was not accepted: check api_key / api_token (environment BINTU_API_KEY / '
                'BINTU_API_TOKEN) and api_url; a Bintu token expires and is revoked when its user renews the token key')
    if status == 403:
        return ('access denied: check that api_key / api_token (BINTU_API_KEY / BINTU_API_TOKEN) is valid for this '
                'organisation and that its role may %s %s (creating needs nanoAdmin or nanoUser, deleting needs '
                'nanoAdmin); use a token of a user with that role or the organisation API key' % (method, path))
    if status == 404 or code in NOT_FOUND_CODES:
        if path and path.startswith('/stream/'):
            return 'the stream does not exist (wrong id, or deleted meanwhile): check the id, or look the stream up by name'
        return 'check api_url: %s %s does not exist on this server' % (method, path)
    if status == 400:
        return 'the API rejected the request: fix the parameter named in the message or userinfo'
    if status == 429:
        return 'the API rate limit was hit: lower concurrency, set api_rate_limit, or raise api_retries'
    if status >= 500:
        return 'the API had a server error: try again later; a re-run continues where this one stopped'
    return None


class BintuApiError(Exception):
    """Any failure talking to the Bintu API: HTTP status, Bintu error code, message, userinfo, method and path."""

    def __init__(self, status=None, code=None, message=None, userinfo=None, method=None, path=None,
                 hint=None, attempts=1):
        self.status = status
        self.code = code
        self.message = message
        self.userinfo = userinfo
        self.method = method
        self.path = path
        self.attempts = attempts
        self.hint = hint if hint is not None else _hint(status, code, message, method, path)
        super(BintuApiError, self).__init__(self.describe())

    @property
    def not_found(self):
        if self.status == 404:
            return True
        if self.status == 400 and (self.code in NOT_FOUND_CODES or 'not found' in (self.message or '').lower()):
            return True
        return False

    def describe(self):
        parts = []
        where = ' '.join(p for p in (self.method, self.path) if p)
        head = 'Bintu API %s failed' % where if where else 'Bintu API request failed'
        if self.status is not None:
            head += ': HTTP %s' % self.status
        if self.code is not None:
            head += ', Bintu code %s' % self.code
        parts.append(head)
        if self.message:
            parts.append(str(self.message))
        if self.userinfo:
            parts.append('userinfo: %s' % _short(self.userinfo))
        if self.attempts and self.attempts > 1:
            parts.append('gave up after %d attempts' % self.attempts)
        if self.hint:
            parts.append(self.hint)
        return '. '.join(p.rstrip('.') for p in parts) + '.'

    def to_dict(self):
        return dict(status=self.status, code=self.code, message=self.message, userinfo=self.userinfo,
                    method=self.method, path=self.path)


class BintuOutcomeUnknown(BintuApiError):
    """A POST failed after it may have reached the server: it may or may not have been carried out."""


class RateLimiter:
    """Token bucket of capacity 1 shared by all threads: at most ``rate`` requests per second, evenly spaced."""

    def __init__(self, rate, clock=time.monotonic, sleep=time.sleep):
        self.interval = 1.0 / rate if rate and rate > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = None

    def acquire(self):
        """Wait until the next request may be sent; return the time waited."""
        if not self.interval:
            return 0.0
        with self._lock:
            now = self._clock()
            start = now if self._next is None or self._next <= now else self._next
            self._next = start + self.interval
        wait = start - now
        if wait > 0:
            self._sleep(wait)
        return max(wait, 0.0)


def _parse_retry_after(value, now=None):
    if value is None:
        return None
    value = str(value).strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def unwrap_list(data):
    """Accept a bare JSON array or a wrapped list ({"data": [...]}, streams, items, results); None if neither."""
    if data is None:
        return []
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in LIST_KEYS:
            value = data.get(key)
            if isinstance(value, list):
                return value
            if isinstance(value, dict):
                inner = unwrap_list(value)
                if inner is not None and value:
                    return inner
    return None


def unwrap_object(data):
    """Accept a stream object, or one wrapped as {"data": {...}} / {"stream": {...}}; None for an empty answer."""
    if data is None:
        return None
    if isinstance(data, dict):
        if 'id' in data:
            return data
        for key in ('data', 'stream', 'result'):
            value = data.get(key)
            if isinstance(value, dict):
                return unwrap_object(value)
        return data
    if isinstance(data, list) and len(data) == 1 and isinstance(data[0], dict):
        return data[0]
    return None


BRIEF_KEYS = ('id', 'streamgroup', 'state', 'created_at', 'tags')
BRIEF_MARK = '_brief'


def _brief(obj):
    """json object_hook: a stream object (it has ingest or playout) shrinks to the keys that identify it."""
    if 'playout' in obj or 'ingest' in obj:
        brief = dict((k, obj[k]) for k in BRIEF_KEYS if k in obj)
        brief[BRIEF_MARK] = True
        return brief
    return obj


class BintuClient:
    """Thread-safe Bintu API client: one kept-alive connection per thread, retries, shared rate limit."""

    def __init__(self, api_url, api_key=None, api_token=None, timeout=30.0, retries=3, rate_limit=0.0,
                 validate_certs=True, session_factory=None, sleep=time.sleep, clock=time.monotonic,
                 jitter=random.random):
        self.base_url = (api_url or DEFAULT_API_URL).rstrip('/')
        if api_key:
            self._auth_header = ('X-BINTU-APIKEY', api_key)
        elif api_token:
            self._auth_header = ('X-BINTU-TOKEN', api_token)
        else:
            self._auth_header = None
        self._secrets = [s for s in (api_key, api_token) if s]
        self.timeout = timeout
        self.retries = max(0, int(retries or 0))
        self.validate_certs = validate_certs
        self._session_factory = session_factory
        self._sleep = sleep
        self._jitter = jitter
        self.limiter = RateLimiter(rate_limit, clock=clock, sleep=sleep)
        self._local = threading.local()
        self._sessions = []
        self._lock = threading.Lock()
        self.request_count = 0

    # -- plumbing -------------------------------------------------------

    def _session(self):
        session = getattr(self._local, 'session', None)
        if session is None:
            session = self._session_factory() if self._session_factory else Session()
            headers = {
                'User-Agent': USER_AGENT,
                'Accept': 'application/json',
                'Content-Type': 'application/json',
            }
            if self._auth_header:
                headers[self._auth_header[0]] = self._auth_header[1]
            session.headers.update(headers)
            session.verify = self.validate_certs
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def close(self):
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            try:
                session.close()
            except Exception:  # pylint: disable=broad-except
                pass

    def scrub(self, value):
        """Remove any credential from a string or a JSON-like structure."""
        if isinstance(value, str):
            for secret in self._secrets:
                value = value.replace(secret, MASK)
            return value
        if isinstance(value, dict):
            return dict((self.scrub(k), self.scrub(v)) for k, v in value.items())
        if isinstance(value, (list, tuple)):
            return [self.scrub(v) for v in value]
        return value

    def _backoff(self, attempt):
        delay = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** attempt))
        return delay * (0.5 + self._jitter() / 2.0)

    def _error(self, cls, status=None, code=None, message=None, userinfo=None, method=None, path=None, hint=None,
               attempts=1):
        return cls(status=status, code=code, message=self.scrub(message), userinfo=self.scrub(userinfo),
                   method=method, path=path, hint=self.scrub(hint) if hint else None, attempts=attempts)

    def _http_error(self, response, method, path, attempts=1, cls=BintuApiError):
        code, message, userinfo = None, None, None
        try:
            payload = json.loads(response.content.decode('utf-8')) if response.content else None
        except (ValueError, UnicodeDecodeError):
            payload = None
            text = response.content.decode('utf-8', 'replace').strip() if response.content else ''
            message = _short(text, 200) if text else None
        if isinstance(payload, dict):
            err = payload.get('error', payload)
            if isinstance(err, dict):
                code = err.get('code')
                message = err.get('message') or err.get('msg')
                userinfo = err.get('userinfo')
            elif isinstance(err, str):
                message = err
        if message is None:
            message = getattr(response, 'reason', None) or None
        hint = None
        if 300 <= response.status_code < 400:
            location = response.headers.get('Location')
            hint = 'api_url redirects%s: set api_url to the address the API is served at' % (
                ' to %s' % location if location else '')
        return self._error(cls, status=response.status_code, code=code, message=message, userinfo=userinfo,
                           method=method, path=path, hint=hint, attempts=attempts)

    @staticmethod
    def _never_sent(exc):
        """True when the request cannot have reached the server (no connection was made)."""
        return isinstance(exc, ConnectError)

    def _transport_error(self, exc, method, path, attempts, cls=BintuApiError):
        if isinstance(exc, ReadTimeout):
            message = 'no answer within api_timeout (%s s)' % self.timeout
            hint = 'the API is slow or unreachable: raise api_timeout or try again later'
        elif isinstance(exc, TlsError):
            message = 'TLS error: %s' % _short(str(exc), 300)
            hint = 'check api_url; for a server with a self-signed certificate set validate_certs to false'
        elif self._never_sent(exc):
            message = 'could not connect to %s: %s' % (self.base_url, _short(str(exc), 300))
            hint = 'check api_url and that the API is reachable from this host'
        else:
            message = 'connection failed: %s' % _short(str(exc), 300)
            hint = 'the connection broke; a re-run continues where this one stopped'
        return self._error(cls, message=message, method=method, path=path, hint=hint, attempts=attempts)

    def request(self, method, path, params=None, body=None, object_hook=None):
        """Send one API call with retries; return the parsed JSON body (None when empty)."""
        method = method.upper()
        url = self.base_url + path
        data = json.dumps(body) if body is not None else None
        last_error = None
        delay = 0.0
        for attempt in range(self.retries + 1):
            if attempt and delay > 0:
                self._sleep(delay)
            self.limiter.acquire()
            with self._lock:
                self.request_count += 1
            try:
                response = self._session().request(method, url, params=params, data=data, timeout=self.timeout,
                                                   allow_redirects=False)
            except InvalidUrl as exc:
                raise self._error(BintuApiError, message='cannot send the request: %s' % exc, method=method,
                                  path=path, hint='set api_url to an http(s) URL such as %s, and a proxy in '
                                                  'https_proxy / http_proxy / all_proxy to an http:// URL'
                                                  % DEFAULT_API_URL)
            except TlsError as exc:
                raise self._transport_error(exc, method, path, attempt + 1)
            except TransportError as exc:
                if method == 'POST' and not self._never_sent(exc):
                    raise self._transport_error(exc, method, path, attempt + 1, cls=BintuOutcomeUnknown)
                last_error = self._transport_error(exc, method, path, attempt + 1)
                delay = self._backoff(attempt)
                continue
            status = response.status_code
            if 200 <= status < 300:
                return self._parse(response, method, path, object_hook)
            if status == 429:
                last_error = self._http_error(response, method, path, attempt + 1)
                retry_after = _parse_retry_after(response.headers.get('Retry-After'))
                delay = min(RETRY_AFTER_CAP, retry_after) if retry_after is not None else self._backoff(attempt)
                continue
            if status in RETRY_STATUSES:
                if method == 'POST':
                    raise self._http_error(response, method, path, attempt + 1, cls=BintuOutcomeUnknown)
                last_error = self._http_error(response, method, path, attempt + 1)
                delay = self._backoff(attempt)
                continue
            raise self._http_error(response, method, path, attempt + 1)
        raise last_error

    def _parse(self, response, method, path, object_hook=None):
        content = response.content
        if response.status_code == 204 or not content or not content.strip():
            return None
        try:
            return json.loads(content, object_hook=object_hook)
        except (ValueError, UnicodeDecodeError):
            raise self._error(BintuApiError, status=response.status_code, method=method, path=path,
                              message='the answer is not JSON: %s' % _short(content.decode('utf-8', 'replace'), 200),
                              hint='check that api_url points at the Bintu API')

    # -- Bintu endpoints ------------------------------------------------

    @staticmethod
    def stream_path(stream_id, suffix=''):
        return '/stream/%s%s' % (quote(str(stream_id), safe=''), suffix)

    def list_streams(self, tags=None, quantity=None, state=None, brief=False):
        """GET /stream filtered by tags (AND) and state; always a list.

        brief: keep only what identifies each stream (BRIEF_KEYS, and BRIEF_MARK set to True), dropping
        ingest and playout while the answer is parsed; a large listing then costs a fraction of the memory.
        """
        params = [('tags[]', t) for t in (tags or [])]
        if state:
            params.append(('state', state))
        if quantity:
            params.append(('quantity', str(int(quantity))))
        data = self.request('GET', '/stream', params=params or None, object_hook=_brief if brief else None)
        items = unwrap_list(data)
        if items is None:
            raise self._error(BintuApiError, status=200, method='GET', path='/stream',
                              message='unexpected answer to a stream listing: %s' % _short(data, 200),
                              hint='check that api_url points at the Bintu API')
        return [item for item in items if isinstance(item, dict)]

    def get_stream(self, stream_id):
        """GET /stream/{id}; None when the stream does not exist."""
        try:
            return unwrap_object(self.request('GET', self.stream_path(stream_id)))
        except BintuApiError as exc:
            if exc.not_found:
                return None
            raise

    def create_stream(self, body):
        """POST /stream; the created stream (None if the API answered without a body)."""
        return unwrap_object(self.request('POST', '/stream', body=body))

    def set_tags(self, stream_id, tags):
        """PUT /stream/{id}/tag with the full list of tags (Bintu replaces them)."""
        return unwrap_object(self.request('PUT', self.stream_path(stream_id, '/tag'), body={'tags': list(tags)}))

    def delete_stream(self, stream_id):
        """DELETE /stream/{id}; False when it was already gone."""
        try:
            self.request('DELETE', self.stream_path(stream_id))
        except BintuApiError as exc:
            if exc.not_found:
                return False
            raise
        return True
