#!/usr/bin/env bash
# Rebuild changelogs/changelog.yaml and CHANGELOG.rst for the release named in
# galaxy.yml from every fragment in changelogs/fragments/ (kept after release,
# see changelogs/config.yaml) and the modules' version_added.
#
# Until that version is published this can be re-run whenever fragments are
# added. The release date is kept from changelogs/changelog.yaml if it is
# already there (override with RELEASE_DATE=YYYY-MM-DD).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY="$VENV/bin/python"
version=$("$PY" -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')
existing=$("$PY" - "$version" <<'PYEOF'
import sys, yaml
data = yaml.safe_load(open("changelogs/changelog.yaml")) or {}
release = (data.get("releases") or {}).get(sys.argv[1]) or {}
print(release.get("release_date", ""))
PYEOF
)
date=${RELEASE_DATE:-${existing:-$(date -u +%Y-%m-%d)}}

# The collection must sit in an ansible_collections tree for the plugin scan.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
copy="$work/ansible_collections/nanocosmos/bintu"
mkdir -p "$copy"
cp -a galaxy.yml meta plugins changelogs "$copy/"
[ -d roles ] && cp -a roles "$copy/"
printf -- '---\nancestor: null\nreleases: {}\n' > "$copy/changelogs/changelog.yaml"
rm -f "$copy/changelogs/.plugin-cache.yaml"
(
    cd "$copy"
    PATH="$OLDPWD/$VENV/bin:$PATH" "$OLDPWD/$VENV/bin/antsibull-changelog" release \
        --version "$version" --date "$date" --reload-plugins
    PATH="$OLDPWD/$VENV/bin:$PATH" "$OLDPWD/$VENV/bin/antsibull-changelog" lint
)
cp "$copy/changelogs/changelog.yaml" changelogs/changelog.yaml
cp "$copy/changelogs/.plugin-cache.yaml" changelogs/.plugin-cache.yaml
cp "$copy/CHANGELOG.rst" CHANGELOG.rst
echo "CHANGELOG.rst and changelogs/changelog.yaml rebuilt for $version ($date)"
