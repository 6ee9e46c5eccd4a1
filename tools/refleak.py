"""Hunt reference and memory-block leaks the way a refleak run of a debug
CPython does: every test module of the suite runs several times in one
process, first to warm up (imports, caches, interned strings), then to
measure; after each run the caches are emptied, the garbage collected, and
sys.gettotalrefcount() and sys.getallocatedblocks() are read.  A module
leaks when every measured run grew a figure.

    python-dbg tools/refleak.py [-R WARMUP:REPEAT] [--json FILE] [PYTEST ARGS...]

It needs a debug interpreter (sys.gettotalrefcount) with sslmod and the
test requirements installed; tools/refleak.sh sets that up.  The first run
of each module is an ordinary pytest run whose failures are reported as
usual; a test that fails only on a later run is a failure too.  Exit
status: 1 on a leak, a late failure, or (with --strict) any failure."""
import argparse
import gc
import json
import os
import sys
import threading
import time

import pytest
from _pytest.runner import runtestprotocol


def module_namespaces():
    """The __dict__ of every true module in sys.modules.

    sys.modules may hold other objects, whose ``__dict__`` is whatever
    their type makes of it: cffi's ``Lib`` objects (cryptography registers
    ``_openssl.lib``) build a fresh dict on each ``lib.__dict__``, and that
    getter leaks a reference to every integer constant (565 of them for
    cryptography's bindings, on cffi 2.1.1).  Reading it after each run
    made the measurement itself leak, in every module that ran after the
    first import of cryptography.  Such objects are skipped, and never
    touched: type() is asked, not isinstance(), since a Lib answers
    ``__class__`` with ModuleType."""
    import types
    namespaces = []
    for module in list(sys.modules.values()):
        if issubclass(type(module), types.ModuleType):
            namespace = vars(module)
            if isinstance(namespace, dict):
                namespaces.append(namespace)
    return namespaces


def clear_caches():
    """Empty the caches that grow on their own without any leak, so that
    they do not hide (or fake) one."""
    import linecache
    import re
    linecache.clearcache()
    re.purge()
    for name, attr in (("struct", "_clearcache"), ("urllib.parse", "clear_cache"),
                       ("importlib", "invalidate_caches"), ("warnings", "_filters_mutated")):
        module = sys.modules.get(name)
        fn = getattr(module, attr, None)
        if fn is not None:
            fn()
    typing = sys.modules.get("typing")
    for fn in getattr(typing, "_cleanups", ()):
        fn()
    # ABCs remember which classes they were asked about.
    import abc
    for namespace in module_namespaces():
        for value in list(namespace.values()):
            if isinstance(value, abc.ABCMeta):
                try:
                    abc._reset_caches(value)
                except (AttributeError, TypeError):
                    pass
    for namespace in module_namespaces():
        registry = namespace.get("__warningregistry__")
        if isinstance(registry, dict):
            registry.clear()
    sys._clear_type_cache()


def settle(deadline=5.0):
    """Let the threads a test left behind finish, then collect."""
    end = time.monotonic() + deadline
    main = threading.main_thread()
    while time.monotonic() < end:
        others = [t for t in threading.enumerate() if t is not main and not t.daemon]
        if not others:
            break
        time.sleep(0.05)
    for _ in range(3):
        gc.collect()


def leaked(deltas):
    """Every measured run grew the figure: a leak (as regrtest judges)."""
    return bool(deltas) and all(d >= 1 for d in deltas)


class RefleakPlugin:
    def __init__(self, warmup, repeat, by_test=False, budget=None):
        self.warmup, self.repeat, self.by_test = warmup, repeat, by_test
        # Seconds after which no further module is started (CI's budget).
        self.deadline = None if budget is None else time.monotonic() + budget
        self.not_run = []        # modules left out when the budget ran out
        self.results = {}        # module path -> dict
        self.late_failures = []  # tests that passed the first run, failed a later one
        self.first_failures = set()

    def pytest_runtest_logreport(self, report):
        # Only the first run logs its reports.
        if report.failed:
            self.first_failures.add(report.nodeid)

    def run_round(self, items, log):
        for i, item in enumerate(items):
            nextitem = items[i + 1] if i + 1 < len(items) else None
            reports = runtestprotocol(item, log=log, nextitem=nextitem)
            # pytest appends each run's captured output to the item: that
            # list would grow by itself whenever a test prints or warns.
            sections = getattr(item, "_report_sections", None)
            if isinstance(sections, list):
                sections.clear()
            if (not log and item.nodeid not in self.first_failures
                    and item.nodeid not in self.late_failures
                    and any(r.failed for r in reports)):
                self.late_failures.append(item.nodeid)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        if session.config.option.collectonly:
            return None
        modules = {}
        for item in session.items:
            key = str(item.path)
            if self.by_test:   # to find which test of a leaking module leaks
                key = "%s::%s" % (key, getattr(item, "originalname", item.name))
            modules.setdefault(key, []).append(item)
        for path, items in modules.items():
            started = time.monotonic()
            if self.deadline is not None and started > self.deadline:
                self.not_run.append(os.path.relpath(path))
                continue
            # Preallocated, and only the previous reading kept: the
            # bookkeeping itself must not grow from run to run.
            refs, blocks = [0] * self.repeat, [0] * self.repeat
            last_refs, last_blocks = sys.gettotalrefcount(), sys.getallocatedblocks()
            for round_no in range(self.warmup + self.repeat):
                self.run_round(items, log=(round_no == 0))
                if round_no >= self.warmup - 1:
                    clear_caches()
                    settle()
                    now_refs, now_blocks = sys.gettotalrefcount(), sys.getallocatedblocks()
                    if round_no >= self.warmup:
                        refs[round_no - self.warmup] = now_refs - last_refs
                        blocks[round_no - self.warmup] = now_blocks - last_blocks
                    last_refs, last_blocks = now_refs, now_blocks
                if session.shouldfail or session.shouldstop:
                    break
            name = os.path.relpath(path)
            self.results[name] = {
                "tests": len(items), "refs": refs, "blocks": blocks,
                "leak": leaked(refs) or leaked(blocks),
                "seconds": round(time.monotonic() - started, 1)}
            sys.stderr.write("\nrefleak: %s: %d tests, refs %s, blocks %s%s (%.0f s)\n" % (
                name, len(items), refs, blocks,
                "  LEAK" if self.results[name]["leak"] else "",
                self.results[name]["seconds"]))
        return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-R", dest="runs", default="3:3",
                        help="WARMUP:REPEAT runs of each module (default 3:3)")
    parser.add_argument("--json", help="write the per-module figures here")
    parser.add_argument("--by-test", action="store_true",
                        help="measure each test function (all its parameters) on its own")
    parser.add_argument("--strict", action="store_true",
                        help="fail on test failures too, not only on leaks")
    parser.add_argument("--budget", type=float, default=None,
                        help="start no module after this many seconds (listed as not run)")
    opts, pytest_args = parser.parse_known_args(argv)
    if not hasattr(sys, "gettotalrefcount"):
        sys.exit("refleak: %s is not a debug build (no sys.gettotalrefcount)" % sys.executable)
    warmup, repeat = (int(n) for n in opts.runs.split(":"))
    if warmup < 1 or repeat < 1:
        sys.exit("refleak: -R needs at least 1:1")
    plugin = RefleakPlugin(warmup, repeat, opts.by_test, opts.budget)
    # pytest's warnings plugin keeps every warning of every run.
    rc = pytest.main(["-p", "no:cacheprovider", "-p", "no:warnings", *pytest_args],
                     plugins=[plugin])
    leaks = [m for m, r in plugin.results.items() if r["leak"]]
    print("\nrefleak summary (-R %d:%d, deltas of total refcount / allocated blocks per run):"
          % (warmup, repeat))
    for module, r in plugin.results.items():
        print("  %-40s %4d tests  refs %-22s blocks %-22s %s" % (
            module, r["tests"], r["refs"], r["blocks"], "LEAK" if r["leak"] else "ok"))
    if plugin.late_failures:
        print("refleak: tests that failed only when run again: %s" % plugin.late_failures)
    if plugin.not_run:
        print("refleak: not run (the %.0f s budget was spent): %s"
              % (opts.budget, ", ".join(plugin.not_run)))
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump({"runs": opts.runs, "modules": plugin.results,
                       "late_failures": plugin.late_failures, "not_run": plugin.not_run,
                       "first_failures": sorted(plugin.first_failures)}, f, indent=1)
    if leaks:
        print("refleak: LEAKS in %s" % ", ".join(leaks))
    if plugin.first_failures:
        # The conformance verdicts belong to the ordinary test runs; a debug
        # interpreter from a distribution can be an older patch release
        # whose ssl differs.  They are listed, and fail only with --strict.
        print("refleak: %d tests failed on this interpreter (see above)"
              % len(plugin.first_failures))
    failed = leaks or plugin.late_failures or (opts.strict and plugin.first_failures)
    if rc not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        failed = True    # interrupted, internal error, usage error, no tests
    verdict = "FAILED (pytest exit %d)" % int(rc) if failed else "clean"
    if plugin.not_run and not failed:
        verdict = "clean in the modules run; %d not run (budget)" % len(plugin.not_run)
    print("refleak: %s" % verdict)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
