"""Stand-in for the get-pip bootstrap script that ansible-test downloads.

ansible-test creates private virtual environments for its sanity tests and
bootstraps pip in them by running ``get_pip_<X_Y>.py`` from its cache directory
(``~/.ansible/test/cache``).  When the usual download location is not reachable,
this file is copied there under that name, next to a ``pip-<X.Y>`` wheel taken
from PyPI, and does the same job: it runs pip straight from the wheel to
install that wheel into the interpreter that runs this script.
"""

import glob
import os
import sys


def _find_wheel(directory, version):
    exact = os.path.join(directory, 'pip-%s-py3-none-any.whl' % version)
    if os.path.exists(exact):
        return exact
    candidates = sorted(glob.glob(os.path.join(directory, 'pip-*-py3-none-any.whl')))
    return candidates[-1] if candidates else None


def main():
    directory = os.path.dirname(os.path.abspath(__file__))
    stem = os.path.splitext(os.path.basename(__file__))[0]
    version = stem.replace('get_pip_', '').replace('_', '.')
    wheel = _find_wheel(directory, version)
    if wheel is None:
        sys.stderr.write('No pip wheel found next to %s\n' % __file__)
        return 1

    sys.path.insert(0, wheel)
    from pip._internal.cli.main import main as pip_main  # pylint: disable=import-outside-toplevel

    # get-pip.py understands --no-setuptools/--no-wheel; pip itself does not.
    args = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
    return pip_main(['install', '--upgrade', '--force-reinstall', '--find-links', directory] + args)


if __name__ == '__main__':
    sys.exit(main())
