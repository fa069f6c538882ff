"""Moves the clock of every Python process of a test run by REGISTRY_TEST_SHIFT_DAYS days.

The guard against tests that depend on the real date: `.ci/run` runs the suite again with
this folder first on PYTHONPATH and the clock a year ahead and a year back (with other time
zones too). Python imports `sitecustomize` at start-up, so the test process and every
process it starts (`registry serve`, the `registry` command, a runner killed mid-batch) see
the same moved clock, through time-machine. Only wall-clock time moves: time.monotonic()
and sleeping are left alone. Without the variable this does nothing.
"""

from __future__ import annotations

import os

_SHIFT = os.environ.get("REGISTRY_TEST_SHIFT_DAYS")
if _SHIFT:
    from datetime import UTC, datetime, timedelta

    import time_machine

    time_machine.travel(datetime.now(UTC) + timedelta(days=int(_SHIFT)), tick=True).start()
