"""Quality pipeline of the nanocosmos.bintu collection (what ``make test`` runs).

Usage: ``python tools/pipeline.py [STAGE ...]`` (no stage = every stage).

Each stage runs in the virtual environments built by ``make venv`` (``.venv``
with ansible-core 2.19 and the whole toolchain, ``.venv-2.18`` with
ansible-core 2.18 and the test dependencies).  Stages always run in the
canonical order below, whatever order they are named in.  A failing stage does
not stop the run; the table of stage -> status -> seconds is printed at the
end and the exit status is non-zero if any stage failed.

Environment knobs:
  PIPELINE_KEEP_WORK=1        keep the temporary work tree (copy, tarball, logs)
  PIPELINE_STAGE_TIMEOUT=S    per-stage time limit in seconds (default 1500)
  PYTEST_WORKERS=N            pytest-xdist workers (default: auto)
  PYTEST_ARGS="..."           extra arguments for the pytest stages
"""

import glob
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMESPACE = 'nanocosmos'
NAME = 'bintu'
FQ = '%s.%s' % (NAMESPACE, NAME)
PYTHON_VERSION = '3.11'

VENVS = {
    '2.19': os.path.join(ROOT, '.venv'),
    '2.18': os.path.join(ROOT, '.venv-2.18'),
}
DEFAULT_CORE = '2.19'

# Directories that are never part of the staged copy of the collection.
EXCLUDED_TOP = {'.git', '.ansible', '.pytest_cache', 'build', 'dist', 'tests/output'}
EXCLUDED_ANY = {'__pycache__'}
EXCLUDED_PREFIXES = ('.venv',)

PYTEST_SUITES = ['tests/unit', 'tests/emulator/tests', 'tests/meta', 'tests/integration']


class StageFailed(Exception):
    """A stage found a problem (the message says which)."""


def log(text=''):
    sys.stdout.write(text + '\n')
    sys.stdout.flush()


def venv_bin(core, tool):
    return os.path.join(VENVS[core], 'bin', tool)


def stage_env(core):
    env = dict(os.environ)
    if core is None:
        return env
    venv = VENVS[core]
    env['VIRTUAL_ENV'] = venv
    env['PATH'] = os.path.join(venv, 'bin') + os.pathsep + env.get('PATH', '')
    env.pop('PYTHONPATH', None)
    env.pop('PYTHONHOME', None)
    env.pop('ANSIBLE_COLLECTIONS_PATH', None)
    env.pop('ANSIBLE_COLLECTIONS_PATHS', None)
    env.setdefault('ANSIBLE_NOCOLOR', '1')
    env.setdefault('PY_COLORS', '0')
    env['PYTHONDONTWRITEBYTECODE'] = '1'
    return env


def run(cmd, core=DEFAULT_CORE, cwd=ROOT, env=None, capture=False, check=True):
    """Run a command with a venv's bin first on PATH; stream or capture output."""
    full_env = stage_env(core)
    if env:
        full_env.update(env)
    shown = ['<script>' if '\n' in str(c) else shlex.quote(str(c)) for c in cmd]
    log('$ ' + ' '.join(shown) + ('' if cwd == ROOT else '   (in %s)' % cwd))
    timeout = float(os.environ.get('PIPELINE_STAGE_TIMEOUT', '1500'))
    proc = subprocess.Popen(  # pylint: disable=consider-using-with
        [str(c) for c in cmd], cwd=cwd, env=full_env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if capture else None, stderr=subprocess.STDOUT if capture else None,
        start_new_session=True, text=True,
    )
    try:
        out, dummy = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        raise StageFailed('%s timed out after %d s' % (cmd[0], timeout)) from None
    if capture and out:
        sys.stdout.write(out)
        sys.stdout.flush()
    if check and proc.returncode != 0:
        raise StageFailed('%s exited with %d' % (os.path.basename(str(cmd[0])), proc.returncode))
    return proc.returncode, out or ''


def require_venv(core):
    python = venv_bin(core, 'python')
    if not os.path.exists(python):
        raise StageFailed('virtualenv %s is missing: run `make venv` first' % VENVS[core])


def ensure_get_pip(core):
    """Install the offline stand-in for ansible-test's pip bootstrap script.

    ansible-test bootstraps pip in its private venvs from
    ~/.ansible/test/cache/get_pip_<X_Y>.py, which it would otherwise download
    from a host outside the package registries.  The pip version is read from
    the installed ansible-test so this follows ansible-core upgrades.
    """
    require_venv(core)
    code = ('import ansible_test, os; '
            'print(os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py"))')
    dummy, path = run([venv_bin(core, 'python'), '-c', code], core=core, capture=True)
    with open(path.strip(), encoding='utf-8') as handle:
        match = re.search(r"pip='([0-9.]+)'", handle.read())
    if not match:
        raise StageFailed('cannot find the pip version ansible-test %s bootstraps' % core)
    version = match.group(1)
    cache = os.path.expanduser('~/.ansible/test/cache')
    os.makedirs(cache, exist_ok=True)
    wheel = os.path.join(cache, 'pip-%s-py3-none-any.whl' % version)
    if not os.path.exists(wheel):
        run([venv_bin(core, 'python'), '-m', 'pip', 'download', '-q', '--no-deps', '--only-binary=:all:',
             '-d', cache, 'pip==%s' % version], core=core)
    target = os.path.join(cache, 'get_pip_%s.py' % version.replace('.', '_'))
    shutil.copyfile(os.path.join(ROOT, '.ci', 'get_pip_shim.py'), target)


def list_repo_files():
    """Files that make up the working tree: tracked + untracked, minus ignored."""
    if os.path.isdir(os.path.join(ROOT, '.git')) and shutil.which('git'):
        out = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
                             cwd=ROOT, check=True, capture_output=True).stdout.decode('utf-8')
        names = sorted(set(n for n in out.split('\0') if n))
    else:
        names = []
        for dirpath, dirnames, filenames in os.walk(ROOT):
            rel = os.path.relpath(dirpath, ROOT)
            rel = '' if rel == '.' else rel
            dirnames[:] = [d for d in dirnames if not excluded(os.path.join(rel, d))]
            names.extend(os.path.join(rel, f) for f in filenames)
    return [n for n in names if not excluded(n) and os.path.lexists(os.path.join(ROOT, n))]


def excluded(relpath):
    parts = relpath.split(os.sep)
    if parts[0].startswith(EXCLUDED_PREFIXES):
        return True
    if any(p in EXCLUDED_ANY for p in parts):
        return True
    return any(relpath == top or relpath.startswith(top + os.sep) for top in EXCLUDED_TOP)


class Pipeline:
    """Runs stages, times them, and prints the summary table."""

    def __init__(self):
        self.results = []
        self._work = None
        self._copy = None
        self._tarball = None

    # -- shared state -------------------------------------------------

    @property
    def work(self):
        if self._work is None:
            self._work = tempfile.mkdtemp(prefix='bintu-pipeline-')
            log('work tree: %s' % self._work)
        return self._work

    def copy(self):
        """The collection copied (not symlinked) to <tmp>/ansible_collections/nanocosmos/bintu."""
        if self._copy is None:
            dest = os.path.join(self.work, 'ansible_collections', NAMESPACE, NAME)
            os.makedirs(dest)
            files = list_repo_files()
            # `cp -a --parents`: a real copy keeping modes, times and symlinks (ansible-test
            # refuses a symlinked collection root)
            for start in range(0, len(files), 500):
                subprocess.run(['cp', '-a', '--parents', '-t', dest, '--'] + files[start:start + 500],
                               cwd=ROOT, check=True)
            log('copied %d files (cp -a) to %s' % (len(files), dest))
            self._copy = dest
        return self._copy

    def cleanup(self):
        if self._work and not os.environ.get('PIPELINE_KEEP_WORK'):
            shutil.rmtree(self._work, ignore_errors=True)
        elif self._work:
            log('work tree kept: %s' % self._work)

    # -- stages -------------------------------------------------------

    def stage_venv(self):
        """Create or refresh both virtualenvs (a no-op when their stamps are current)."""
        run([os.environ.get('PIPELINE_MAKE', 'make'), '--no-print-directory', '-C', ROOT, 'venv'], core=None)

    def stage_pytest(self):
        """pytest on ansible-core 2.19: unit, emulator, meta and integration suites."""
        self._pytest(DEFAULT_CORE, PYTEST_SUITES)

    def stage_integration_219(self):
        self._pytest('2.19', ['tests/integration'])

    def stage_integration_218(self):
        self._pytest('2.18', ['tests/integration'])

    def _pytest(self, core, suites):
        require_venv(core)
        present = [s for s in suites if os.path.isdir(os.path.join(ROOT, s))]
        missing = [s for s in suites if s not in present]
        if missing:
            log('note: not present yet: %s' % ', '.join(missing))
        if not present:
            raise StageFailed('no test suite found (%s)' % ', '.join(suites))
        workers = os.environ.get('PYTEST_WORKERS', 'auto')
        cmd = [venv_bin(core, 'python'), '-m', 'pytest', '-p', 'no:cacheprovider', '-ra', '--durations=20']
        if workers not in ('0', ''):
            # loadscope: a module's tests share one worker, so module-scoped fixtures
            # (several integration modules run their playbooks once per module) run once
            cmd += ['-n', workers, '--dist', 'loadscope']
        cmd += shlex.split(os.environ.get('PYTEST_ARGS', '')) + present
        run(cmd, core=core)

    def _sanity(self, core):
        ensure_get_pip(core)
        copy = self.copy()
        ignores = glob.glob(os.path.join(copy, 'tests', 'sanity', 'ignore-*.txt'))
        if ignores:
            raise StageFailed('sanity ignore files are not allowed: %s' % ', '.join(
                os.path.relpath(p, copy) for p in ignores))
        run([venv_bin(core, 'ansible-test'), 'sanity', '--python', PYTHON_VERSION, '--requirements'],
            core=core, cwd=copy)

    def stage_sanity_219(self):
        self._sanity('2.19')

    def stage_sanity_218(self):
        self._sanity('2.18')

    def _units(self, core):
        ensure_get_pip(core)
        copy = self.copy()
        tests = glob.glob(os.path.join(copy, 'tests', 'unit', '**', 'test_*.py'), recursive=True)
        if not tests:
            raise StageFailed('no unit tests under tests/unit')
        run([venv_bin(core, 'ansible-test'), 'units', '--python', PYTHON_VERSION, '--requirements'],
            core=core, cwd=copy)

    def stage_units_219(self):
        self._units('2.19')

    def stage_units_218(self):
        self._units('2.18')

    def stage_ansible_lint(self):
        require_venv(DEFAULT_CORE)
        # A fresh copy: ansible-lint installs the project into <project>/.ansible,
        # which must never be swept into sanity or the build.
        copy = self.copy()
        run([venv_bin(DEFAULT_CORE, 'ansible-lint'), '--profile', 'production', '--strict', '--project-dir', copy],
            cwd=copy)

    def stage_changelog_lint(self):
        require_venv(DEFAULT_CORE)
        run([venv_bin(DEFAULT_CORE, 'antsibull-changelog'), 'lint'], cwd=self.copy())
        code = ('import glob, os, yaml\n'
                'data = yaml.safe_load(open("changelogs/changelog.yaml")) or {}\n'
                'known = {f for r in (data.get("releases") or {}).values() for f in r.get("fragments", [])}\n'
                'on_disk = {os.path.basename(p) for p in glob.glob("changelogs/fragments/*.y*ml")}\n'
                'print(" ".join(sorted(on_disk - known)))\n')
        dummy, pending = run([venv_bin(DEFAULT_CORE, 'python'), '-c', code], cwd=self.copy(), capture=True)
        if pending.strip():
            log('NOTE: fragments not yet in changelogs/changelog.yaml / CHANGELOG.rst: %s '
                '(run `make changelog`)' % pending.strip())

    def stage_docs_lint(self):
        require_venv(DEFAULT_CORE)
        run([venv_bin(DEFAULT_CORE, 'antsibull-docs'), 'lint-collection-docs', '--plugin-docs', '.'],
            cwd=self.copy())

    def stage_build(self):
        """Build the tarball, install it into a temp path, ansible-doc every module from there."""
        require_venv(DEFAULT_CORE)
        dist = os.path.join(self.work, 'dist')
        inst = os.path.join(self.work, 'installed')
        run([venv_bin(DEFAULT_CORE, 'ansible-galaxy'), 'collection', 'build', '--force', '--output-path', dist],
            cwd=self.copy())
        tarballs = glob.glob(os.path.join(dist, '%s-%s-*.tar.gz' % (NAMESPACE, NAME)))
        if len(tarballs) != 1:
            raise StageFailed('expected one tarball in %s, found %d' % (dist, len(tarballs)))
        self._tarball = tarballs[0]
        check_tarball(self._tarball)
        run([venv_bin(DEFAULT_CORE, 'ansible-galaxy'), 'collection', 'install', '--no-deps', '--force',
             '-p', inst, self._tarball])
        coll = os.path.join(inst, 'ansible_collections', NAMESPACE, NAME)
        modules = sorted(os.path.splitext(os.path.basename(p))[0]
                         for p in glob.glob(os.path.join(coll, 'plugins', 'modules', '*.py'))
                         if not p.endswith('__init__.py'))
        if not modules:
            raise StageFailed('the installed collection has no modules')
        env = {'ANSIBLE_COLLECTIONS_PATH': inst}
        dummy, listing = run([venv_bin(DEFAULT_CORE, 'ansible-doc'), '-t', 'module', '-l', FQ],
                             env=env, capture=True)
        for module in modules:
            fqcn = '%s.%s' % (FQ, module)
            if fqcn not in listing:
                raise StageFailed('ansible-doc -l does not list %s' % fqcn)
            dummy, text = run([venv_bin(DEFAULT_CORE, 'ansible-doc'), '-t', 'module', fqcn], env=env, capture=True)
            if 'OPTIONS' not in text or 'EXAMPLES' not in text or 'RETURN VALUES' not in text:
                raise StageFailed('ansible-doc output of %s lacks OPTIONS, EXAMPLES or RETURN VALUES' % fqcn)
        roles = sorted(os.path.basename(os.path.dirname(os.path.dirname(p)))
                       for p in glob.glob(os.path.join(coll, 'roles', '*', 'meta', 'argument_specs.yml')))
        for role in roles:
            run([venv_bin(DEFAULT_CORE, 'ansible-doc'), '-t', 'role', '%s.%s' % (FQ, role)], env=env)
        log('ansible-doc OK for %d module(s) and %d role(s) from the installed tarball' % (len(modules), len(roles)))

    def stage_galaxy_importer(self):
        require_venv(DEFAULT_CORE)
        if self._tarball is None:
            self.stage_build()
        cfg = os.path.join(self.work, 'galaxy-importer.cfg')
        with open(cfg, 'w', encoding='utf-8') as handle:
            handle.write('[galaxy-importer]\nRUN_ANSIBLE_DOC = True\nRUN_ANSIBLE_LINT = True\n'
                         'RUN_ANSIBLE_TEST = False\nRUN_FLAKE8 = False\nCHECK_REQUIRED_TAGS = False\n')
        # cwd: the importer writes importer_result.json into the current directory
        dummy, out = run([venv_bin(DEFAULT_CORE, 'python'), '-m', 'galaxy_importer.main', self._tarball],
                         cwd=self.work, env={'GALAXY_IMPORTER_CONFIG': cfg}, capture=True, check=False)
        problems = [line for line in out.splitlines() if re.match(r'^\s*(ERROR|WARNING)\b', line)
                    and 'is ignored: it is neither a file nor a directory' not in line]
        if dummy != 0:
            raise StageFailed('galaxy-importer exited with %d' % dummy)
        if problems:
            raise StageFailed('galaxy-importer reported %d error(s)/warning(s):\n  %s'
                              % (len(problems), '\n  '.join(problems)))

    def stage_bench_smoke(self):
        require_venv(DEFAULT_CORE)
        bench = os.path.join(ROOT, 'tests', 'benchmark', 'bench.py')
        if not os.path.exists(bench):
            return 'absent (tests/benchmark/bench.py not written yet)'
        run([venv_bin(DEFAULT_CORE, 'python'), bench, '--smoke'])
        return None

    # -- driver -------------------------------------------------------

    def execute(self, names):
        for name in names:
            label, method = STAGES[name]
            log('')
            log('=' * 78)
            log('== stage %s: %s' % (name, label))
            log('=' * 78)
            start = time.monotonic()
            status, note = 'ok', ''
            try:
                result = getattr(self, method)()
                if result:
                    status, note = 'skipped', result
            except StageFailed as exc:
                status, note = 'FAILED', str(exc)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                status, note = 'FAILED', '%s: %s' % (type(exc).__name__, exc)
            elapsed = time.monotonic() - start
            if status == 'FAILED':
                log('!! stage %s FAILED: %s' % (name, note))
            self.results.append((name, status, elapsed, note))
        self.summary()
        return 1 if any(r[1] == 'FAILED' for r in self.results) else 0

    def summary(self):
        width = max([len(r[0]) for r in self.results] + [5])
        log('')
        log('Stage timings')
        log('-' * (width + 24))
        row = '{:<%d}  {:<8}  {:>9}' % width
        log(row.format('stage', 'status', 'seconds'))
        log('-' * (width + 24))
        total = 0.0
        for name, status, elapsed, note in self.results:
            total += elapsed
            log(row.format(name, status, '%.1f' % elapsed))
        log('-' * (width + 24))
        log(row.format('total', '', '%.1f' % total))
        for name, status, elapsed, note in self.results:
            if status != 'ok':
                log('%s: %s' % (name, note.splitlines()[0] if note else status))
        failed = sum(1 for r in self.results if r[1] == 'FAILED')
        log('%d of %d stages failed' % (failed, len(self.results)) if failed
            else 'all %d stages succeeded' % len(self.results))


def check_tarball(path):
    """The built artifact must not carry development clutter or sanity ignores."""
    with tarfile.open(path) as tar:
        names = tar.getnames()
    bad = [n for n in names
           if re.match(r'^(\.venv|\.ansible/|\.ci/|\.git/|tests/output/|tests/sanity/ignore-)', n)
           or '__pycache__' in n or n.endswith('.pyc')]
    if bad:
        raise StageFailed('tarball contains files that must not ship: %s' % ', '.join(bad[:10]))
    for required in ('MANIFEST.json', 'FILES.json', 'meta/runtime.yml', 'README.md'):
        if required not in names:
            raise StageFailed('tarball lacks %s' % required)
    log('tarball %s: %d entries, %.1f kB' % (os.path.basename(path), len(names), os.path.getsize(path) / 1024.0))


# name -> (description, method); the order here is the order stages run in.
STAGES = {
    'venv': ('virtualenvs .venv (2.19 + tools) and .venv-2.18', 'stage_venv'),
    'pytest': ('pytest, ansible-core 2.19: unit + emulator + meta + integration', 'stage_pytest'),
    'sanity-2.19': ('ansible-test sanity, ansible-core 2.19', 'stage_sanity_219'),
    'units-2.19': ('ansible-test units, ansible-core 2.19', 'stage_units_219'),
    'integration-2.19': ('pytest integration suite, ansible-core 2.19', 'stage_integration_219'),
    'sanity-2.18': ('ansible-test sanity, ansible-core 2.18', 'stage_sanity_218'),
    'units-2.18': ('ansible-test units, ansible-core 2.18', 'stage_units_218'),
    'integration-2.18': ('pytest integration suite, ansible-core 2.18', 'stage_integration_218'),
    'ansible-lint': ('ansible-lint --profile production', 'stage_ansible_lint'),
    'changelog-lint': ('antsibull-changelog lint', 'stage_changelog_lint'),
    'docs-lint': ('antsibull-docs lint-collection-docs --plugin-docs', 'stage_docs_lint'),
    'build': ('galaxy build, install tarball, ansible-doc every module', 'stage_build'),
    'galaxy-importer': ('galaxy-importer on the tarball', 'stage_galaxy_importer'),
    'bench-smoke': ('benchmark smoke run', 'stage_bench_smoke'),
}

# `make test`: the pytest stage already runs the integration suite on 2.19.
DEFAULT_STAGES = [s for s in STAGES if s != 'integration-2.19']


def main(argv):
    if any(a in ('-h', '--help') for a in argv):
        log(__doc__.strip())
        log('\nStages:')
        for name, (label, dummy) in STAGES.items():
            log('  %-18s %s' % (name, label))
        return 0
    unknown = [a for a in argv if a not in STAGES]
    if unknown:
        log('unknown stage(s): %s (try --help)' % ', '.join(unknown))
        return 2
    names = [s for s in STAGES if s in argv] if argv else DEFAULT_STAGES
    pipeline = Pipeline()
    try:
        return pipeline.execute(names)
    finally:
        pipeline.cleanup()


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
