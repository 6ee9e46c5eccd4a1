#!/usr/bin/env bash
# Build sslmod into a private directory, so that several people editing
# Modules/ at once do not race on build/ or on Lib/*.so.
#
#   tools/devbuild.sh NAME [PYTHON]      -> /tmp/sslmod-dev/NAME/sslmod importable
#   PYTHONPATH=/tmp/sslmod-dev/NAME python -c 'import sslmod'
#
# With SSLMOD_FALLBACK=1, a .c file that does not compile (someone else is
# mid-edit in a shared tree) is replaced by its last committed version,
# unless it is listed in $SSLMOD_MINE (space separated basenames).  In a
# tree of your own (a git worktree), leave it unset: every file is built
# as it is and a compile error fails the build.
set -eu
name=${1:?name}
py=${2:-python3}
src=$(cd "$(dirname "$0")/.." && pwd)
out=/tmp/sslmod-dev/$name
work=$out/src
rm -rf "$work" "$out/sslmod" "$out/lib"   # a failed build must not leave the last .so
mkdir -p "$work"
cp -r "$src/setup.py" "$src/pyproject.toml" "$src/Modules" "$work/"
cp -r "$src/Lib" "$work/Lib"
rm -f "$work"/Lib/*.so
incs="-I$work/Modules/_sslmod $($py -c 'import sysconfig;print("-I"+sysconfig.get_paths()["include"])')"
gen=$(ls -d "$src"/build/temp*/sslmod_gen 2>/dev/null | head -1)
[ -n "$gen" ] && incs="$incs -I$gen"
[ -n "${SSLMOD_FALLBACK:-}" ] && for f in "$work"/Modules/_sslmod.c "$work"/Modules/_sslmod/*.c; do
  b=$(basename "$f")
  case " ${SSLMOD_MINE:-} " in *" $b "*) continue;; esac
  if ! gcc -fsyntax-only $incs "$f" 2>/dev/null; then
    rel=${f#$work/}
    echo "devbuild: $b does not compile now; using its committed version" >&2
    (cd "$src" && git show "HEAD:$rel") > "$f" 2>/dev/null || true
  fi
done
(cd "$work" && $py setup.py -q build_ext -b "$out/lib" -t "$out/tmp" 2>&1 \
   | grep -E "warning|error|Error" | grep -v -E "BetaConfiguration|README|FutureWarning|warnings.warn|warn\(" ) || true
so=$(ls "$out"/lib/sslmod/_sslmod*.so 2>/dev/null | head -1)
[ -n "$so" ] || { echo "devbuild: build failed" >&2; exit 1; }
mkdir -p "$out/sslmod"
cp "$src"/Lib/*.py "$out/sslmod/"
for extra in "$src"/Lib/*.pyi "$src"/Lib/py.typed; do
  [ -e "$extra" ] && cp "$extra" "$out/sslmod/"
done
cp "$so" "$out/sslmod/"
echo "devbuild: PYTHONPATH=$out"
