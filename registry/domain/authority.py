"""Who may issue and renew a certificate: the rule of authority, written once.

The program's rules say that certification is issued by the state, and that training
staff of a state-certified academy record completions and issue certifications. So:

- **The state** issues and renews any certificate (every rule of the program still
  applies to what it issues).
- **Training staff** act for one academy (the actor's `scope`: an academy key, or
  `--role academy --scope CODE` on the command line). Their academy must be
  state-certified on the date of the issue or renewal, and the completion the decision
  rests on must be one they recorded themselves, at their own academy:
  - to issue, the qualifying course (the CIT academy week, the dispatcher course, the
    youth course) that makes the officer eligible;
  - to renew, continuing education of the current cycle that makes up the renewal's
    hours on its own.
  Recording a class gives no other authority: an academy that recorded a CE class or an
  awareness class for an officer trained elsewhere may not issue for them.
- **Nobody else** issues or renews: not agencies, auditors, the public or the system.

A refusal is `Forbidden` (HTTP 403), naming the rule `issuer-authority`; it writes
nothing.
"""

from __future__ import annotations

from datetime import date

from registry.domain import rules
from registry.domain.agency import Academy
from registry.domain.errors import Forbidden
from registry.domain.values import Actor, ActorRole


def acting_academy(actor: Actor, academy: Academy | None, on: date) -> str | None:
    """The academy whose training staff issue or renew on `on`, or None for the state.

    `academy` is the academy the actor acts for (their scope), if any. Refuses any other
    role, training staff without an academy, and an academy not state-certified on `on`.
    """
    if actor.role is ActorRole.STATE:
        return None
    if actor.role is not ActorRole.ACADEMY:
        raise Forbidden(
            rules.ISSUER_AUTHORITY,
            f"the {actor.role.value} role does not issue or renew certificates: the state "
            "or training staff of a state-certified academy do",
        )
    if academy is None:
        raise Forbidden(
            rules.ISSUER_AUTHORITY,
            "training staff issue and renew for their own academy: act for it (an academy "
            "key, or --scope CODE)",
        )
    if not academy.is_state_certified_on(on):
        raise Forbidden(
            rules.ISSUER_AUTHORITY,
            f"academy {academy.code} is not state-certified on {on}: only the state or a "
            "state-certified academy issues or renews state certificates",
        )
    return academy.code


def own_completion(academy_code: str, trained_at: str, recorded_by: Actor | None) -> bool:
    """Whether a completion at `trained_at` was recorded by training staff of
    `academy_code`, at that academy: the only completions it may issue or renew on."""
    return (
        trained_at == academy_code
        and recorded_by is not None
        and recorded_by.role is ActorRole.ACADEMY
        and recorded_by.scope == academy_code
    )


def not_own_course(academy_code: str, credential: str) -> Forbidden:
    """The refusal of an academy that did not record the officer's qualifying course."""
    return Forbidden(
        rules.ISSUER_AUTHORITY,
        f"academy {academy_code} recorded no qualifying course for {credential} at its "
        "academy for this officer: the state, or the academy that trained the officer, issues",
    )


def not_own_hours(academy_code: str, own: float, needed: float) -> Forbidden:
    """The refusal of an academy whose own continuing education does not make up a renewal."""
    return Forbidden(
        rules.ISSUER_AUTHORITY,
        f"academy {academy_code} recorded {own:g} of the {needed:g} hours of continuing "
        "education of this cycle at its academy: the state, or an academy whose own hours "
        "make up the renewal, renews",
    )
