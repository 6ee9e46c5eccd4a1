#!/usr/bin/env bash
# Reference-leak run of the whole suite on Debian's debug CPython:
# installs the debug interpreter (python3-dbg, or the python3.X-dbg that
# apt knows of), builds sslmod against its headers in a fresh venv, and
# runs tools/refleak.py (each test module WARMUP+REPEAT times, refcount and
# allocated blocks must not grow).
#
#   tools/refleak.sh [-R WARMUP:REPEAT] [--budget SECONDS] [PYTEST ARGS...]
#                                                          (default -R 3:3)
#
# SSLMOD_REFLEAK_PYTHON names a debug interpreter to use instead;
# SSLMOD_REFLEAK_VENV (default /tmp/sslmod-refleak-venv) is rebuilt each run.
# The figures go to $SSLMOD_REFLEAK_VENV/refleak.json as well.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${SSLMOD_REFLEAK_VENV:-/tmp/sslmod-refleak-venv}
say() { printf 'refleak.sh: %s\n' "$*" >&2; }

apt_install() {
  [ "$(id -u)" = 0 ] || { say "need Debian packages $*; run as root"; exit 1; }
  say "apt-get install $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "$@" >/dev/null
}

# The debug interpreter: Debian 12 has python3.11-dbg, Debian 13
# python3.13-dbg; python3-dbg depends on whichever is the default.
dbg=${SSLMOD_REFLEAK_PYTHON:-}
if [ -z "$dbg" ]; then
  dbg=$(ls /usr/bin/python3.[0-9]*-dbg 2>/dev/null | grep -E 'python3\.[0-9]+-dbg$' | sort -V | tail -1 || true)
  if [ -z "$dbg" ]; then
    if apt-cache show python3-dbg >/dev/null 2>&1 || { apt-get update -qq && apt-cache show python3-dbg >/dev/null 2>&1; }; then
      apt_install python3-dbg
    else
      pkg=$(apt-cache pkgnames python3. | grep -E '^python3\.[0-9]+-dbg$' | sort -V | tail -1)
      [ -n "$pkg" ] || { say "no python3-dbg package found"; exit 1; }
      apt_install "$pkg"
    fi
    dbg=$(ls /usr/bin/python3.[0-9]*-dbg | grep -E 'python3\.[0-9]+-dbg$' | sort -V | tail -1)
  fi
fi
ver=$("$dbg" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
"$dbg" -c 'import sys; sys.exit(not hasattr(sys, "gettotalrefcount"))' \
  || { say "$dbg is not a debug build"; exit 1; }
# venv and ensurepip for that version, the OpenSSL headers, a compiler.
"$dbg" -c 'import ensurepip, venv' 2>/dev/null || apt_install "python$ver-venv"
[ -f /usr/include/openssl/opensslv.h ] || apt_install libssl-dev
command -v pkg-config >/dev/null || apt_install pkg-config
command -v gcc >/dev/null || apt_install gcc
say "debug interpreter: $dbg ($("$dbg" -c 'import sys; print(sys.version.split()[0])'))"

rm -rf "$venv"
"$dbg" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
# Built here against the debug interpreter's own headers (python3.Xd).
(cd "$root" && "$venv/bin/python" -m pip install -q --no-cache-dir '.[test]') \
  > "$venv/install.log" 2>&1 || { cat "$venv/install.log" >&2; exit 1; }
"$venv/bin/python" -c 'import sslmod._sslmod as m, sys; print("refleak.sh: built", m.__file__, file=sys.stderr)'

cd "$root"
args=("$@")
case " ${args[*]:-} " in *" -R "*) ;; *) args=(-R 3:3 "${args[@]}");; esac
# Subinterpreters: the interpreter's own _socket leaves references behind
# in every one (about 59 on 3.11), which a per-module count would blame on
# sslmod.  test_subinterpreter_leaks_nothing_of_its_own measures sslmod's
# share against that baseline, once, here; the module-level runs leave the
# subinterpreter tests out.
"$venv/bin/python" -m pytest -q -p no:cacheprovider \
  "tests/test_isolation.py::test_subinterpreter_leaks_nothing_of_its_own" \
  || { say "sslmod leaks in subinterpreters"; exit 1; }
# test_bigwrite moves 2 GiB through TLS per test: one pass takes minutes
# on a debug build, and six passes are far outside the CI budget.
# SSLMOD_REFLEAK_JOBS (default 2) processes share the modules, largest
# first, so that the run fits CI's budget on two cores.
skip=(--deselect tests/test_isolation.py::test_subinterpreter_import
      --deselect tests/test_isolation.py::test_subinterpreter_handshake_with_callbacks
      --deselect tests/test_isolation.py::test_subinterpreter_leaks_nothing_of_its_own)
jobs=${SSLMOD_REFLEAK_JOBS:-2}
mapfile -t files < <(ls -S tests/test_*.py | grep -v '^tests/test_bigwrite.py$')
pids=()
trap 'kill "${pids[@]}" 2>/dev/null' TERM INT
for ((j = 0; j < jobs; j++)); do
  group=()
  for ((i = j; i < ${#files[@]}; i += jobs)); do group+=("${files[$i]}"); done
  [ ${#group[@]} -gt 0 ] || continue
  # Each line as it comes, marked with its job (a summary per module).
  ("$venv/bin/python" -u tools/refleak.py --json "$venv/refleak-$j.json" "${args[@]}" \
     "${group[@]}" -q "${skip[@]}" 2>&1 | sed -u "s/^/[job $j] /") &
  pids+=($!)
done
rc=0
for pid in "${pids[@]}"; do
  wait "$pid" || rc=1
done
exit $rc
