# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module is in the ``bintu`` action group, so ``module_defaults: group/nanocosmos.bintu.bintu`` reaches it."""

import re
from pathlib import Path

from meta_helpers import GROUP, REPO_ROOT, load_yaml

ACTION_GROUP = "bintu"


def action_group_problems(module_names, runtime):
    """Differences between the modules on disk and meta/runtime.yml's ``bintu`` action group."""
    group = (runtime.get("action_groups") or {}).get(ACTION_GROUP)
    if not isinstance(group, list):
        return ["meta/runtime.yml has no action group %r" % ACTION_GROUP]
    entries = [entry for entry in group if isinstance(entry, str)]
    problems = ["module %s is missing from action group %s" % (name, ACTION_GROUP)
                for name in module_names if name not in entries]
    problems += ["action group %s lists %s, which is not a module in plugins/modules" % (ACTION_GROUP, entry)
                 for entry in entries if entry not in module_names]
    if len(entries) != len(set(entries)):
        problems.append("action group %s has duplicate entries" % ACTION_GROUP)
    if any(not isinstance(entry, str) for entry in group):
        problems.append("action group %s has entries that are not module names" % ACTION_GROUP)
    return problems


def test_every_module_is_in_the_action_group(modules, runtime):
    assert action_group_problems(modules, runtime) == []


def test_the_check_notices_a_missing_module(runtime):
    """The check above would fail for a module added without a runtime.yml entry."""
    assert action_group_problems(["bintu_stream", "bintu_brand_new"], {"action_groups": {"bintu": ["bintu_stream"]}}) \
        == ["module bintu_brand_new is missing from action group bintu"]
    assert action_group_problems(["bintu_stream"], {"action_groups": {"bintu": ["bintu_stream", "bintu_gone"]}}) \
        == ["action group bintu lists bintu_gone, which is not a module in plugins/modules"]
    assert action_group_problems(["bintu_stream"], {}) == ["meta/runtime.yml has no action group 'bintu'"]


def test_module_docs_declare_the_group(module_docs):
    """``ansible-doc`` tells users which group each module belongs to."""
    for name, doc in module_docs.items():
        attribute = (doc.get("attributes") or {}).get("action_group")
        assert attribute, "%s: DOCUMENTATION has no attributes.action_group" % name
        assert attribute.get("support") == "full", name
        assert GROUP in attribute.get("membership", []), "%s: action_group membership lacks %s" % (name, GROUP)


def test_requires_ansible_matches_the_oldest_core_under_test(runtime):
    """requires_ansible's lower bound is the ansible-core minor that `make test` runs as its oldest."""
    lower = re.match(r"^>=\s*(\d+\.\d+)", runtime["requires_ansible"])
    assert lower, runtime["requires_ansible"]
    pins = Path(REPO_ROOT, "tools", "requirements-2.18.txt").read_text(encoding="utf-8")
    tested = re.search(r"^ansible-core==(\d+\.\d+)\.\d+", pins, re.M)
    assert tested and tested.group(1) == lower.group(1)


def test_runtime_yml_loads_and_has_no_stray_keys():
    runtime = load_yaml(REPO_ROOT / "meta" / "runtime.yml")
    assert set(runtime) <= {"requires_ansible", "action_groups", "plugin_routing", "import_redirection"}
