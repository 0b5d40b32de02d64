"""A CLI run's log file: Prefect's log lines (tracebacks included) go there, not to the terminal.

A user who caused a failure (a quarantined drop, a busy warehouse, a missing key) needs one
`error:` line and a hint, not Prefect's 20-80 lines of traceback before it; the data team's
on-call engineer still needs the traceback, so it is kept in <data dir>/logs/, and the path is
printed with the error.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
from collections.abc import Iterator
from pathlib import Path

_FORMAT = "%(asctime)s | %(levelname)-7s | %(name)s - %(message)s"


def _console_handlers(logger: logging.Logger) -> list[logging.Handler]:
    return [h for h in logger.handlers
            if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)]


@contextlib.contextmanager
def to_file(data_dir: Path) -> Iterator[Path]:
    """Send every logger's terminal output to a new log file for the duration; yields its path."""
    logs = Path(data_dir) / "logs"
    old = os.umask(0o077)  # the data directory (made here on a first run) is private to the service account
    try:
        logs.mkdir(parents=True, exist_ok=True)
    finally:
        os.umask(old)
    path = logs / f"run-{dt.datetime.now():%Y%m%dT%H%M%S}-{os.getpid()}.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)  # may hold paths and load ids
    handler = logging.StreamHandler(os.fdopen(fd, "a", encoding="utf-8"))
    handler.setFormatter(logging.Formatter(_FORMAT))
    moved: list[tuple[logging.Logger, logging.Handler]] = []
    loggers = [logging.getLogger()] + [
        logging.getLogger(name) for name in list(logging.root.manager.loggerDict) if not name.startswith("permanence")
    ]
    for logger in loggers:
        found = _console_handlers(logger)
        for h in found:
            logger.removeHandler(h)
            moved.append((logger, h))
        if found:
            logger.addHandler(handler)
    try:
        yield path
    finally:
        for logger in {id(lg): lg for lg, _ in moved}.values():
            logger.removeHandler(handler)
        for logger, h in moved:
            logger.addHandler(h)
        handler.close()
