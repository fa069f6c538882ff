"""The second factor: TOTP (RFC 6238, 30-second steps, 6 digits, SHA-1, as every
authenticator app reads it), with pyotp.

A code is accepted one step early or late (a phone's clock drifts), and never twice:
the step of the last code accepted is kept, and a code of that step or an earlier one
is refused (RFC 6238 section 5.2).
"""

from __future__ import annotations

import hmac
import re
from datetime import datetime

import pyotp

#: The name authenticator apps show beside the account.
ISSUER_NAME = "CIT Registry"
STEP = 30
#: Steps either side of now whose code is accepted.
WINDOW = 1
CODE = re.compile(r"\d{6}")


def new_secret() -> str:
    """A new random secret: 32 base32 characters (160 bits, RFC 4226's recommendation)."""
    return pyotp.random_base32()


def uri(secret: str, email: str) -> str:
    """The otpauth:// URI an authenticator app reads (from a QR code or typed in)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER_NAME)


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def accepted_step(secret: str, code: str, at: datetime, last_step: int | None) -> int | None:
    """The step whose code `code` is, within WINDOW of `at` and after `last_step`; None if
    it is no such code."""
    code = "".join(code.split())
    if not CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    now = int(at.timestamp()) // STEP
    for step in range(now - WINDOW, now + WINDOW + 1):
        if (last_step is None or step > last_step) and hmac.compare_digest(
            totp.at(step * STEP), code
        ):
            return step
    return None
