# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The standard-library transport against real sockets on 127.0.0.1."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gzip
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.nanocosmos.bintu.plugins.module_utils import _http


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def _answer(self):
        server = self.server
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        server.seen.append(dict(method=self.command, path=self.path, body=body, port=self.client_address[1],
                                headers=dict(self.headers)))
        mode = server.mode
        if mode == 'slow':
            time.sleep(0.5)
        if mode == 'reset':
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b'\x01\x00\x00\x00\x00\x00\x00\x00')
            self.connection.close()
            self.close_connection = True
            return
        payload = json.dumps(dict(method=self.command, path=self.path)).encode('utf-8')
        self.send_response(201 if self.command == 'POST' else 200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Retry-After', '7')
        if mode == 'gzip':
            payload = gzip.compress(payload)
            self.send_header('Content-Encoding', 'gzip')
        if mode == 'close':
            self.send_header('Connection', 'close')
            self.close_connection = True
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def do_CONNECT(self):
        self.server.seen.append(dict(method='CONNECT', path=self.path, headers=dict(self.headers)))
        self.send_response(407)
        self.send_header('Content-Length', '0')
        self.end_headers()


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a reset connection is what some tests want


@pytest.fixture
def server():
    httpd = Server(('127.0.0.1', 0), Handler)
    httpd.daemon_threads = True
    httpd.seen = []
    httpd.mode = 'ok'
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.url = 'http://127.0.0.1:%d' % httpd.server_address[1]
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def no_proxy_env(monkeypatch):
    for name in ('http_proxy', 'https_proxy', 'all_proxy', 'no_proxy'):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def test_requests_share_one_kept_alive_connection(server):
    session = _http.Session()
    session.headers = {'X-Test': 'yes', 'Content-Type': 'application/json'}
    first = session.request('GET', server.url + '/stream', params=[('tags[]', 'event:a b'), ('quantity', '5')],
                            timeout=5)
    second = session.request('POST', server.url + '/stream', data='{"tags": ["x"]}', timeout=5)
    session.close()
    assert (first.status_code, second.status_code) == (200, 201)
    assert json.loads(first.content) == dict(method='GET', path='/stream?tags%5B%5D=event%3Aa+b&quantity=5')
    assert first.headers.get('retry-after') == first.headers.get('Retry-After') == '7'
    assert server.seen[1]['body'] == b'{"tags": ["x"]}'
    assert server.seen[0]['headers']['X-Test'] == 'yes'
    assert server.seen[0]['port'] == server.seen[1]['port'], 'the second request reuses the connection'


def test_a_connection_the_server_closed_is_replaced_before_sending(server):
    session = _http.Session()
    server.mode = 'close'
    session.request('GET', server.url + '/a', timeout=5)
    server.mode = 'ok'
    assert session.request('POST', server.url + '/b', data='{}', timeout=5).status_code == 201
    assert [s['path'] for s in server.seen] == ['/a', '/b']
    assert server.seen[0]['port'] != server.seen[1]['port']


def test_gzip_answers_are_decoded(server):
    server.mode = 'gzip'
    answer = _http.Session().request('GET', server.url + '/stream', timeout=5)
    assert json.loads(answer.content)['path'] == '/stream'


def test_refused_connection_is_never_sent():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(_http.ConnectError) as caught:
        _http.Session().request('POST', 'http://127.0.0.1:%d/stream' % port, data='{}', timeout=5)
    assert '127.0.0.1:%d' % port in str(caught.value)


def test_slow_answer_is_a_read_timeout(server):
    server.mode = 'slow'
    with pytest.raises(_http.ReadTimeout):
        _http.Session().request('GET', server.url + '/stream', timeout=0.2)


def test_reset_after_sending_is_a_broken_connection(server):
    server.mode = 'reset'
    with pytest.raises(_http.ConnectionBroken) as caught:
        _http.Session().request('POST', server.url + '/stream', data='{}', timeout=5)
    assert not isinstance(caught.value, _http.ConnectError), 'the server may have acted on it'
    assert server.seen and server.seen[0]['method'] == 'POST'


def test_tls_to_a_plain_http_server_is_a_tls_error(server):
    with pytest.raises(_http.TlsError):
        _http.Session().request('GET', server.url.replace('http://', 'https://') + '/stream', timeout=5)


@pytest.mark.parametrize('url', ['ftp://example.com/x', 'http:///nohost', 'http://example.com:99999/'])
def test_invalid_urls(url):
    with pytest.raises(_http.InvalidUrl):
        _http.Session().request('GET', url, timeout=5)


def test_http_proxy_gets_the_absolute_url_and_its_credentials(server, monkeypatch):
    monkeypatch.setenv('HTTP_PROXY', 'http://user:p%%40ss@127.0.0.1:%d' % server.server_address[1])
    answer = _http.Session().request('GET', 'http://bintu.example:8080/stream', params=[('quantity', '1')], timeout=5)
    assert answer.status_code == 200
    seen = server.seen[0]
    assert seen['path'] == 'http://bintu.example:8080/stream?quantity=1'
    assert seen['headers']['Proxy-Authorization'] == 'Basic dXNlcjpwQHNz'  # user:p@ss


@pytest.mark.parametrize('no_proxy, host, bypassed', [
    ('*', 'bintu.example', True),
    ('example', 'bintu.example', True),
    ('.example', 'bintu.example', True),
    ('ample', 'bintu.example', False),
    ('bintu.example:443', 'bintu.example', True),
    ('bintu.example:8443', 'bintu.example', False),
    ('other, BINTU.example', 'bintu.example', True),
])
def test_no_proxy(monkeypatch, no_proxy, host, bypassed):
    monkeypatch.setenv('https_proxy', 'proxy.local:3128')
    monkeypatch.setenv('NO_PROXY', no_proxy)
    found = _http.proxy_for('https', host, 443)
    assert (found is None) == bypassed
    if found:
        assert found == ('proxy.local', 3128, None)


def test_unsupported_proxy_scheme_is_refused(monkeypatch):
    monkeypatch.setenv('https_proxy', 'socks5://proxy.local:1080')
    with pytest.raises(_http.InvalidUrl) as caught:
        _http.proxy_for('https', 'bintu.example', 443)
    assert 'http:// proxy URL' in str(caught.value)


def test_https_goes_through_a_proxy_tunnel(server, monkeypatch):
    monkeypatch.setenv('https_proxy', 'http://u:pw@127.0.0.1:%d' % server.server_address[1])
    with pytest.raises(_http.ConnectError) as caught:
        _http.Session().request('POST', 'https://bintu.example/stream', data='{}', timeout=5)
    assert '407' in str(caught.value), 'a refused tunnel means the request was never sent'
    assert server.seen[0]['method'] == 'CONNECT' and server.seen[0]['path'] == 'bintu.example:443'
    assert server.seen[0]['headers']['Proxy-Authorization'] == 'Basic dTpwdw=='


@pytest.fixture(scope='module')
def certificate(tmp_path_factory):
    if not shutil.which('openssl'):
        pytest.skip('openssl is needed to make a test certificate')
    where = tmp_path_factory.mktemp('tls')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
                    '-keyout', str(where / 'key.pem'), '-out', str(where / 'cert.pem')],
                   check=True, capture_output=True)
    return where / 'cert.pem', where / 'key.pem'


@pytest.fixture
def tls_server(server, certificate):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(certificate[0]), str(certificate[1]))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.url = server.url.replace('http://', 'https://')
    return server


def test_self_signed_certificate_is_refused_by_default(tls_server):
    with pytest.raises(_http.TlsError) as caught:
        _http.Session().request('GET', tls_server.url + '/stream', timeout=5)
    assert 'certificate' in str(caught.value).lower()


def test_tls_without_certificate_check_keeps_the_connection(tls_server):
    session = _http.Session()
    session.verify = False
    answers = [session.request('GET', tls_server.url + '/s%d' % i, timeout=5) for i in range(3)]
    session.close()
    assert [a.status_code for a in answers] == [200] * 3
    assert len(set(s['port'] for s in tls_server.seen)) == 1, 'one TLS handshake for all three requests'
