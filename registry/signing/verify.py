"""The one verification of a certificate token, for the CLI, the HTTP API and the web page.

`verify_token` checks a token offline against a JWK Set and a signed status list (or a
live status look-up) and returns every reason it is not valid. It fails closed: a token
is valid only when every check passed, and anything not understood is a reason.

Which reasons are looked for: a token that is not a compact JWS at all (malformed,
oversized) gets that one reason. Otherwise every header problem is reported (alg, typ,
crit, kid); the signature is checked whenever the alg is accepted and the key is in the
JWK Set, even if the typ is wrong or the key retired. Claims are read only once the
signature verified (what an unverified token says means nothing), and then every claim
problem and the status are reported.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Set
from datetime import date, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

from registry.domain.errors import InvalidInput
from registry.signing._listed import LEEWAY_SECONDS, iso_time, status_from_list
from registry.signing.errors import ReasonCode, UnknownKey, VerificationError
from registry.signing.jws import (
    MAX_LENGTH,
    CompactJWS,
    check_signature,
    claims_of,
    decode_header,
    header_problems,
    parse,
)
from registry.signing.keyset import KeySet, is_algorithm, key_set
from registry.signing.result import LiveStatus, Reason, StatusReference, VerificationResult
from registry.signing.token import TOKEN_TYP

_NUMBER = (int, float)
_SHAPE: dict[str, tuple[type, ...]] = {
    "iss": (str,),
    "sub": (str,),
    "jti": (str,),
    "credential": (str,),
    "name": (str, type(None)),  # the name and agency may be withheld (left out)
    "agency": (str, type(None)),
    "issued_on": (str,),
    "expires_on": (str,),
    "cert_status": (str,),
    "iat": _NUMBER,
    "exp": _NUMBER,
    "status": (dict,),
}
_NAMES = tuple(_SHAPE)
_ALL_NAMED = itemgetter(*_NAMES)
# NamedTuple.__new__ is Python code; tuple.__new__ makes the same tuple in half the time
_new_tuple = tuple.__new__
# every combination of the types allowed: one set look-up checks them all
_GOOD_SHAPES = frozenset(itertools.product(*_SHAPE.values()))
# the last `now` given: itself, its timestamp and its date (in its own zone)
_moment: tuple[Any, float, date] = (None, 0.0, date.min)
_CERT_STATUS = {
    "revoked": ReasonCode.REVOKED,
    "suspended": ReasonCode.SUSPENDED,
    "expired": ReasonCode.CERTIFICATE_EXPIRED,
}


def verify_token(
    token: str,
    *,
    jwks: Mapping[str, Any] | KeySet,
    status_list: str | None,
    now: datetime,
    retired: Set[str] = frozenset(),
    live_status: LiveStatus | None = None,
    issuer: str | None = None,
    max_length: int = MAX_LENGTH,
) -> VerificationResult:
    """Verify a certificate token, offline, and give every reason it is not valid.

    - `jwks`: the registry's JWK Set (RFC 7517), as a dict (read once per content, then
      cached) or as a `KeySet`. The token and the status list must be signed by keys
      in it whose kids are not in `retired`.
    - `status_list`: the signed status list (`statuslist+jwt`) at the token's status uri.
      It is stale, so the token is not valid, once `now` is past its iat + ttl (or its
      exp). Keep passing the same string: it is verified and decoded once, then cached.
    - `live_status`: if given, it is asked instead of the status list, as of `now`; it
      may raise (the database is down): that is not an answer, so it propagates.
      With neither a status list nor a live status, the status is unknown: not valid.
    - `now`: an aware datetime. Leeway on exp, nbf and iat: 60 seconds. "Today", for the
      certificate's `expires_on` (not in force from that day on, as in the domain), is
      `now`'s date in its own zone: pass `now` in the registry's zone.
    - `issuer`: if given, the token's `iss` must be exactly it.
    """
    global _moment
    moment = _moment  # read once: another thread may replace it
    if now is not moment[0]:  # datetimes are immutable: the same one, the same moment
        if not isinstance(now, datetime) or now.utcoffset() is None:
            raise InvalidInput("now must be a timezone-aware datetime")
        moment = _moment = (now, now.timestamp(), now.date())
    _, at, today = moment
    try:
        jws = parse(token, max_length=max_length)
    except VerificationError as e:
        return VerificationResult(False, (Reason(e.code, e.message),))
    reasons = list(_header_reasons(jws.head))
    kid = jws.header.get("kid")
    keys = key_set(jwks)
    claims = _signed_claims(jws, kid, keys, retired, reasons)
    if claims is None:
        return VerificationResult(False, tuple(reasons), kid=kid if type(kid) is str else None)
    status = as_of = None
    ref = _all_good(claims, at, today, issuer)
    if ref is None:  # something is wrong: find every reason
        _check_claims(claims, today, at, issuer, reasons)
        ref = _reference(claims, reasons)
    if ref is not None:
        if live_status is not None:
            status, as_of = live_status(ref), now
            if status is None:
                reasons.append(
                    Reason(ReasonCode.STATUS_UNKNOWN, f"no status for {ref.certificate}")
                )
        elif status_list is not None:
            iss = claims.get("iss")
            status, as_of = status_from_list(status_list, ref, iss, keys, retired, at, reasons)
        else:
            message = "neither a status list nor a live status was given"
            reasons.append(Reason(ReasonCode.STATUS_UNKNOWN, message))
        if status:
            _judge_status(status, ref, reasons)
    result = (not reasons, tuple(reasons), claims, as_of, kid, status)
    return _new_tuple(VerificationResult, result)


@lru_cache(maxsize=64)
def _header_reasons(head: bytes) -> tuple[Reason, ...]:
    problems = header_problems(decode_header(head), typ=TOKEN_TYP)
    return tuple(Reason(e.code, e.message) for e in problems)


def _signed_claims(
    jws: CompactJWS, kid: Any, keys: KeySet, retired: Set[str], reasons: list[Reason]
) -> dict[str, Any] | None:
    if type(kid) is not str:
        reasons.append(Reason(ReasonCode.UNKNOWN_KEY, "the header has no kid"))
        return None
    if kid in retired:
        reasons.append(Reason(ReasonCode.RETIRED_KEY, f"key {kid} is retired"))
    try:
        key = keys.key(kid)
    except UnknownKey as e:
        if kid not in retired:
            reasons.append(Reason(e.code, e.message))
        return None
    if not is_algorithm(jws.header.get("alg")):
        return None  # already a reason; never check a signature under another algorithm
    try:
        check_signature(jws, key)
        return claims_of(jws)
    except VerificationError as e:
        reasons.append(Reason(e.code, e.message))
        return None


def _all_good(
    claims: dict[str, Any], at: float, today: date, issuer: str | None
) -> StatusReference | None:
    """The status reference if every claim passes at a glance; None if any may not.

    Only a shortcut for valid tokens: where it says yes, `_check_claims` and `_reference`
    find no reason and the same reference; anything else goes to them.
    """
    try:
        shape = tuple(map(type, _ALL_NAMED(claims)))
    except KeyError:  # one is missing (the name or agency may be): the full check says
        return None
    if not (
        shape in _GOOD_SHAPES
        and claims.get("nbf") is None
        and claims["cert_status"] == "in_force"
        and claims["iat"] - LEEWAY_SECONDS <= at <= claims["exp"] + LEEWAY_SECONDS
        and (issuer is None or claims["iss"] == issuer)
    ):
        return None
    issued_on, expires_on = _iso_date(claims["issued_on"]), _iso_date(claims["expires_on"])
    if issued_on is None or expires_on is None or not issued_on <= today < expires_on:
        return None
    entry = claims["status"].get("status_list")
    if type(entry) is dict:
        idx, uri = entry.get("idx"), entry.get("uri")
        if type(idx) is int and idx >= 0 and type(uri) is str:
            return _new_tuple(StatusReference, (uri, idx, claims["sub"]))
    return None


def _check_claims(
    claims: dict[str, Any], today: date, at: float, issuer: str | None, reasons: list[Reason]
) -> None:
    wrong: list[str] = []
    if tuple(map(type, map(claims.get, _NAMES))) not in _GOOD_SHAPES:
        wrong = [name for name, kinds in _SHAPE.items() if type(claims.get(name)) not in kinds]
    nbf = claims.get("nbf")
    if nbf is not None and type(nbf) not in _NUMBER:
        wrong.append("nbf")
    if wrong:
        message = f"claims missing or of the wrong type: {', '.join(wrong)}"
        reasons.append(Reason(ReasonCode.MALFORMED, message))
    exp: Any = claims.get("exp")
    iat: Any = claims.get("iat")
    if "exp" not in wrong and at > exp + LEEWAY_SECONDS:
        reasons.append(Reason(ReasonCode.EXPIRED_TOKEN, f"the token expired at {iso_time(exp)}"))
    if "iat" not in wrong and at < iat - LEEWAY_SECONDS:
        reasons.append(Reason(ReasonCode.NOT_YET_VALID, f"the token is issued at {iso_time(iat)}"))
    if nbf is not None and "nbf" not in wrong and at < nbf - LEEWAY_SECONDS:
        reasons.append(Reason(ReasonCode.NOT_YET_VALID, f"the token is valid from {iso_time(nbf)}"))
    _check_certificate(claims, today, wrong, reasons)
    if issuer is not None and claims.get("iss") != issuer:
        message = f"the token is issued by {claims.get('iss')!r}, expected {issuer!r}"
        reasons.append(Reason(ReasonCode.ISSUER_MISMATCH, message))


def _check_certificate(
    claims: dict[str, Any], today: date, wrong: list[str], reasons: list[Reason]
) -> None:
    issued_on, expires_on = claims.get("issued_on"), claims.get("expires_on")
    issued_on = _iso_date(issued_on) if type(issued_on) is str else None
    expires_on = _iso_date(expires_on) if type(expires_on) is str else None
    if (issued_on is None or expires_on is None) and not {"issued_on", "expires_on"} & set(wrong):
        reasons.append(Reason(ReasonCode.MALFORMED, "issued_on and expires_on are YYYY-MM-DD"))
    if expires_on is not None and expires_on <= today:
        message = f"the certificate expired on {expires_on}"
        reasons.append(Reason(ReasonCode.CERTIFICATE_EXPIRED, message))
    if issued_on is not None and issued_on > today:
        message = f"the certificate is issued on {issued_on}"
        reasons.append(Reason(ReasonCode.NOT_YET_VALID, message))
    cert_status: Any = claims.get("cert_status")
    if cert_status != "in_force" and "cert_status" not in wrong:
        code = _CERT_STATUS.get(cert_status, ReasonCode.CERTIFICATE_NOT_IN_FORCE)
        message = f"the certificate was {cert_status!r}, not in force, when the token was signed"
        reasons.append(Reason(code, message))


def _reference(claims: dict[str, Any], reasons: list[Reason]) -> StatusReference | None:
    status = claims.get("status")
    entry = status.get("status_list") if type(status) is dict else None
    if type(entry) is dict:
        idx, uri = entry.get("idx"), entry.get("uri")
        if type(idx) is int and idx >= 0 and type(uri) is str:
            return StatusReference(uri, idx, str(claims.get("sub")))
    message = "status.status_list must hold idx (a whole number >= 0) and uri (a string)"
    reasons.append(Reason(ReasonCode.MALFORMED, message))
    return None


def _judge_status(status: int, ref: StatusReference, reasons: list[Reason]) -> None:
    where = f"entry {ref.idx} of the status list at {ref.uri}"
    if status == 1:
        reasons.append(Reason(ReasonCode.REVOKED, f"{where} says invalid: revoked"))
    elif status == 2:
        reasons.append(Reason(ReasonCode.SUSPENDED, f"{where} says suspended"))
    else:
        reasons.append(Reason(ReasonCode.STATUS_UNKNOWN, f"{where} is {status}, a reserved value"))


@lru_cache(maxsize=4096)
def _iso_date(value: str) -> date | None:
    # Only YYYY-MM-DD: date.fromisoformat alone would also take 20250915 or 2025-W37-1.
    if len(value) != 10 or value[4] != "-" or value[7] != "-":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
