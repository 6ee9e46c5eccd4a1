#!/usr/bin/env bash
# Types: for each interpreter given (default python3), build sslmod privately
# (tools/devbuild.sh), then
#   1. python -m mypy.stubtest sslmod  -- the stubs (Lib/*.pyi) against the
#      running module, with tools/stubtest-allowlist.txt (each entry says why);
#   2. mypy --strict on tests/typing/example_strict.py, for that interpreter's
#      version, and the example run for real against the build.
#
#   tools/check_types.sh [PYTHON ...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- python3
status=0
for py in "$@"; do
  ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  printf '\n--- check_types: Python %s (%s)\n' "$ver" "$py"
  venv=/tmp/sslmod-types-$ver
  [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade 'mypy>=1.18' setuptools wheel
  "$root/tools/devbuild.sh" "types-$ver" "$venv/bin/python" >/dev/null
  build=/tmp/sslmod-dev/types-$ver
  for f in "$root"/Lib/*.pyi "$root"/Lib/py.typed; do
    [ -e "$build/sslmod/$(basename "$f")" ] || { echo "check_types: $f not in the build" >&2; exit 1; }
  done
  # Run from outside the tree so that nothing but the build is importable.
  (cd /tmp && PYTHONPATH=$build "$venv/bin/python" -m mypy.stubtest sslmod \
      --mypy-config-file "$root/tools/mypy.ini" \
      --allowlist "$root/tools/stubtest-allowlist.txt") || { echo "check_types: stubtest failed on $ver" >&2; status=1; }
  (cd /tmp && MYPYPATH=$build "$venv/bin/python" -m mypy --strict --no-incremental \
      "$root/tests/typing/example_strict.py") \
    || { echo "check_types: mypy --strict failed on $ver" >&2; status=1; }
  (cd /tmp && PYTHONPATH=$build "$venv/bin/python" "$root/tests/typing/example_strict.py" >/dev/null) \
    || { echo "check_types: the typed example failed to run on $ver" >&2; status=1; }
done
exit $status
