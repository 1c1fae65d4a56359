"""A process that counts `n` sent announcements into PROMETHEUS_MULTIPROC_DIR, then exits
(run as `python -m tests.bot.metrics_child n`)."""

from __future__ import annotations

import sys

from bot.metrics import count_outcome, multiprocess_dir


def main() -> None:
    """Count, after checking the client really runs in multiprocess mode."""
    assert multiprocess_dir() is not None, "not in multiprocess mode"
    for _ in range(int(sys.argv[1])):
        count_outcome("telegram", "announcement", "sent", None)


if __name__ == "__main__":
    main()
