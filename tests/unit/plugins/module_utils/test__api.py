# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import threading

import pytest

from ansible_collections.nanocosmos.bintu.plugins.module_utils import _api, _http
from ansible_collections.nanocosmos.bintu.plugins.module_utils._api import (
    BintuApiError,
    BintuClient,
    BintuOutcomeUnknown,
    RateLimiter,
    connection_errors,
    unwrap_list,
    unwrap_object,
)
from ansible_collections.nanocosmos.bintu.tests.unit.plugins.module_utils.fakes import (
    FakeResponse,
    FakeSession,
    error_body,
)

KEY = 'secret-key-4711'
TOKEN = 'secret-token-0815'


def make_client(script, **kwargs):
    session = FakeSession(script)
    sleeps = []
    params = dict(api_url='http://bintu.test/', api_key=KEY, retries=3, session_factory=lambda: session,
                  sleep=sleeps.append, jitter=lambda: 0.5)
    params.update(kwargs)
    client = BintuClient(**params)
    return client, session, sleeps


def refused():
    return _http.ConnectError('bintu.test:80: [Errno 111] Connection refused')


def reset():
    return _http.ConnectionBroken('bintu.test:80: [Errno 104] Connection reset by peer')


# -- headers and parsing ---------------------------------------------------

def test_api_key_header_user_agent_and_json_headers():
    client, session, dummy = make_client([FakeResponse(200, [])])
    assert client.list_streams() == []
    headers = session.calls[0]['headers']
    assert headers['X-BINTU-APIKEY'] == KEY
    assert 'X-BINTU-TOKEN' not in headers
    assert headers['User-Agent'] == 'nanocosmos.bintu/1.0.0'
    assert headers['Accept'] == 'application/json'
    assert headers['Content-Type'] == 'application/json'
    assert session.calls[0]['url'] == 'http://bintu.test/stream'
    assert session.calls[0]['timeout'] == 30.0


def test_token_header_and_certificate_setting():
    client, session, dummy = make_client([FakeResponse(200, [])], api_key=None, api_token=TOKEN, validate_certs=False,
                                         timeout=4.5)
    client.list_streams()
    assert session.calls[0]['headers']['X-BINTU-TOKEN'] == TOKEN
    assert 'X-BINTU-APIKEY' not in session.calls[0]['headers']
    assert session.verify is False
    assert session.calls[0]['timeout'] == 4.5


def test_unsupported_proxy_fails_without_retrying_and_says_what_to_set(monkeypatch):
    monkeypatch.setenv('https_proxy', 'socks5://proxy.local:1080')
    monkeypatch.delenv('no_proxy', raising=False)
    monkeypatch.delenv('NO_PROXY', raising=False)
    sleeps = []
    client = BintuClient(api_url='https://bintu.test', api_key=KEY, sleep=sleeps.append)
    with pytest.raises(BintuApiError) as exc:
        client.list_streams()
    text = str(exc.value)
    assert 'socks5://proxy.local:1080 is not supported' in text and 'http:// URL' in text
    assert sleeps == [] and client.request_count == 1


def test_list_query_parameters():
    client, session, dummy = make_client([FakeResponse(200, [])])
    client.list_streams(tags=['name:a b', 'event:x'], quantity=1000, state='live')
    assert session.calls[0]['params'] == [('tags[]', 'name:a b'), ('tags[]', 'event:x'), ('state', 'live'),
                                          ('quantity', '1000')]


@pytest.mark.parametrize('payload', [
    [{'id': 'a'}],
    {'data': [{'id': 'a'}], 'count': 1},
    {'streams': [{'id': 'a'}]},
    {'items': [{'id': 'a'}]},
    {'results': [{'id': 'a'}]},
    {'data': {'streams': [{'id': 'a'}]}},
])
def test_list_shapes_are_accepted(payload):
    assert unwrap_list(payload) == [{'id': 'a'}]


def test_brief_listing_keeps_only_what_identifies_a_stream():
    stream = dict(id='p1', streamgroup='p1', state='live', created_at='t', tags=['name:a'], type='low-latency',
                  ingest=dict(rtmp=dict(url='rtmp://in', streamname='s')),
                  playout=dict(h5live=[dict(index=0, id='p1', streamname='s')]))
    client, dummy, dummy2 = make_client([FakeResponse(200, {'data': [stream], 'count': 1})] * 2)
    brief = client.list_streams(brief=True)
    assert brief == [dict(id='p1', streamgroup='p1', state='live', created_at='t', tags=['name:a'], _brief=True)]
    assert client.list_streams() == [stream]


def test_unexpected_list_shape_is_an_error():
    client, dummy, dummy2 = make_client([FakeResponse(200, {'weird': True})])
    with pytest.raises(BintuApiError) as exc:
        client.list_streams()
    assert 'unexpected answer' in str(exc.value)


def test_unwrap_object_shapes():
    assert unwrap_object({'id': 'x'}) == {'id': 'x'}
    assert unwrap_object({'data': {'id': 'x'}}) == {'id': 'x'}
    assert unwrap_object(None) is None
    assert unwrap_object([{'id': 'x'}]) == {'id': 'x'}


@pytest.mark.parametrize('status', [200, 201])
def test_create_accepts_200_and_201(status):
    client, session, dummy = make_client([FakeResponse(status, {'id': 'new'})])
    assert client.create_stream({'tags': ['name:a']}) == {'id': 'new'}
    assert json.loads(session.calls[0]['data']) == {'tags': ['name:a']}


def test_empty_bodies_and_204():
    client, dummy, dummy2 = make_client([FakeResponse(204), FakeResponse(200, raw=b''), FakeResponse(201, raw=b'  ')])
    assert client.delete_stream('a') is True
    assert client.set_tags('a', ['x']) is None
    assert client.create_stream({}) is None


def test_non_json_answer_is_a_clear_error():
    client, dummy, dummy2 = make_client([FakeResponse(200, raw='<html>login</html>')])
    with pytest.raises(BintuApiError) as exc:
        client.get_stream('a')
    assert 'not JSON' in str(exc.value)
    assert 'api_url' in str(exc.value)


def test_stream_id_is_quoted_in_the_path():
    client, session, dummy = make_client([FakeResponse(200, {'id': 'a/b'})])
    client.get_stream('a/b?x')
    assert session.calls[0]['url'] == 'http://bintu.test/stream/a%2Fb%3Fx'


@pytest.mark.parametrize('response', [
    FakeResponse(404, error_body(3001, 'Stream not found')),
    FakeResponse(400, error_body(3001, 'Stream not found')),
    FakeResponse(400, error_body(None, 'stream not found')),
])
def test_not_found_variants(response):
    client, dummy, dummy2 = make_client([response])
    assert client.get_stream('nope') is None
    client, dummy, dummy2 = make_client([response])
    assert client.delete_stream('nope') is False


def test_other_400_is_not_not_found():
    client, dummy, dummy2 = make_client([FakeResponse(400, error_body(1004, 'Invalid parameter type',
                                                                      {'parameter': 'tags', 'type': 'array'}))])
    with pytest.raises(BintuApiError) as exc:
        client.set_tags('a', ['x'])
    err = exc.value
    assert (err.status, err.code, err.method, err.path) == (400, 1004, 'PUT', '/stream/a/tag')
    assert err.userinfo == {'parameter': 'tags', 'type': 'array'}
    text = str(err)
    assert 'HTTP 400' in text and 'Bintu code 1004' in text and 'Invalid parameter type' in text
    assert '"parameter": "tags"' in text


# -- retries ---------------------------------------------------------------

@pytest.mark.parametrize('status', [500, 502, 503, 504])
def test_get_retries_server_errors_with_backoff(status):
    client, session, sleeps = make_client([FakeResponse(status), FakeResponse(status), FakeResponse(200, [])])
    assert client.list_streams() == []
    assert len(session.calls) == 3
    # jitter fixed at 0.5 -> factor 0.75 of 0.5 s, 1 s
    assert sleeps == [0.375, 0.75]


def test_backoff_is_jittered_and_capped():
    client = BintuClient('http://x', api_key=KEY, jitter=lambda: 1.0)
    assert client._backoff(0) == 0.5
    assert client._backoff(10) == _api.BACKOFF_CAP
    client = BintuClient('http://x', api_key=KEY, jitter=lambda: 0.0)
    assert client._backoff(1) == 0.5


def test_retries_exhausted_raises_last_error_with_attempt_count():
    client, session, sleeps = make_client([FakeResponse(503, error_body(5000, 'busy'))] * 4)
    with pytest.raises(BintuApiError) as exc:
        client.get_stream('a')
    assert len(session.calls) == 4
    assert len(sleeps) == 3
    assert exc.value.status == 503
    assert 'gave up after 4 attempts' in str(exc.value)
    assert not isinstance(exc.value, BintuOutcomeUnknown)


def test_zero_retries_means_one_attempt():
    client, session, dummy = make_client([FakeResponse(502)], retries=0)
    with pytest.raises(BintuApiError):
        client.list_streams()
    assert len(session.calls) == 1


def test_429_honours_retry_after_and_caps_it():
    client, session, sleeps = make_client([
        FakeResponse(429, headers={'Retry-After': '2'}),
        FakeResponse(429, headers={'Retry-After': '3600'}),
        FakeResponse(429),
        FakeResponse(200, []),
    ])
    client.list_streams()
    assert sleeps == [2.0, _api.RETRY_AFTER_CAP, 1.5]


def test_retry_after_http_date():
    assert _api._parse_retry_after('Thu, 01 Jan 2026 00:00:10 GMT', now=1767225600.0) == 10.0
    assert _api._parse_retry_after('garbage') is None
    assert _api._parse_retry_after(None) is None


def test_post_is_retried_on_429_and_refused_connection():
    client, session, sleeps = make_client([
        FakeResponse(429, headers={'Retry-After': '1'}),
        refused(),
        FakeResponse(200, {'id': 'new'}),
    ])
    assert client.create_stream({}) == {'id': 'new'}
    assert [c['method'] for c in session.calls] == ['POST'] * 3


@pytest.mark.parametrize('failure', [
    FakeResponse(500), FakeResponse(502), FakeResponse(503), FakeResponse(504),
    _http.ReadTimeout('read timed out'),
    reset(),
])
def test_post_failure_that_may_have_reached_the_server_is_outcome_unknown(failure):
    client, session, sleeps = make_client([failure, FakeResponse(200, {'id': 'twice'})])
    with pytest.raises(BintuOutcomeUnknown) as exc:
        client.create_stream({'tags': ['name:a']})
    assert len(session.calls) == 1
    assert exc.value.method == 'POST' and exc.value.path == '/stream'


def test_post_connect_timeout_is_retried():
    client, session, dummy = make_client([_http.ConnectError('bintu.test:80: connect timed out'), FakeResponse(200, {'id': 'n'})])
    assert client.create_stream({}) == {'id': 'n'}


@pytest.mark.parametrize('method,call', [
    ('GET', lambda c: c.get_stream('a')),
    ('PUT', lambda c: c.set_tags('a', ['t'])),
    ('DELETE', lambda c: c.delete_stream('a')),
])
def test_idempotent_methods_retry_connection_errors_and_timeouts(method, call):
    client, session, dummy = make_client([reset(), _http.ReadTimeout('slow'), refused(),
                                          FakeResponse(200, {'id': 'a'})])
    call(client)
    assert [c['method'] for c in session.calls] == [method] * 4


def test_timeout_message_names_the_option():
    client, dummy, dummy2 = make_client([_http.ReadTimeout('slow')], retries=0, timeout=2.0)
    with pytest.raises(BintuApiError) as exc:
        client.list_streams()
    assert 'api_timeout (2.0 s)' in str(exc.value)


def test_refused_connection_message_names_api_url():
    client, dummy, dummy2 = make_client([refused()], retries=0)
    with pytest.raises(BintuApiError) as exc:
        client.list_streams()
    assert 'could not connect to http://bintu.test' in str(exc.value)
    assert 'check api_url' in str(exc.value)


def test_4xx_is_not_retried():
    client, session, dummy = make_client([FakeResponse(401, error_body(4002, 'User Credentials are not valid'))])
    with pytest.raises(BintuApiError):
        client.list_streams()
    assert len(session.calls) == 1


def test_redirect_is_not_followed_and_explained():
    client, session, dummy = make_client([FakeResponse(301, headers={'Location': 'https://bintu.test/stream'})])
    with pytest.raises(BintuApiError) as exc:
        client.create_stream({})
    assert 'redirects to https://bintu.test/stream' in str(exc.value)


# -- messages a user can act on, without secrets ---------------------------

@pytest.mark.parametrize('status,body,expected', [
    (401, error_body(4002, 'User Credentials are not valid'), 'BINTU_API_KEY'),
    (403, error_body(2001, 'Access denied'), 'role'),
    (403, error_body(2003, 'Organisation not enabled'), 'package'),
    (400, error_body(3002, 'Stream Type is not available'), 'package'),
    (404, error_body(3001, 'Stream not found'), 'check the id'),
    (400, error_body(1002, 'Missing parameter', {'required_parameter': 'tags'}), 'fix the parameter'),
])
def test_error_messages_say_what_to_do(status, body, expected):
    client, dummy, dummy2 = make_client([FakeResponse(status, body)])
    with pytest.raises(BintuApiError) as exc:
        client.set_tags('abc', ['x'])
    text = str(exc.value)
    assert expected in text
    assert 'PUT /stream/abc/tag' in text
    assert 'HTTP %d' % status in text
    assert KEY not in text


def test_credentials_are_scrubbed_from_errors():
    body = error_body(4002, 'key %s is not valid' % KEY, {'apikey': KEY, 'token': [TOKEN]})
    client, dummy, dummy2 = make_client([FakeResponse(401, body)])
    with pytest.raises(BintuApiError) as exc:
        client.list_streams()
    everything = str(exc.value) + json.dumps(exc.value.to_dict()) + repr(exc.value.args)
    assert KEY not in everything
    assert _api.MASK in everything
    client, dummy, dummy2 = make_client([FakeResponse(401, error_body(1, 'token %s' % TOKEN))], api_key=None,
                                        api_token=TOKEN)
    with pytest.raises(BintuApiError) as exc:
        client.list_streams()
    assert TOKEN not in str(exc.value)


def test_non_json_error_body_is_reported():
    client, dummy, dummy2 = make_client([FakeResponse(403, raw='Forbidden by proxy', reason='Forbidden')])
    with pytest.raises(BintuApiError) as exc:
        client.list_streams()
    assert 'Forbidden by proxy' in str(exc.value)


def test_request_count_and_close():
    client, session, dummy = make_client([FakeResponse(503), FakeResponse(200, [])])
    client.list_streams()
    assert client.request_count == 2
    client.close()
    assert session.closed


def test_one_session_per_thread():
    sessions = []

    def factory():
        session = FakeSession([FakeResponse(200, [])])
        sessions.append(session)
        return session

    client = BintuClient('http://x', api_key=KEY, session_factory=factory)
    threads = [threading.Thread(target=client.list_streams) for dummy in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sessions) == 3
    assert all(len(s.calls) == 1 for s in sessions)


# -- rate limiter ----------------------------------------------------------

class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.lock = threading.Lock()

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        # sleeping does not advance the shared clock: callers compute their slot before they sleep
        pass


def test_rate_limiter_spaces_requests():
    clock = FakeClock()
    limiter = RateLimiter(4.0, clock=clock, sleep=clock.sleep)
    waits = [limiter.acquire() for dummy in range(5)]
    assert waits == [0.0, 0.25, 0.5, 0.75, 1.0]
    clock.now = 110.0
    assert limiter.acquire() == 0.0


def test_rate_limiter_off():
    limiter = RateLimiter(0, clock=lambda: 0.0, sleep=lambda s: None)
    assert [limiter.acquire() for dummy in range(3)] == [0.0, 0.0, 0.0]


def test_rate_limiter_is_shared_by_threads():
    clock = FakeClock()
    limiter = RateLimiter(10.0, clock=clock, sleep=clock.sleep)
    waits = []
    lock = threading.Lock()

    def worker():
        for dummy in range(5):
            wait = limiter.acquire()
            with lock:
                waits.append(round(wait, 6))

    threads = [threading.Thread(target=worker) for dummy in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 20 requests from 4 threads get 20 distinct slots 0.1 s apart
    assert sorted(waits) == [round(i * 0.1, 6) for i in range(20)]


def test_client_uses_the_rate_limiter_for_every_attempt():
    clock = FakeClock()
    sleeps = []
    session = FakeSession([FakeResponse(503), FakeResponse(200, [])])
    client = BintuClient('http://x', api_key=KEY, rate_limit=2.0, session_factory=lambda: session, clock=clock,
                         sleep=sleeps.append, jitter=lambda: 0.0)
    client.list_streams()
    # backoff 0.25 s, then the limiter wait 0.5 s for the second attempt
    assert sleeps == [0.25, 0.5]


# -- connection option checks ---------------------------------------------

def base_params(**kwargs):
    params = dict(api_url='https://bintu.nanocosmos.de', api_key=KEY, api_token=None, api_timeout=30.0,
                  api_retries=3, api_rate_limit=0.0, validate_certs=True)
    params.update(kwargs)
    return params


def test_connection_defaults_are_fine():
    assert connection_errors(base_params()) == []
    assert connection_errors(base_params(api_key=None, api_token=TOKEN)) == []


@pytest.mark.parametrize('changes,expected', [
    (dict(api_token=TOKEN), 'set exactly one'),
    (dict(api_key=None), 'BINTU_API_KEY'),
    (dict(api_key=''), 'BINTU_API_KEY'),
    (dict(api_url='ftp://bintu'), 'http:// or https://'),
    (dict(api_url='bintu.nanocosmos.de'), 'http:// or https://'),
    (dict(api_url='https://x/?a=b'), 'query'),
    (dict(api_timeout=0), 'api_timeout'),
    (dict(api_retries=-1), 'api_retries'),
    (dict(api_rate_limit=-1.0), 'api_rate_limit'),
])
def test_connection_errors(changes, expected):
    errors = connection_errors(base_params(**changes))
    assert len(errors) == 1
    assert expected in errors[0]
    assert KEY not in errors[0] and TOKEN not in errors[0]
