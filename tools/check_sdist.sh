#!/usr/bin/env bash
# The packaging round trip, once: `python -m build` makes the sdist and the
# wheel; the sdist must hold everything needed to build, test and document
# sslmod; it is installed with its test extra into a fresh venv, and the
# suite runs from the unpacked sdist against that installation.  The wheel
# is shown to auditwheel (information only: a linux_x86_64 wheel that links
# the system OpenSSL is expected; Doc/building.rst says what manylinux needs).
#
#   tools/check_sdist.sh [PYTHON]        (default: python3)
set -euo pipefail
py=${1:-python3}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/sslmod-sdist.XXXXXX)
trap 'rm -rf "$work"' EXIT
say() { printf '\n--- check_sdist: %s\n' "$*"; }

say "fresh venv ($("$py" -c 'import sys; print(sys.version.split()[0])'))"
"$py" -m venv "$work/venv"
# shellcheck disable=SC1091
source "$work/venv/bin/activate"
python -m pip install -q --upgrade pip build auditwheel

say "python -m build"
python -m build -o "$work/dist" "$root" > "$work/build.log" 2>&1 || {
  cat "$work/build.log"; echo "check_sdist: python -m build failed" >&2; exit 1; }
sdist=$(ls "$work"/dist/sslmod-*.tar.gz)
wheel=$(ls "$work"/dist/sslmod-*.whl)
version=$(basename "$sdist" .tar.gz); version=${version#sslmod-}
echo "built $(basename "$sdist") and $(basename "$wheel")"

say "sdist contents"
tar tzf "$sdist" | sed "s|^sslmod-$version/||" | sort > "$work/sdist.txt"
need=(README.rst LICENSE pyproject.toml setup.py MANIFEST.in
      Modules/_sslmod.c Lib/__init__.py Lib/ssl.py Lib/_version.py Lib/py.typed
      tests/conftest.py tests/certs/ca.pem tests/certs/make_certs.py
      Doc/conf.py Doc/index.rst benchmarks/bench.py
      tools/check_sdist.sh tools/check_docs.sh tools/check_types.sh)
for f in "$root"/Modules/_sslmod/*.[ch] "$root"/Lib/*.pyi "$root"/tests/certs/*; do
  need+=("${f#"$root"/}")
done
[ -d "$root/fuzz" ] && need+=(fuzz/)
missing=0
for f in "${need[@]}"; do
  grep -qx -- "$f" "$work/sdist.txt" || { echo "check_sdist: missing from the sdist: $f" >&2; missing=1; }
done
if grep -E '(\.so|\.o|\.pyc)$|/_build/' "$work/sdist.txt"; then
  echo "check_sdist: build outputs in the sdist (above)" >&2; missing=1
fi
[ $missing -eq 0 ] || exit 1
echo "$(wc -l < "$work/sdist.txt") files, nothing missing"

say "wheel contents and auditwheel"
python - "$wheel" <<'PY'
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
need = {"sslmod/py.typed", "sslmod/__init__.pyi", "sslmod/ssl.pyi", "sslmod/_sslmod.pyi",
        "sslmod/_version.py", "sslmod/__main__.py"}
missing = sorted(n for n in need if n not in names)
if missing or not any(n.startswith("sslmod/_sslmod.") and n.endswith(".so") for n in names):
    sys.exit("check_sdist: missing from the wheel: %s" % (missing or "the extension"))
print("%d files in the wheel" % len(names))
PY
auditwheel show "$wheel" 2>&1 | grep -v '^INFO' || true

say "pip install the sdist with [test]"
python -m pip install -q "sslmod[test] @ file://$sdist"
tar xzf "$sdist" -C "$work"
cd "$work/sslmod-$version"
python - "$version" <<'PY'
import os, sys, subprocess, sslmod
assert sslmod.__version__ == sys.argv[1], (sslmod.__version__, sys.argv[1])
assert sslmod.__file__.startswith(sys.prefix), sslmod.__file__   # the installed copy
out = subprocess.run([sys.executable, "-m", "sslmod", "--version"], capture_output=True,
                     text=True, check=True).stdout
assert out.startswith("sslmod %s (" % sys.argv[1]), out
print("installed", sslmod.__file__, "version", sslmod.__version__)
PY

say "the suite, from the unpacked sdist"
set +e
python -m pytest tests -q -p no:cacheprovider
rc=$?
set -e
[ $rc -eq 5 ] && { echo "check_sdist: pytest collected no tests" >&2; exit 1; }
exit $rc
