# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared fixtures of tests/conftest.py: collection import path, emulator handles, ansible_playbook."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]

PLAYBOOK = """\
- name: Fixture check
  hosts: localhost
  gather_facts: false
  tasks:
    - name: List streams of the emulator
      ansible.builtin.uri:
        url: "{{ lookup('ansible.builtin.env', 'BINTU_API_URL') }}/stream?tags[]=fixture"
        headers:
          X-BINTU-APIKEY: "{{ lookup('ansible.builtin.env', 'BINTU_API_KEY') }}"
      register: listed

    - name: Write the results
      ansible.builtin.copy:
        content: "{{ {'streams': listed.json, 'marker': marker | default(''),
                      'collections_path': lookup('ansible.builtin.env', 'ANSIBLE_COLLECTIONS_PATH'),
                      'token': lookup('ansible.builtin.env', 'BINTU_API_TOKEN', default='unset')} | to_nice_json }}"
        dest: "{{ out_dir }}/result.json"
        mode: "0644"

    - name: Fail when asked, showing the key
      ansible.builtin.fail:
        msg: "failing with {{ lookup('ansible.builtin.env', 'BINTU_API_KEY') }}"
      when: fail_now | default(false) | bool
"""


def test_collection_is_importable_and_exported():
    package = importlib.import_module("ansible_collections.nanocosmos.bintu")
    assert Path(list(package.__path__)[0]).resolve() == REPO_ROOT
    base = Path(os.environ["ANSIBLE_COLLECTIONS_PATH"])
    assert (base / "ansible_collections" / "nanocosmos" / "bintu").resolve() == REPO_ROOT
    assert os.environ["ANSIBLE_NOCOLOR"] == "1"


def test_emulator_handle(emulator):
    assert emulator.url.startswith("http://127.0.0.1:")
    assert emulator.env() == {"BINTU_API_URL": emulator.url, "BINTU_API_KEY": emulator.api_key}
    assert len(set(emulator.secrets())) == 3
    created = emulator.call("POST", "/stream", {"tags": ["h"]}).json
    emulator.set_state(created["id"], "live")
    assert emulator.streams()[0]["state"] == "live"
    assert [e["method"] for e in emulator.writes()] == ["POST"]


def test_emulator_is_reset_between_tests_part_1(emulator):
    emulator.call("POST", "/stream")
    emulator.configure(create_status=201)


def test_emulator_is_reset_between_tests_part_2(emulator):
    assert emulator.streams() == [] and emulator.requests() == []
    assert emulator.config()["create_status"] == 200


def test_ansible_playbook_runs_against_the_emulator(emulator, ansible_playbook, tmp_path, monkeypatch):
    playbook = tmp_path / "check.yml"
    playbook.write_text(PLAYBOOK, encoding="utf-8")
    stream = emulator.call("POST", "/stream", {"tags": ["fixture"]}).json
    monkeypatch.setenv("BINTU_API_TOKEN", "outer-token-must-not-leak-in")
    result = ansible_playbook(playbook, extra_vars={"marker": "m-1"})
    assert result.rc == 0
    data = result.result("result")
    assert result.results == {"result": data}
    assert [s["id"] for s in data["streams"]] == [stream["id"]]
    assert data["marker"] == "m-1"
    assert data["token"] == "unset"
    assert Path(data["collections_path"]).resolve() == Path(os.environ["ANSIBLE_COLLECTIONS_PATH"]).resolve()
    assert [(e["method"], e["path"], e["status"]) for e in emulator.requests()] == [
        ("POST", "/stream", 200), ("GET", "/stream", 200)]
    assert "PLAY RECAP" in result.stdout


def test_ansible_playbook_env_override_and_expect_rc(emulator, ansible_playbook, tmp_path):
    playbook = tmp_path / "check.yml"
    playbook.write_text(PLAYBOOK, encoding="utf-8")
    result = ansible_playbook(playbook, env={"BINTU_API_KEY": "wrong"}, expect_rc=None)
    assert result.rc == 2
    assert emulator.requests()[0]["status"] == 401
    with pytest.raises(pytest.fail.Exception) as info:
        ansible_playbook(playbook, extra_vars={"fail_now": True})
    message = str(info.value)
    assert "expected rc 0" in message and "rc=2" in message and "failing with <redacted>" in message
    assert emulator.api_key not in message
