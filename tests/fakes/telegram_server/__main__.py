"""Entry point of `python -m tests.fakes.telegram_server`: run the fake as its own process."""

from __future__ import annotations

import sys

from tests.fakes.telegram_server.process import main

if __name__ == "__main__":
    main(sys.argv[1:], prog="telegram_server.py")  # the name --help showed before the split
