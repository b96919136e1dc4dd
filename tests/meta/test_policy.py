# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Quality bar of the repository: no sanity ignores, no skipped lint rules, clean artifacts."""

import re
import subprocess

from meta_helpers import REPO_ROOT, load_yaml

LINT_CONFIGS = (".ansible-lint", ".ansible-lint.yml", ".ansible-lint.yaml", ".config/ansible-lint.yml",
                ".config/ansible-lint.yaml")


def repo_files(pattern):
    """Working-tree files matching a glob, without virtualenvs and tool output."""
    skip = (".venv", ".git", ".ansible", ".pytest_cache", "tests/output", "build", "dist")
    return [p for p in REPO_ROOT.glob(pattern)
            if not any(str(p.relative_to(REPO_ROOT)).startswith(s) for s in skip)]


def test_no_sanity_ignore_files():
    assert repo_files("tests/sanity/ignore-*.txt") == []


def test_no_lint_rule_is_skipped():
    for name in LINT_CONFIGS:
        path = REPO_ROOT / name
        if path.exists():
            config = load_yaml(path) or {}
            for key in ("skip_list", "warn_list", "mock_modules", "mock_roles"):
                assert not config.get(key), "%s sets %s" % (name, key)
            # only task-list fixtures of the integration tests may be left out, never collection content
            for excluded in config.get("exclude_paths") or []:
                assert excluded.startswith("tests/integration/playbooks/"), "%s excludes %s" % (name, excluded)
    for name in (".ansible-lint-ignore", ".config/ansible-lint-ignore.txt"):
        assert not (REPO_ROOT / name).exists(), "%s lists ignored violations" % name
    offenders = []
    for path in repo_files("**/*.yml") + repo_files("**/*.yaml") + repo_files("**/*.j2"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"#\s*noqa\b", line):
                offenders.append("%s:%d" % (path.relative_to(REPO_ROOT), number))
    assert offenders == [], "ansible-lint rules skipped inline: %s" % offenders


def test_build_ignores_development_files():
    ignored = set(load_yaml(REPO_ROOT / "galaxy.yml")["build_ignore"])
    assert {".ansible", ".ci", ".git", ".venv", ".venv-*", "Makefile", "tools", "tests/output",
            "execution-environment.yml"} <= ignored


def test_git_ignores_tool_output():
    if not (REPO_ROOT / ".git").exists():
        return
    probes = [".ansible/x", ".venv/x", ".venv-2.18/x", "tests/output/x", "tests/integration/inventory"]
    proc = subprocess.run(["git", "check-ignore", "--no-index"] + probes, cwd=str(REPO_ROOT),
                          capture_output=True, text=True, check=False)
    assert sorted(proc.stdout.split()) == sorted(probes)
