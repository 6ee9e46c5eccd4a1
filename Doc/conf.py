"""Sphinx configuration for sslmod's documentation.

Build:    python -m sphinx -W -b html Doc Doc/_build/html
Doctests: python -m sphinx -W -b doctest Doc Doc/_build/doctest
(tools/check_docs.sh runs both against a private build of sslmod.)
"""
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

project = "sslmod"
author = "the sslmod authors"
copyright = "2026, the sslmod authors"


def _version():
    # The one place the version is written; read as text so that the
    # documentation builds without sslmod installed.
    with open(os.path.join(ROOT, "Lib", "_version.py")) as f:
        return re.search(r'__version__ = "([^"]+)"', f.read()).group(1)


release = version = _version()

extensions = ["sphinx.ext.doctest", "sphinx.ext.intersphinx"]
exclude_patterns = ["_build"]
# Pages of features that are built in separate branches: listed in the
# table of contents of index.rst, and left out of it while their file is
# not there yet (see setup below).
OPTIONAL_PAGES = ("features",)

html_theme = "furo"
html_title = "sslmod %s" % release
html_theme_options = {
    "source_repository": None,
    "navigation_with_keys": True,
}

# No network at build time: the stdlib's inventory is not fetched.
intersphinx_mapping = {}

default_role = "literal"
nitpicky = False

# Every doctest runs with sslmod imported as ssl, next to the test
# certificates, with a local TLS server ready (Doc/_doctest_support.py).
doctest_global_setup = """
import sys as _sys
_sys.path.insert(0, %r)
from _doctest_support import *
""" % HERE
doctest_global_cleanup = """
stop_servers()
"""


def _drop_missing_optional_pages(app, docname, source):
    if docname != "index":
        return
    for page in OPTIONAL_PAGES:
        if not os.path.exists(os.path.join(HERE, page + ".rst")):
            source[0] = source[0].replace("\n   %s\n" % page, "\n")


def setup(app):
    app.connect("source-read", _drop_missing_optional_pages)
    return {"parallel_read_safe": True}
