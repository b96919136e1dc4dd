# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers shared by the packaging / metadata tests (tests/meta)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

REPO_ROOT = Path(__file__).resolve().parents[2]
FQ = "nanocosmos.bintu"
GROUP = "%s.bintu" % FQ
CREDENTIAL_TYPE = REPO_ROOT / "docs" / "awx" / "credential_type.yml"


def load_yaml(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def module_names():
    """Short names of the modules shipped in plugins/modules."""
    return sorted(p.stem for p in (REPO_ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__")


def venv_tool(name):
    """A console script of the running interpreter's environment (the venv under test)."""
    return str(Path(sys.executable).parent / name)


def render_awx_env(credential_type, inputs):
    """Environment AWX injects for a credential with ``inputs`` (a dict of input id -> value).

    Mirrors AWX: inputs left empty are absent from the template namespace and
    render as an empty string, while the variable itself is still set.
    """
    namespace = {key: value for key, value in inputs.items() if value not in (None, "")}
    for field in credential_type["inputs"]["fields"]:
        if field["id"] not in inputs and "default" in field:
            namespace[field["id"]] = field["default"]
    sandbox = ImmutableSandboxedEnvironment()
    return {var: sandbox.from_string(template).render(**namespace)
            for var, template in credential_type["injectors"].get("env", {}).items()}


def ansible_doc_json(plugin_type, names):
    """``ansible-doc --json -t <type>`` for the given short names of this collection: {name: doc}."""
    fqcns = ["%s.%s" % (FQ, name) for name in names]
    proc = subprocess.run([venv_tool("ansible-doc"), "--json", "-t", plugin_type] + fqcns,
                          capture_output=True, text=True, check=False, env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
    if proc.returncode != 0:
        raise AssertionError("ansible-doc failed:\n%s\n%s" % (proc.stdout[-2000:], proc.stderr[-4000:]))
    data = json.loads(proc.stdout)
    missing = [f for f in fqcns if f not in data]
    if missing:
        raise AssertionError("ansible-doc did not document %s" % missing)
    return {fqcn.rsplit(".", 1)[1]: data[fqcn]["doc"] for fqcn in fqcns}


class _SpecCaptured(Exception):
    def __init__(self, argument_spec):
        super().__init__("argument spec captured")
        self.argument_spec = argument_spec


def module_argument_spec(name):
    """The argument_spec a module hands to AnsibleModule, captured without running the module."""
    import importlib  # pylint: disable=import-outside-toplevel
    from unittest import mock  # pylint: disable=import-outside-toplevel

    from ansible.module_utils import basic  # pylint: disable=import-outside-toplevel

    def capture(self, argument_spec=None, **kwargs):  # pylint: disable=unused-argument
        raise _SpecCaptured(argument_spec)

    module = importlib.import_module("ansible_collections.nanocosmos.bintu.plugins.modules.%s" % name)
    with mock.patch.object(basic.AnsibleModule, "__init__", capture):
        try:
            module.main()
        except _SpecCaptured as captured:
            return captured.argument_spec
    raise AssertionError("%s.main() never created an AnsibleModule" % name)


def env_fallbacks(argument_spec):
    """{option: [environment variable names]} for options with an env_fallback."""
    from ansible.module_utils.basic import env_fallback  # pylint: disable=import-outside-toplevel

    found = {}
    for option, spec in argument_spec.items():
        fallback = spec.get("fallback")
        if fallback and fallback[0] is env_fallback:
            found[option] = list(fallback[1])
    return found
