#!/usr/bin/env bash
# The documentation: build it with Sphinx treating every warning as an
# error, check that each public name of sslmod has an entry in the API
# reference, and run every example (sphinx.ext.doctest) against a private
# build of sslmod.
#
#   tools/check_docs.sh [PYTHON]        (default: python3)
set -euo pipefail
py=${1:-python3}
root=$(cd "$(dirname "$0")/.." && pwd)
ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
venv=/tmp/sslmod-docs-$ver
[ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade 'sphinx>=7.3' furo setuptools wheel
"$root/tools/devbuild.sh" "docs-check-$ver" "$venv/bin/python" >/dev/null
export PYTHONPATH=/tmp/sslmod-dev/docs-check-$ver
out=$(mktemp -d /tmp/sslmod-docs-build.XXXXXX)
trap 'rm -rf "$out"' EXIT

printf '\n--- check_docs: html (-W)\n'
"$venv/bin/python" -m sphinx -W --keep-going -q -b html "$root/Doc" "$out/html"
echo "built $(ls "$out"/html/*.html | wc -l) pages"

printf '\n--- check_docs: every public name documented\n'
"$venv/bin/python" - "$root/Doc" <<'PY'
import glob, re, sys, types
import sslmod
text = "\n".join(open(p).read() for p in glob.glob(sys.argv[1] + "/*.rst"))
# Names of directives (.. function:: / class:: / data:: ... and their
# continuation lines) in the reference.
documented = set()
for block in re.findall(r"^\.\. (?:py:)?(?:function|class|data|exception|attribute|method)::"
                        r"((?: .*\n)(?: {6,}\S.*\n)*)", text, re.M):
    for line in block.splitlines():
        name = line.strip().split("(")[0]
        if name:
            documented.add(name.split(".")[-1])
# What sslmod.ssl imports for itself (as the stdlib's ssl does) is not API.
helpers = {"base64", "errno", "os", "sys", "warnings", "namedtuple", "socket",
           "create_connection", "SOCK_STREAM", "SOL_SOCKET", "SO_TYPE"}
public = {n for n in sslmod.__all__ if n not in helpers and not isinstance(getattr(sslmod, n), types.ModuleType)}
public |= {"inject", "extract"}
missing = sorted(public - documented)
if missing:
    sys.exit("check_docs: not in the API reference: " + ", ".join(missing))
print("%d public names, all documented" % len(public))
PY

printf '\n--- check_docs: examples (doctest)\n'
"$venv/bin/python" -m sphinx -W --keep-going -q -b doctest "$root/Doc" "$out/doctest"
tail -n 5 "$out/doctest/output.txt"
