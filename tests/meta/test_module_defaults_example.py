# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/examples/module_defaults.yml: connection options set once for the whole action group."""

import pytest

from meta_helpers import GROUP, REPO_ROOT, load_yaml, module_names, render_awx_env

EXAMPLE = REPO_ROOT / "docs" / "examples" / "module_defaults.yml"
NAMES = {"example/lobby", "example/stage-en", "example/stage-de"}
NO_ENV = {"BINTU_API_URL": None, "BINTU_API_KEY": None, "BINTU_API_TOKEN": None}


def passthroughs(emulator):
    """{name: stream} of the live (not deleted) passthrough streams in the emulator."""
    found = {}
    for stream in emulator.streams():
        if stream["state"] == "deleted" or stream["id"] != stream["streamgroup"]:
            continue
        names = [tag[5:] for tag in stream.get("tags") or [] if tag.startswith("name:")]
        assert len(names) == 1, stream["tags"]
        found[names[0]] = stream
    return found


def test_example_uses_the_group_for_every_module():
    play = load_yaml(EXAMPLE)[0]
    defaults = play["module_defaults"]["group/%s" % GROUP]
    assert {"api_url", "api_key", "api_token"} <= set(defaults)
    used = {next(key for key in task if key.startswith("nanocosmos.bintu.")).rsplit(".", 1)[1]
            for task in play["tasks"] if any(key.startswith("nanocosmos.bintu.") for key in task)}
    assert used == set(module_names()), "the example should show every module of the group"
    for task in play["tasks"]:
        module = [key for key in task if key.startswith("nanocosmos.bintu.")]
        if module:
            assert not {"api_url", "api_key", "api_token"} & set(task[module[0]]), task["name"]


def test_connection_comes_from_module_defaults(ansible_playbook, emulator):
    """No BINTU_* variable is set: every module must get url and token from module_defaults."""
    extra = {"bintu_api_url": emulator.url, "bintu_api_token": emulator.api_token}
    first = ansible_playbook(EXAMPLE, extra_vars=extra, env=NO_ENV)
    streams = passthroughs(emulator)
    assert set(streams) == NAMES
    assert "example" in streams["example/lobby"]["tags"]
    assert {"example", "room:stage", "lang:de"} <= set(streams["example/stage-de"]["tags"])
    assert len(streams["example/lobby"]["playout"]["h5live"]) == 2  # passthrough + one transcode
    assert "changed=2" in first.stdout

    emulator.clear_requests()
    second = ansible_playbook(EXAMPLE, extra_vars=extra, env=NO_ENV)
    assert emulator.writes() == [], "second run must change nothing"
    assert "changed=0" in second.stdout
    assert set(passthroughs(emulator)) == NAMES
    for secret_value in emulator.secrets():
        assert secret_value not in first.output + second.output


def test_api_key_from_module_defaults(ansible_playbook, emulator):
    ansible_playbook(EXAMPLE, extra_vars={"bintu_api_url": emulator.url, "bintu_api_key": emulator.api_key},
                     env=NO_ENV)
    assert set(passthroughs(emulator)) == NAMES


@pytest.mark.parametrize("secret", ["api_key", "api_token"])
def test_without_module_defaults_values_the_environment_applies(ansible_playbook, emulator, credential_type, secret):
    """With no variables the defaults are omitted and BINTU_* as the AWX credential injects them is used
    (the other secret's variable set but empty)."""
    env = render_awx_env(credential_type, {"api_url": emulator.url, secret: getattr(emulator, secret)})
    assert "" in env.values()
    ansible_playbook(EXAMPLE, env=env)
    assert set(passthroughs(emulator)) == NAMES


def test_without_any_connection_every_module_fails_cleanly(ansible_playbook, emulator):
    result = ansible_playbook(EXAMPLE, env=NO_ENV, expect_rc=2)
    assert "no credentials" in result.stdout
    assert emulator.writes() == []
