"""``run.log``: the messages of one run, written into its run directory.

brian2's and neuroplast's log records (INFO and up) and Python warnings emitted while a
run runs, one line each with time, level and logger: what brian2 chose (integration
methods, code generation), what neuroplast did (host, seed, backend, how long), and
any warning.  Every run writes one (:func:`neuroplast.studies.run.run_experiment`); a
sweep's run adds how it ended, also when it failed.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

from neuroplast.simulation import storage

#: The file, in every run directory.
RUN_LOG_FILE = "run.log"

#: Loggers whose records a run's log keeps.
LOGGERS = ("brian2", "neuroplast", "py.warnings")

#: Open :func:`captured` blocks (a sweep's run holds one around run_experiment's): the
#: outermost one routes warnings to logging and restores them.
_depth = 0


@contextlib.contextmanager
def captured() -> Iterator[list[str]]:
    """Collect the log records (INFO and up) and warnings emitted inside the block.

    Nested blocks each collect every record.  The loggers' levels are restored after.
    """
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    global _depth
    loggers = [logging.getLogger(name) for name in LOGGERS]
    levels = [logger.level for logger in loggers]
    if _depth == 0:
        logging.captureWarnings(True)
    _depth += 1
    for logger in loggers:
        logger.addHandler(handler)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)  # brian2's console handler keeps its own level
    try:
        yield lines
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
        _depth -= 1
        if _depth == 0:
            logging.captureWarnings(False)


def write(run_dir: Path, lines: list[str]) -> None:
    """Write ``lines`` as ``run_dir/run.log`` (atomically), if the directory exists."""
    run_dir = Path(run_dir)
    if run_dir.exists():
        text = "\n".join(lines) + ("\n" if lines else "")
        storage.atomic_write(run_dir / RUN_LOG_FILE, lambda tmp: tmp.write_text(text))
