"""A signed status list checked for one token. Parsed, verified and decoded once per JWT."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from registry.signing.errors import ReasonCode, UnknownKey, VerificationError
from registry.signing.jws import CompactJWS, check_signature, claims_of, header_problems, parse
from registry.signing.keyset import KeySet, key_from_x
from registry.signing.result import Reason, StatusReference
from registry.signing.status_list import STATUS_LIST_TYP, StatusList, decode

LEEWAY_SECONDS = 60
"""Clock skew allowed on exp, nbf and iat (of tokens and status lists)."""

MAX_STATUS_LIST_LENGTH = 1 << 24
"""The longest status list JWT accepted, in characters."""

_NUMBER = (int, float)


@dataclass(frozen=True, slots=True)
class _Listed:
    jws: CompactJWS
    kid: str | None
    header_problem: str | None
    claims: dict[str, Any]
    as_of: datetime
    statuses: StatusList
    fresh_until: float  # no longer fresh past iat + ttl, nor past exp (+ leeway)


def status_from_list(
    jwt: str,
    ref: StatusReference,
    iss: Any,
    keys: KeySet,
    retired: Set[str],
    at: float,
    reasons: list[Reason],
) -> tuple[int | None, datetime | None]:
    """The token's entry in the status list `jwt` and the list's iat; a reason per problem.

    The list must be signed (typ statuslist+jwt) by a key of `keys` that is not retired,
    be the list at the token's uri, from the token's issuer, and not be stale: `at`
    (seconds since the epoch) past its iat + ttl, or past its exp.
    """
    global _trusted
    last = _trusted
    if jwt is last[0] and keys is last[1] and last[2].kid not in retired:
        listed = last[2]  # its header, key and signature checked out with these very keys
    else:
        listed = _parse(jwt)
        if isinstance(listed, Reason):
            reasons.append(listed)
            return None, None
        problem = _trust(jwt, listed, keys, retired)
        if problem:
            reasons.append(problem)
            return None, None
        _trusted = (jwt, keys, listed)
    problem = _match(listed.claims, ref, iss, at)
    if problem:
        reasons.append(problem)
        return None, None
    if at > listed.fresh_until:
        reasons.extend(_staleness(listed.claims, at))
    try:
        return listed.statuses.get(ref.idx), listed.as_of
    except IndexError as e:
        reasons.append(Reason(ReasonCode.STATUS_UNKNOWN, str(e)))
        return None, listed.as_of


# The last status list `_trust` passed, and the KeySet it passed with (KeySets do not
# change): only whether its key is now retired remains to be asked. Kept by reference,
# so `is` cannot be fooled by a new object at the address of a collected one.
_trusted: tuple[Any, Any, Any] = (None, None, None)


def _trust(jwt: str, listed: _Listed, keys: KeySet, retired: Set[str]) -> Reason | None:
    if listed.header_problem:
        return _invalid(listed.header_problem)
    if listed.kid is None:
        return _invalid("its header has no kid")
    if listed.kid in retired:
        return _invalid(f"it is signed by the retired key {listed.kid}")
    try:
        x = keys.x(listed.kid)
    except UnknownKey as e:
        return _invalid(e.message)
    return None if _signed_with(jwt, x) else _invalid("its signature does not match")


def _staleness(claims: dict[str, Any], at: float) -> list[Reason]:
    iat, ttl, exp = claims["iat"], claims.get("ttl"), claims.get("exp")
    reasons = []
    if ttl is not None and at > iat + ttl:
        message = f"the status list of {iso_time(iat)} was to be renewed within {ttl} seconds"
        reasons.append(Reason(ReasonCode.STATUS_LIST_STALE, message))
    if exp is not None and at > exp + LEEWAY_SECONDS:
        message = f"the status list expired at {iso_time(exp)}"
        reasons.append(Reason(ReasonCode.STATUS_LIST_STALE, message))
    return reasons


def _match(claims: dict[str, Any], ref: StatusReference, iss: Any, at: float) -> Reason | None:
    if claims["sub"] != ref.uri:
        return _invalid(f"it is the list at {claims['sub']}, the token's is at {ref.uri}")
    if "iss" in claims and claims["iss"] != iss:
        message = f"the status list is issued by {claims['iss']!r}, the token by {iss!r}"
        return Reason(ReasonCode.ISSUER_MISMATCH, message)
    if claims["iat"] > at + LEEWAY_SECONDS:
        return _invalid(f"it is issued in the future, at {iso_time(claims['iat'])}")
    return None


@lru_cache(maxsize=8)
def _parse(jwt: str) -> _Listed | Reason:
    try:
        jws = parse(jwt, max_length=MAX_STATUS_LIST_LENGTH)
        claims = claims_of(jws)
    except VerificationError as e:
        return _invalid(e.message)
    lst = claims.get("status_list")
    if not (
        isinstance(claims.get("sub"), str)
        and type(claims.get("iat")) in _NUMBER
        and all(type(claims.get(n)) in (*_NUMBER, type(None)) for n in ("ttl", "exp"))
        and (claims.get("ttl") is not None or claims.get("exp") is not None)
        and isinstance(lst, dict)
        and type(lst.get("bits")) is int
        and isinstance(lst.get("lst"), str)
    ):
        return _invalid("it needs sub, iat, ttl or exp, and status_list {bits, lst}")
    try:
        statuses = decode(lst["lst"], bits=lst["bits"])
        as_of = datetime.fromtimestamp(claims["iat"], UTC)
    except VerificationError as e:
        return _invalid(e.message)
    except (OverflowError, OSError, ValueError):
        return _invalid(f"its iat {claims['iat']} is not a time")
    problems = header_problems(jws.header, typ=STATUS_LIST_TYP)
    kid = jws.header.get("kid")
    ttl, exp = claims.get("ttl"), claims.get("exp")
    ends = [claims["iat"] + ttl] if ttl is not None else []
    ends += [exp + LEEWAY_SECONDS] if exp is not None else []
    return _Listed(
        jws=jws,
        kid=kid if isinstance(kid, str) else None,
        header_problem=problems[0].message if problems else None,
        claims=claims,
        as_of=as_of,
        statuses=statuses,
        fresh_until=min(ends),
    )


@lru_cache(maxsize=16)
def _signed_with(jwt: str, x: str) -> bool:
    listed = _parse(jwt)
    if isinstance(listed, Reason):
        return False
    try:
        check_signature(listed.jws, key_from_x(x))
    except VerificationError:
        return False
    return True


def _invalid(why: str) -> Reason:
    return Reason(ReasonCode.STATUS_LIST_INVALID, f"status list refused: {why}")


def iso_time(seconds: float) -> str:
    try:
        return datetime.fromtimestamp(seconds, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return f"{seconds} seconds after the epoch"
