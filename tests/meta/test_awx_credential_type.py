# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX custom credential type (docs/awx/credential_type.yml) fits AWX and the modules."""

import re

import pytest
from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from meta_helpers import REPO_ROOT, env_fallbacks, module_argument_spec, render_awx_env

EXPECTED_ENV = {"BINTU_API_KEY", "BINTU_API_TOKEN", "BINTU_API_URL"}
SECRET_INPUTS = {"api_key", "api_token"}
# keys AWX accepts in an input field definition
FIELD_KEYS = {"id", "label", "type", "secret", "multiline", "help_text", "format", "choices", "default", "ask_at_runtime"}
# variables AWX refuses to let a credential inject (or that would break the job)
AWX_RESERVED_ENV = {"PATH", "PYTHONPATH", "VIRTUAL_ENV", "HOME", "JOB_ID", "INVENTORY_ID", "PROJECT_REVISION",
                    "INVENTORY_HOSTNAME", "AWX_HOST", "PROOT_TMP_DIR", "JOB_LAUNCH_TYPE", "CALLBACK_QUEUE",
                    "CALLBACK_CONNECTION", "CACHE", "JOB_CALLBACK_DEBUG", "INVENTORY_UPDATE_ID"}


@pytest.fixture(scope="module")
def module_env(modules):
    """{module: {option: [env vars]}} from each module's argument spec (env_fallback)."""
    return {name: env_fallbacks(module_argument_spec(name)) for name in modules}


def test_credential_type_shape(credential_type):
    assert set(credential_type) >= {"name", "kind", "inputs", "injectors"}
    assert credential_type["kind"] == "cloud"
    assert credential_type["name"].strip()
    fields = credential_type["inputs"]["fields"]
    ids = [field["id"] for field in fields]
    assert len(ids) == len(set(ids)), "duplicate input ids: %s" % ids
    for field in fields:
        assert set(field) <= FIELD_KEYS, "unknown keys in input %s: %s" % (field["id"], set(field) - FIELD_KEYS)
        assert re.match(r"^[a-z_][a-z0-9_]*$", field["id"]), field["id"]
        assert field["type"] in ("string", "boolean")
        assert field["label"].strip()
        assert field.get("help_text", "x").strip()
        assert bool(field.get("secret", False)) == (field["id"] in SECRET_INPUTS), \
            "input %s: secret must be %s" % (field["id"], field["id"] in SECRET_INPUTS)
    assert set(ids) == {"api_url", "api_key", "api_token"}
    assert set(credential_type["inputs"].get("required", [])) <= set(ids)
    # key and token are alternatives: neither may be required
    assert not SECRET_INPUTS & set(credential_type["inputs"].get("required", []))


def test_injectors_are_env_only_and_use_declared_inputs(credential_type):
    injectors = credential_type["injectors"]
    # secrets in extra_vars would show up in job output and the job's extra vars
    assert set(injectors) == {"env"}
    assert set(injectors["env"]) == EXPECTED_ENV
    ids = {field["id"] for field in credential_type["inputs"]["fields"]}
    env = ImmutableSandboxedEnvironment()
    used = set()
    for var, template in injectors["env"].items():
        assert var not in AWX_RESERVED_ENV and not var.startswith("ANSIBLE_"), var
        names = meta.find_undeclared_variables(env.parse(template))
        assert len(names) == 1 and names <= ids, "%s: %r must reference exactly one input" % (var, template)
        used |= names
    assert used == ids, "inputs never injected: %s" % (ids - used)


def test_injected_variables_are_exactly_those_the_modules_read(credential_type, module_env):
    injected = set(credential_type["injectors"]["env"])
    read = set()
    for name, options in module_env.items():
        per_module = {var for variables in options.values() for var in variables}
        assert per_module == EXPECTED_ENV, "%s reads %s from the environment" % (name, sorted(per_module))
        read |= per_module
    assert injected == read


def test_each_variable_feeds_the_option_of_the_same_name(credential_type, module_env, modules):
    """Input ``api_key`` -> BINTU_API_KEY -> module option ``api_key``, and so on; secrets stay no_log."""
    env = ImmutableSandboxedEnvironment()
    input_of_var = {var: next(iter(meta.find_undeclared_variables(env.parse(template))))
                    for var, template in credential_type["injectors"]["env"].items()}
    secret_inputs = {field["id"] for field in credential_type["inputs"]["fields"] if field.get("secret")}
    for name in modules:
        spec = module_argument_spec(name)
        for option, variables in module_env[name].items():
            for var in variables:
                assert input_of_var[var] == option, \
                    "%s: option %s reads %s, which the credential fills from input %s" % (
                        name, option, var, input_of_var[var])
            if option in secret_inputs:
                assert spec[option].get("no_log") is True, "%s: option %s must be no_log" % (name, option)
                assert spec[option].get("default") is None


def test_module_docs_name_the_variables(module_docs, module_env):
    """ansible-doc tells users which variable feeds which option (E(...) markup)."""
    for name, options in module_env.items():
        for option, variables in options.items():
            text = " ".join(module_docs[name]["options"][option]["description"])
            for var in variables:
                assert "E(%s)" % var in text, "%s: docs of %s do not mention E(%s)" % (name, option, var)


@pytest.mark.parametrize("inputs, expected", [
    ({"api_url": "https://bintu.example", "api_key": "k1"},
     {"BINTU_API_URL": "https://bintu.example", "BINTU_API_KEY": "k1", "BINTU_API_TOKEN": ""}),
    ({"api_token": "t1"},
     {"BINTU_API_URL": "https://bintu.nanocosmos.de", "BINTU_API_KEY": "", "BINTU_API_TOKEN": "t1"}),
])
def test_rendered_injection(credential_type, inputs, expected):
    """What a job gets: the variable of the unused secret is set, but empty."""
    assert render_awx_env(credential_type, inputs) == expected


def test_guide_describes_this_credential_type(credential_type):
    guide = (REPO_ROOT / "docs" / "awx" / "README.md").read_text(encoding="utf-8")
    assert credential_type["name"] in guide
    for field in credential_type["inputs"]["fields"]:
        assert "`%s`" % field["id"] in guide
    for var in credential_type["injectors"]["env"]:
        assert "`%s`" % var in guide
