"""A command retried while its original is being carried out gets the original's answer.

Found under load: 16 identical requests with one Idempotency-Key at once, and a few were
told 422 `post-number-unique` although the command had been carried out (once) for that
very key. The look-up of the command record and the uniqueness check are two reads: the
original was committed between them. A refused command with an id now looks for its
record again before answering.

Each test runs on a SQLite file and on a PostgreSQL database, with registries that share
the database as two server processes would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from registry.application import BatchItem, Receipt, Registry
from registry.decisions import Decide
from registry.domain import commands as c
from registry.domain import rules
from registry.domain.errors import IdempotencyConflict, RegistryError, RuleViolation
from registry.domain.values import Actor
from registry.unit_of_work import UnitOfWork
from tests.conftest import RegistryFactory
from tests.factories import ACADEMY, AGENCY, AGENCY_CODE, register_agencies_and_academies


def enrolment(post_number: str, name: str = "Jordan Rivera") -> c.EnrolOfficer:
    return c.EnrolOfficer(
        post_number=post_number,
        name=name,
        agency_code=AGENCY_CODE,
        patrol_experience_began_on=date(2018, 6, 1),
        district="North",
        shift="night",
        effective_on=date(2019, 1, 2),
    )


def events_of(app: Registry, post_number: str) -> int:
    """How many events the officer under `post_number` has in the log."""
    return len(list(app.events.get(app.officer_id(post_number))))


def same_answer(receipts: list[Receipt]) -> None:
    """Every receipt tells of the same change: one carried it out, the others replayed it."""
    first = receipts[0]
    fields = ("id", "version", "certificate_number", "expires_on", "flags")
    for receipt in receipts:
        assert all(getattr(receipt, f) == getattr(first, f) for f in fields), (receipt, first)
    assert sum(not r.replayed for r in receipts) == 1, receipts


def interleaved(
    app: Registry, meanwhile: Callable[[], object]
) -> Callable[[c.Command, Actor, int | None], Decide]:
    """`app`'s deciders, the first of which lets `meanwhile` run before it reads anything:
    the concurrent writer commits between the look-up of the command record and the rules."""
    original = app._decider
    pending = [meanwhile]

    def decider(cmd: c.Command, actor: Actor, expected_version: int | None) -> Decide:
        decide = original(cmd, actor, expected_version)

        def racing(uow: UnitOfWork) -> Any:
            if pending:
                pending.pop()()
            return decide(uow)

        return racing

    return decider


def test_a_retry_refused_by_its_own_original_gets_the_first_answer(
    make_registry: RegistryFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = make_registry(), make_registry()
    register_agencies_and_academies(first)
    command = enrolment("RACE-1")
    answers: list[Receipt] = []
    meanwhile = lambda: answers.append(second.execute(command, AGENCY, command_id="k-1"))  # noqa: E731
    monkeypatch.setattr(first, "_decider", interleaved(first, meanwhile))

    retried = first.execute(command, AGENCY, command_id="k-1")

    assert not answers[0].replayed
    assert retried.replayed, "answered from the command record, not refused"
    same_answer([answers[0], retried])
    assert retried.position >= answers[0].position
    assert events_of(first, "RACE-1") == 1


def test_a_command_without_an_id_is_still_refused(
    make_registry: RegistryFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without an id there is nothing to replay: the loser of the race hears the rule."""
    first, second = make_registry(), make_registry()
    register_agencies_and_academies(first)
    command = enrolment("RACE-2")
    meanwhile = lambda: second.execute(command, AGENCY)  # noqa: E731
    monkeypatch.setattr(first, "_decider", interleaved(first, meanwhile))

    with pytest.raises(RuleViolation) as refused:
        first.execute(command, AGENCY)
    assert refused.value.rule == rules.POST_NUMBER_UNIQUE
    assert events_of(first, "RACE-2") == 1


def test_a_different_command_under_the_same_id_is_a_conflict_not_a_replay(
    make_registry: RegistryFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The concurrent writer used the id for other content: the loser is told the id is
    taken (as a later retry would be), not the rule, and not the other command's answer."""
    first, second = make_registry(), make_registry()
    register_agencies_and_academies(first)
    meanwhile = lambda: second.execute(enrolment("RACE-3"), AGENCY, command_id="k-3")  # noqa: E731
    monkeypatch.setattr(first, "_decider", interleaved(first, meanwhile))

    with pytest.raises(IdempotencyConflict):
        first.execute(enrolment("RACE-3", name="Someone Else"), AGENCY, command_id="k-3")
    assert first.officer("RACE-3").name == "Jordan Rivera"
    assert events_of(first, "RACE-3") == 1


def test_a_refused_command_whose_id_is_not_recorded_keeps_its_refusal(
    make_registry: RegistryFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another command (another id) took the POST number: the rule answers."""
    first, second = make_registry(), make_registry()
    register_agencies_and_academies(first)
    meanwhile = lambda: second.execute(enrolment("RACE-4"), AGENCY, command_id="other")  # noqa: E731
    monkeypatch.setattr(first, "_decider", interleaved(first, meanwhile))

    with pytest.raises(RuleViolation) as refused:
        first.execute(enrolment("RACE-4"), AGENCY, command_id="mine")
    assert refused.value.rule == rules.POST_NUMBER_UNIQUE
    assert first.execute(enrolment("RACE-5"), AGENCY, command_id="mine").replayed is False


def exam(officer: str) -> c.RecordExam:
    return c.RecordExam(officer=officer, kind="written", passed=True, taken_on=date(2025, 9, 12))


def test_a_retry_with_if_match_refused_as_stale_by_its_own_original_gets_the_first_answer(
    make_registry: RegistryFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The original moved the record on, so the retry's If-Match looks stale: the retry is
    still answered with the original's receipt."""
    first, second = make_registry(), make_registry()
    register_agencies_and_academies(first)
    version = first.execute(enrolment("RACE-8"), AGENCY).version
    answers: list[Receipt] = []
    meanwhile = lambda: answers.append(  # noqa: E731
        second.execute(exam("RACE-8"), ACADEMY, command_id="k-8", expected_version=version)
    )
    monkeypatch.setattr(first, "_decider", interleaved(first, meanwhile))

    retried = first.execute(exam("RACE-8"), ACADEMY, command_id="k-8", expected_version=version)

    assert retried.replayed
    same_answer([answers[0], retried])
    assert events_of(first, "RACE-8") == 2


def test_a_batch_item_refused_by_its_own_original_is_replayed(
    make_registry: RegistryFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch asked the store which command ids exist before the concurrent writer
    recorded one of them, and that writer moved the officer on: the item's refusal (a
    stale version) becomes the original's answer, and the rest of the batch is saved."""
    first, second = make_registry(), make_registry()
    register_agencies_and_academies(first)
    version = first.execute(enrolment("RACE-6"), AGENCY).version
    answers: list[Receipt] = []
    meanwhile = lambda: answers.append(  # noqa: E731
        second.execute(exam("RACE-6"), ACADEMY, command_id="k-6", expected_version=version)
    )
    monkeypatch.setattr(first, "_decider", interleaved(first, meanwhile))

    results = first.execute_batch(
        [
            BatchItem(exam("RACE-6"), ACADEMY, "k-6", expected_version=version),
            BatchItem(enrolment("RACE-7"), AGENCY, "k-7"),
            BatchItem(exam("RACE-6"), ACADEMY, "k-6", expected_version=version),
        ]
    )

    replay, made, again = results
    assert isinstance(replay, Receipt), replay
    assert isinstance(made, Receipt) and isinstance(again, Receipt), results
    same_answer([answers[0], replay, again])
    assert not made.replayed
    assert events_of(first, "RACE-6") == 2
    assert events_of(first, "RACE-7") == 1


def test_a_batch_whose_save_collides_with_its_own_original_replays_it(
    make_registry: RegistryFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The POST number was free when the batch looked; the concurrent writer enrolled it
    under the same id before the batch saved: the batch's save collides, and the one-by-one
    fallback answers that item with the original's receipt."""
    first, second = make_registry(), make_registry()
    register_agencies_and_academies(first)
    answers: list[Receipt] = []
    meanwhile = lambda: answers.append(  # noqa: E731
        second.execute(enrolment("RACE-9"), AGENCY, command_id="k-9")
    )
    monkeypatch.setattr(first, "_decider", interleaved(first, meanwhile))

    results = first.execute_batch(
        [BatchItem(enrolment("RACE-9"), AGENCY, "k-9"), BatchItem(enrolment("RACE-10"), AGENCY)]
    )

    replay, made = results
    assert isinstance(replay, Receipt) and isinstance(made, Receipt), results
    same_answer([answers[0], replay])
    assert events_of(first, "RACE-9") == 1
    assert events_of(first, "RACE-10") == 1


ROUNDS = 12
THREADS = 8


def hammer(apps: list[Registry], work: Callable[[Registry, int], object]) -> list[object]:
    """Run `work(app, i)` on THREADS threads at the same moment, spread over `apps`; return
    what each returned or raised."""
    start = threading.Barrier(THREADS)
    results: list[object] = [None] * THREADS

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = work(apps[i % len(apps)], i)
        except RegistryError as e:
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_identical_commands_at_once_all_get_the_first_answer(
    make_registry: RegistryFactory,
) -> None:
    """8 threads over two registries send the same enrolment with one id at once, for 12
    POST numbers: every answer is the same receipt, and each officer is enrolled once."""
    apps = [make_registry(), make_registry()]
    register_agencies_and_academies(apps[0])
    for n in range(ROUNDS):
        post_number = f"HAMMER-{n}"
        command = enrolment(post_number)
        results = hammer(
            apps, lambda app, i, c=command, k=post_number: app.execute(c, AGENCY, command_id=k)
        )
        refused = [r for r in results if not isinstance(r, Receipt)]
        assert not refused, refused
        same_answer([r for r in results if isinstance(r, Receipt)])
        assert events_of(apps[0], post_number) == 1


def test_identical_batches_at_once_all_get_the_first_answer(
    make_registry: RegistryFactory,
) -> None:
    """The same, through batches of two commands (the import's path)."""
    apps = [make_registry(), make_registry()]
    register_agencies_and_academies(apps[0])
    for n in range(ROUNDS // 2):
        items = [BatchItem(enrolment(f"BATCH-{n}-{k}"), AGENCY, f"batch-{n}-{k}") for k in range(2)]
        results = hammer(apps, lambda app, i, batch=items: app.execute_batch(batch))
        for k in range(2):
            slot = [r[k] for r in results if isinstance(r, list)]
            assert len(slot) == THREADS
            assert all(isinstance(r, Receipt) for r in slot), slot
            same_answer(slot)  # type: ignore[arg-type]
            assert events_of(apps[0], f"BATCH-{n}-{k}") == 1
