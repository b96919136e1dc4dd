# Copyright (c) nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Execution environments: meta/execution-environment.yml and the execution-environment.yml example.

ansible-builder cannot build an image here (no container engine), but
``ansible-builder create`` writes the complete build context and
``ansible-builder introspect`` reports what an image would install for the
collection; both run against the real collection tarball.
"""

import re
import shutil
import subprocess
import tarfile

import pytest
import yaml

from meta_helpers import REPO_ROOT, load_yaml, venv_tool

EE_EXAMPLE = REPO_ROOT / "execution-environment.yml"
EE_META = REPO_ROOT / "meta" / "execution-environment.yml"


def requirement_names(lines):
    names = set()
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(re.split(r"[<>=!~;\[ ]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


@pytest.fixture(scope="module")
def galaxy():
    return load_yaml(REPO_ROOT / "galaxy.yml")


@pytest.fixture(scope="module")
def tarball(tmp_path_factory, galaxy):
    """The collection tarball, built with ansible-galaxy from the working tree."""
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([venv_tool("ansible-galaxy"), "collection", "build", "--output-path", str(out), str(REPO_ROOT)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    path = out / ("%s-%s-%s.tar.gz" % (galaxy["namespace"], galaxy["name"], galaxy["version"]))
    assert path.exists(), list(out.iterdir())
    return path


def test_meta_execution_environment_points_at_shipped_requirements(tarball):
    meta = load_yaml(EE_META)
    assert meta["version"] in (1, 3)
    python_deps = meta["dependencies"]["python"]
    assert isinstance(python_deps, str), "meta/execution-environment.yml should name a requirements file"
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
        assert python_deps in names, "%s is not in the tarball" % python_deps
        shipped = tar.extractfile(python_deps).read().decode("utf-8").splitlines()
    # the modules use the Python standard library only: nothing to install besides ansible-core
    assert requirement_names(shipped) == set()
    assert requirement_names((REPO_ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()) == set()


def test_example_installs_this_version_of_the_collection(galaxy):
    example = load_yaml(EE_EXAMPLE)
    assert example["version"] == 3
    deps = example["dependencies"]
    tarball_name = "%s-%s-%s.tar.gz" % (galaxy["namespace"], galaxy["name"], galaxy["version"])
    collections = deps["galaxy"]["collections"]
    assert [c["type"] for c in collections] == ["file"]
    assert collections[0]["name"].endswith("/" + tarball_name)
    sources = [entry["src"] for entry in example["additional_build_files"]]
    assert "dist/" + tarball_name in sources
    assert (REPO_ROOT / deps["python"]).is_file()
    core = deps["ansible_core"]["package_pip"]
    assert "2.18" in core and "ansible-core" in core


def test_ansible_builder_creates_the_build_context(tmp_path, tarball):
    """The example is valid for ansible-builder 3 and wires the tarball and requirements in."""
    work = tmp_path / "ee"
    (work / "dist").mkdir(parents=True)
    shutil.copy(EE_EXAMPLE, work / "execution-environment.yml")
    shutil.copy(REPO_ROOT / "requirements.txt", work / "requirements.txt")
    shutil.copy(tarball, work / "dist" / tarball.name)
    proc = subprocess.run([venv_tool("ansible-builder"), "create", "-f", "execution-environment.yml",
                           "-c", "context", "--output-filename", "Containerfile"],
                          cwd=str(work), capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    context = work / "context"
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    assert "ansible-galaxy collection install" in containerfile
    assert (context / "_build" / "collections" / tarball.name).is_file()
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text(encoding="utf-8"))
    in_image = requirements["collections"][0]["name"]
    # the galaxy stage copies _build/ to /build and installs from there
    assert "COPY _build /build" in containerfile
    assert in_image == "/build/collections/%s" % tarball.name
    built = context / "_build" / "requirements.txt"
    if built.exists():
        assert requirement_names(built.read_text(encoding="utf-8").splitlines()) == set()


def test_ansible_builder_introspection_finds_no_python_requirement(tmp_path, tarball):
    """What an image build collects from the installed collection (meta/execution-environment.yml): nothing."""
    inst = tmp_path / "collections"
    proc = subprocess.run([venv_tool("ansible-galaxy"), "collection", "install", "--no-deps", "--force", "-p", str(inst),
                           str(tarball)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = subprocess.run([venv_tool("ansible-builder"), "introspect", str(inst)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    python = yaml.safe_load(proc.stdout)["python"]
    ours = [line for line in python or [] if line.endswith("# from collection nanocosmos.bintu")]
    assert ours == [], "the collection needs no Python package: %s" % proc.stdout
