"""``python -m sslmod``: see ``sslmod._cli`` (``python -m sslmod --help``)."""
import sys

from sslmod._cli import main

if __name__ == "__main__":
    sys.exit(main())
