"""Signing and verification rates against bare Ed25519, on one core.

    python bench/signing.py [--tokens 2000] [--rounds 5] [--seconds 0.5] [--entries 1000000]

In the same run, pinned to one core where the system allows it:

- **raw verify / raw sign**: `cryptography`'s Ed25519 verify and sign of messages as long
  as a token's signing input (distinct messages, cycled);
- **verify_token**: the full offline verification of distinct tokens (JWS parsing, key
  look-up in the JWK Set, signature, every claim, a 1,000,000-entry signed status list),
  with the JWK Set read once into a `KeySet` (as a server would) and, "... JWKS dict",
  given as the dict every time (read again for every token);
- **sign_token**: a complete token signed from its claims (JSON, base64url, signature);
- the ratios to raw (goal: >= 0.9 for both), and a 1,000,000-entry status list: encode,
  decode once, then the time per look-up.

After one untimed warm-up pass of each, every rate is the best of `--rounds` rounds of
about `--seconds` each, interleaved so that all of them see the same machine.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from registry.signing import (
    KeySet,
    Signer,
    certificate_claims,
    decode,
    encode,
    sign_status_list,
    sign_token,
    verify_token,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
ISSUER = "https://cit-registry.utah.gov"
URI = f"{ISSUER}/status/1"


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
        return "pinned to core 0"
    return "not pinned (no sched_setaffinity here)"


def claims_for(n: int, rng: random.Random, valid_idx: list[int]) -> dict:
    """The claims of a token for certificate `n`, with an index whose status is valid."""
    return certificate_claims(
        iss=ISSUER, number=f"UT-CIT-{n:08d}", credential="cit_officer",
        name=f"Officer {n}", agency="SLCPD", issued_on=date(2025, 9, 15),
        expires_on=date(2027, 9, 15), cert_status="in_force",
        iat=NOW - timedelta(days=1), exp=NOW + timedelta(days=30),
        jti=f"{rng.getrandbits(128):032x}", idx=rng.choice(valid_idx), uri=URI,
    )  # fmt: skip


def rate(work: Callable[[int], None], batch: int, seconds: float) -> float:
    """Calls per second of `work(batch)` run repeatedly for about `seconds`."""
    done, start = 0, time.perf_counter()
    while True:
        work(batch)
        done += batch
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=0.5)
    parser.add_argument("--entries", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {pin_to_one_core()}")

    rng = random.Random(7)
    signer = Signer.generate("token")
    jwks = {"keys": [signer.public_key.jwk(), Signer.generate().public_key.jwk()]}
    values = bytes(rng.choice((0, 0, 0, 0, 0, 0, 0, 0, 1, 2)) for _ in range(args.entries))
    status_list = sign_status_list(
        values, signer=signer, iss=ISSUER, sub=URI, iat=NOW - timedelta(minutes=5),
        ttl=3600, exp=NOW + timedelta(days=1),
    )  # fmt: skip
    valid_idx = [i for i in range(args.entries) if values[i] == 0]
    claims = [claims_for(n, rng, valid_idx) for n in range(args.tokens)]
    tokens = [sign_token(c, signer) for c in claims]
    inputs = [t.rsplit(".", 1)[0].encode("ascii") for t in tokens]
    raw_key = Ed25519PrivateKey.generate()
    raw_public = raw_key.public_key()
    raw_signed = [(raw_key.sign(m), m) for m in inputs]
    first = verify_token(tokens[0], jwks=jwks, status_list=status_list, now=NOW)
    assert first.valid, first.reasons
    print(f"token: {len(tokens[0])} characters, signing input {len(inputs[0])} bytes")
    print(f"status list JWT: {len(status_list)} characters for {args.entries:,} entries")

    def raw_verify(n: int) -> None:
        for sig, message in raw_signed[:n]:
            raw_public.verify(sig, message)

    def raw_sign(n: int) -> None:
        for message in inputs[:n]:
            raw_key.sign(message)

    def full_verify(n: int) -> None:
        for token in tokens[:n]:
            verify_token(token, jwks=key_set, status_list=status_list, now=NOW)

    def full_verify_dict(n: int) -> None:
        for token in tokens[:n]:
            verify_token(token, jwks=jwks, status_list=status_list, now=NOW)

    def full_sign(n: int) -> None:
        for c in claims[:n]:
            sign_token(c, signer)

    key_set = KeySet(jwks)
    work = {
        "raw verify": raw_verify,
        "verify_token": full_verify,
        "... JWKS dict": full_verify_dict,
    }
    work |= {"raw sign": raw_sign, "sign_token": full_sign}
    for fn in work.values():  # warm-up: caches, allocator and CPU settle before timing
        fn(len(tokens))
    best = dict.fromkeys(work, 0.0)
    for _ in range(args.rounds):
        for name, fn in work.items():
            best[name] = max(best[name], rate(fn, len(tokens), args.seconds))
    for name, per_second in best.items():
        print(f"{name:>13}: {per_second:>9,.0f}/s  {1e6 / per_second:7.1f} us each")
    pairs = (("verify_token", "raw verify"), ("... JWKS dict", "raw verify"))
    for full, raw in (*pairs, ("sign_token", "raw sign")):
        print(f"{full} / {raw} = {best[full] / best[raw]:.3f}  (goal >= 0.9)")

    start = time.perf_counter()
    lst = encode(values)
    encoded = time.perf_counter() - start
    start = time.perf_counter()
    statuses = decode(lst)
    decoded = time.perf_counter() - start
    probes = [rng.randrange(args.entries) for _ in range(200_000)]
    start = time.perf_counter()
    for idx in probes:
        statuses.get(idx)
    per_lookup = (time.perf_counter() - start) / len(probes)
    assert all(statuses.get(i) == values[i] for i in probes[:1000])
    print(
        f"status list of {args.entries:,}: lst {len(lst):,} characters, "
        f"encode {encoded * 1e3:.1f} ms, decode once {decoded * 1e3:.1f} ms, "
        f"get {per_lookup * 1e9:.0f} ns per look-up"
    )


if __name__ == "__main__":
    main()
