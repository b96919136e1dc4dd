# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the packaging / metadata tests (tests/meta).

These tests look at the collection as its users' tools do: AWX credential
injection, ``module_defaults`` action groups, ansible-runner, ansible-builder,
ansible-doc.  ``tests/conftest.py`` (loaded first) has already made the
collection importable and exported ``ANSIBLE_COLLECTIONS_PATH``.
"""

import pytest

from meta_helpers import CREDENTIAL_TYPE, REPO_ROOT, ansible_doc_json, load_yaml, module_names


@pytest.fixture(scope="session")
def credential_type():
    return load_yaml(CREDENTIAL_TYPE)


@pytest.fixture(scope="session")
def runtime():
    return load_yaml(REPO_ROOT / "meta" / "runtime.yml")


@pytest.fixture(scope="session")
def modules():
    names = module_names()
    if not names:
        pytest.fail("plugins/modules has no modules")
    return names


@pytest.fixture(scope="session")
def module_docs(modules):
    """``ansible-doc --json`` of every module: {short name: doc dict} (doc fragments merged)."""
    return ansible_doc_json("module", modules)
