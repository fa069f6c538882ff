"""Runners racing one another over the same log."""

from __future__ import annotations

import threading
from collections.abc import Callable

from registry.projections.runner import Runner


def race(runners: list[Runner], catch_up: Callable[[Runner], object]) -> list[BaseException]:
    """Start `catch_up` for every runner at the same moment, one thread each; return what
    they raised."""
    start = threading.Barrier(len(runners))
    errors: list[BaseException] = []

    def run(runner: Runner) -> None:
        start.wait()
        try:
            catch_up(runner)
        except BaseException as e:  # reported to the caller
            errors.append(e)

    threads = [threading.Thread(target=run, args=(r,)) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors
