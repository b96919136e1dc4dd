# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Concurrent clients: 8 parallel writers lose nothing (memory and file state)."""

from __future__ import annotations

import http.client
import json
import threading

import pytest

WRITERS = 8
PER_WRITER = 15
LADDER = [{"profile": "vtrans2-852x480x800x25", "tags": ["q:high"]}, {"profile": "vtrans2-640x360x400x25", "tags": ["q:low"]}]


def _writer(emu, number, created, errors, barrier):
    conn = http.client.HTTPConnection(emu.host, emu.port, timeout=30)
    headers = {"X-BINTU-APIKEY": emu.api_key, "Content-Type": "application/json"}
    try:
        barrier.wait()
        for item in range(PER_WRITER):
            body = {"tags": ["writer:%d" % number, "item:%d" % item, "run"], "transcodes": LADDER}
            conn.request("POST", "/stream", body=json.dumps(body), headers=headers)
            resp = conn.getresponse()
            data = json.loads(resp.read())
            if resp.status != 200:
                errors.append((resp.status, data))
                continue
            conn.request("PUT", "/stream/%s/tag" % data["id"], body=json.dumps({"tags": body["tags"] + ["tagged"]}),
                         headers=headers)
            resp = conn.getresponse()
            tagged = json.loads(resp.read())
            if resp.status != 200 or "tagged" not in tagged["tags"]:
                errors.append((resp.status, tagged))
            created.append(data)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        errors.append(repr(exc))
    finally:
        conn.close()


def _run_writers(emu):
    created, errors = [], []
    barrier = threading.Barrier(WRITERS)
    threads = [threading.Thread(target=_writer, args=(emu, n, created, errors, barrier)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(t.is_alive() for t in threads)
    return created, errors


def _check(emu, created, errors):
    total = WRITERS * PER_WRITER
    assert errors == []
    assert len(created) == total
    listed = emu.call("GET", "/stream?quantity=%d&tags[]=run&tags[]=tagged" % (total + 10)).json
    assert sorted(s["id"] for s in listed) == sorted(s["id"] for s in created)
    stored = emu.streams()
    assert len(stored) == total * 3
    assert len({s["id"] for s in stored}) == total * 3
    assert len({s["ingest"]["rtmp"]["streamname"] for s in stored}) == total * 3
    for number in range(WRITERS):
        mine = emu.call("GET", "/stream?tags[]=writer:%d" % number).json
        assert sorted(int(t.split(":")[1]) for s in mine for t in s["tags"] if t.startswith("item:")) == list(range(PER_WRITER))
        assert all(len(s["playout"]["h5live"]) == 3 for s in mine)
    log = emu.requests()
    assert sum(1 for e in log if e["method"] == "POST" and e["status"] == 200) == total
    assert sum(1 for e in log if e["method"] == "PUT" and e["status"] == 200) == total


def test_eight_parallel_writers_in_memory(emulator):
    created, errors = _run_writers(emulator)
    _check(emulator, created, errors)


@pytest.mark.parametrize("restart", [False, True])
def test_eight_parallel_writers_with_state_file(emulator_factory, tmp_path, restart):
    state = tmp_path / "state.sqlite"
    emu = emulator_factory("--state", str(state))
    created, errors = _run_writers(emu)
    _check(emu, created, errors)
    if restart:
        assert emu.stop() == 0
        again = emulator_factory("--state", str(state))
        assert len(again.streams()) == WRITERS * PER_WRITER * 3
        assert len(again.call("GET", "/stream?quantity=1000").json) == WRITERS * PER_WRITER


def test_parallel_readers_and_writers_on_one_stream(emulator, create):
    stream_id = create({"tags": ["t0"]})["id"]
    errors = []

    def worker(number):
        conn = http.client.HTTPConnection(emulator.host, emulator.port, timeout=30)
        headers = {"X-BINTU-APIKEY": emulator.api_key, "Content-Type": "application/json"}
        try:
            for item in range(20):
                if number % 2:
                    conn.request("PUT", "/stream/%s/tag" % stream_id,
                                 body=json.dumps({"tags": ["w%d" % number, "i%d" % item]}), headers=headers)
                else:
                    conn.request("GET", "/stream/%s" % stream_id, headers=headers)
                resp = conn.getresponse()
                body = json.loads(resp.read())
                if resp.status != 200 or len(body["tags"]) not in (1, 2):
                    errors.append((resp.status, body))
        except Exception as exc:  # pylint: disable=broad-exception-caught
            errors.append(repr(exc))
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(emulator.requests()) == 1 + 8 * 20
