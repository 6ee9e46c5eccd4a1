#!/usr/bin/env bash
# Build the fuzzing environment: clang and its sanitizer runtimes (Debian
# packages, installed when missing), a venv with atheris, and sslmod
# compiled by clang with libFuzzer coverage plus ASan and UBSan.
#
#   fuzz/build.sh            -> prints the venv path on its last line
#
# Environment: SSLMOD_FUZZ_PYTHON (default python3), SSLMOD_FUZZ_VENV
# (default /tmp/sslmod-fuzz-venv).  Versions are detected, never assumed:
# the clang runtime package is libclang-rt-<clang major>-dev.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
py=${SSLMOD_FUZZ_PYTHON:-python3}
venv=${SSLMOD_FUZZ_VENV:-/tmp/sslmod-fuzz-venv}
say() { printf 'fuzz/build: %s\n' "$*" >&2; }

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    say "missing Debian packages: $*; run as root or install them"; exit 1
  fi
  say "apt-get install $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "$@" >/dev/null
}

command -v clang >/dev/null || apt_install clang
major=$(clang -dumpversion | cut -d. -f1)
rtdir=$(clang -print-resource-dir)/lib/linux
if ! ls "$rtdir"/libclang_rt.asan-x86_64.so "$rtdir"/libclang_rt.fuzzer_no_main-x86_64.a \
     >/dev/null 2>&1; then
  # Newer clang lays the runtimes out per target triple.
  ls "$(clang -print-resource-dir)"/lib/*/libclang_rt.asan*.so >/dev/null 2>&1 \
    || apt_install "libclang-rt-$major-dev"
fi
# Headers and the openssl command, as .ci/run installs them.
[ -f /usr/include/openssl/opensslv.h ] || apt_install libssl-dev
command -v pkg-config >/dev/null || apt_install pkg-config

if [ ! -x "$venv/bin/python" ]; then
  say "venv $venv ($py)"
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
fi
# atheris has wheels for CPython 3.9-3.13 on x86-64; where pip must build
# it from source, it needs the clang named by CLANG_BIN.
if ! "$venv/bin/python" -c 'import atheris' 2>/dev/null; then
  CLANG_BIN=$(command -v clang) "$venv/bin/python" -m pip install -q atheris
fi

# The extension: clang, libFuzzer's edge counters and comparison tracing
# (fuzzer-no-link: the fuzzer runtime comes from atheris), ASan and UBSan.
# The sanitizer runtimes are not linked into the .so; run.sh preloads
# atheris's asan_with_fuzzer.so, which carries ASan, UBSan and libFuzzer.
say "building sslmod with clang $major, -fsanitize=fuzzer-no-link,address,undefined"
(
  cd "$root"
  export CC=clang LDSHARED="clang -shared"
  export SSLMOD_EXTRA_CFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -O1 -g"
  export SSLMOD_EXTRA_LDFLAGS="-fsanitize=fuzzer-no-link,address,undefined"
  log=$(mktemp)
  if ! "$venv/bin/python" -m pip install -q --no-cache-dir --force-reinstall --no-deps . \
       >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; exit 1
  fi
  # Compiler warnings are failures elsewhere in CI; show them here too.
  grep -E "warning:|error:" "$log" >&2 || true
  rm -f "$log"
)
# The .so must be instrumented, and every sanitizer and coverage symbol it
# needs must be in atheris's preloaded runtime.  A wheel's runtime older
# than this clang can lack a newer handler: then build atheris from
# source with this clang, whose runtimes libclang-rt-N-dev provides.
check() {
  "$venv/bin/python" - <<'EOF'
import glob, importlib.util, os, subprocess, sys
import atheris
# Not imported: without the preloaded runtime the ASan symbols are unresolved.
pkg = importlib.util.find_spec("sslmod").submodule_search_locations[0]
so = glob.glob(os.path.join(pkg, "_sslmod*.so"))[0]
rt = os.path.join(atheris.path(), "asan_with_fuzzer.so")
def syms(path, flag):
    out = subprocess.run(["nm", "-D", flag, path], capture_output=True, text=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}
need = {s for s in syms(so, "--undefined-only")
        if s.startswith(("__asan", "__ubsan", "__sanitizer", "__sancov"))}
for prefix in ("__asan_", "__sanitizer_cov_8bit_counters_init", "__ubsan_handle"):
    if not any(s.startswith(prefix) for s in need):
        sys.exit("fuzz/build: %s is not instrumented (%s missing)" % (so, prefix))
missing = sorted(need - syms(rt, "--defined-only"))
if missing:
    sys.exit("fuzz/build: %s lacks %s" % (rt, ", ".join(missing[:5])))
EOF
}
if ! check; then
  say "rebuilding atheris from source with $(command -v clang)"
  CLANG_BIN=$(command -v clang) "$venv/bin/python" -m pip install -q --no-cache-dir \
    --force-reinstall --no-binary atheris atheris >&2
  check
fi
echo "$venv"
