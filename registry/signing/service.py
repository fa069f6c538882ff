"""The registry's signing service: keys on disk, their lifecycle in the log, tokens, status list.

Private keys stay in the key folder (REGISTRY_KEY_DIR); only their public halves are
recorded, as events, so auditors can see which key was valid when. Tokens and the
status list are read from the projections, caught up first, so a revocation or a
suspension is in the next list as soon as it is projected.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta

from registry.application import Registry
from registry.audit import checkpoints
from registry.domain.commands import PublishKey, RetireKey
from registry.domain.errors import IdempotencyConflict, RuleViolation
from registry.domain.values import Actor, ActorRole
from registry.projections import queries
from registry.projections.runner import Runner
from registry.signing.errors import KeyStoreError
from registry.signing.keys import KeyStore, PublicKey, Signer
from registry.signing.status_list import sign_status_list
from registry.signing.token import certificate_claims, sign_token

#: The id of the registry's one status list, in its URI.
STATUS_LIST_ID = "1"
#: Who records a key made on first use.
SYSTEM = Actor("registry", ActorRole.SYSTEM)
#: The rule that refuses a token for a certificate not in force.
NOT_IN_FORCE = "token-needs-certificate-in-force"
#: The purposes whose first key is published before anything is signed: tokens and status
#: lists, and log checkpoints. The webhook key is made when the first endpoint is registered.
PURPOSES = ("token", "checkpoint")
#: The command id of the publication of a purpose's first key: one first key, whichever
#: of several processes starting at once gets there first.
FIRST_KEY = "registry:first-key:{purpose}"


class Signing:
    """Keys, tokens and the status list of one registry."""

    def __init__(
        self, app: Registry, runner: Runner | None = None, keys: KeyStore | None = None
    ) -> None:
        self.app = app
        self.runner = runner or Runner(app)
        self.keys = keys or KeyStore(app.settings.keys_folder())
        self.issuer = app.settings.issuer
        self.origin = app.settings.origin()
        self._signers: dict[str, Signer] = {}
        if self.runner.tree is not None:
            # The tree's runner signs a checkpoint after each batch it applies.
            self.runner.tree.after_batch = self.checkpoint

    # -------------------------------------------------------------------- keys

    def published(self, purpose: str = "token") -> list[PublicKey]:
        """Keys that verify: published in the log and not retired."""
        keys = self.app.signing_keys(purpose)
        if keys is None:
            return []
        return [PublicKey(k.kid, purpose, k.x) for k in keys.published()]

    def retired(self, purpose: str = "token") -> set[str]:
        keys = self.app.signing_keys(purpose)
        return {k.kid for k in keys.retired()} if keys else set()

    def jwks(self, purpose: str = "token") -> dict[str, list[dict[str, str]]]:
        """The RFC 7517 JWK Set of every published key: all a verifier needs."""
        return {"keys": [key.jwk() for key in self.published(purpose)]}

    def rotate(self, actor: Actor, purpose: str = "token") -> str:
        """Make a new key, publish it, and sign with it from now on. Returns its kid."""
        public = self.keys.create(purpose)
        self.app.execute(PublishKey(purpose=purpose, kid=public.kid, x=public.x), actor)
        return public.kid

    def retire(self, kid: str, reason: str, actor: Actor, purpose: str = "token") -> None:
        """Retire a published key: what it signed no longer verifies."""
        self.app.execute(RetireKey(purpose=purpose, kid=kid, reason=reason), actor)

    def publish_first_keys(self) -> list[str]:
        """Make and publish a first key of each purpose (token, checkpoint) that has none:
        on a fresh registry, so that its public keys can be fetched and pinned before
        anything is signed. Returns the kids published now (none when every purpose has
        a key). Safe in several processes at once: one first key per purpose is published."""
        return [kid for purpose in PURPOSES if (kid := self._first_key(purpose)) is not None]

    def _first_key(self, purpose: str) -> str | None:
        keys = self.app.signing_keys(purpose)
        if keys is not None and keys.active is not None:
            return None
        public = self.keys.create(purpose)
        command = PublishKey(purpose=purpose, kid=public.kid, x=public.x)
        try:
            self.app.execute(command, SYSTEM, command_id=FIRST_KEY.format(purpose=purpose))
        except IdempotencyConflict:
            # Another process published its first key meanwhile: that one signs. This one
            # was never published; its private half goes.
            (self.keys.directory / purpose / f"{public.kid}.pem").unlink(missing_ok=True)
            return None
        return public.kid

    def signer(self, purpose: str = "token") -> Signer:
        """The key that signs now; on first use one is made and published."""
        keys = self.app.signing_keys(purpose)
        if keys is None or keys.active is None:
            self._first_key(purpose)  # this process's, or another's made meanwhile
            keys = self.app.signing_keys(purpose)
            assert keys is not None and keys.active is not None
        if keys.active not in self._signers:
            if keys.active not in self.keys.kids(purpose):
                raise KeyStoreError(
                    f"the {purpose} key that signs now ({keys.active}) is not in the key folder "
                    f"{self.keys.directory}: restore it, or rotate to a new key"
                )
            self._signers[keys.active] = self.keys.signer(keys.active, purpose)
        return self._signers[keys.active]

    # ------------------------------------------------------------------ tokens

    def status_list_uri(self) -> str:
        return f"{self.issuer}/v1/status-lists/{STATUS_LIST_ID}"

    def issue_token(self, number: str, *, now: datetime | None = None) -> str:
        """A signed token for a certificate in force today; refused for any other."""
        now = now or self.app.now()
        self.runner.catch_up(only=self.runner.read_models)
        today = self.app.clock()
        status = queries.certificate_status(self.runner.views, number, today)
        if not status.in_force or status.expires_on is None or status.issued_on is None:
            raise RuleViolation(
                NOT_IN_FORCE, f"certificate {status.number} is {status.status.value} on {today}"
            )
        lapses = datetime.combine(status.expires_on, time(), tzinfo=self.app.settings.zone())
        claims = certificate_claims(
            iss=self.issuer,
            number=status.number,
            credential=status.credential.value,
            # Withheld officers' tokens carry only the certificate and its dates.
            name=None if status.withheld else status.holder_name,
            agency=None if status.withheld else status.agency_code,
            issued_on=status.issued_on,
            expires_on=status.expires_on,
            cert_status=status.status.value,
            iat=now,
            exp=min(now + timedelta(days=self.app.policy.token_max_days), lapses),
            jti=uuid.uuid4().hex,
            idx=status.status_idx,
            uri=self.status_list_uri(),
            log_position=queries.certification_position(self.runner.views, status.number),
        )
        return sign_token(claims, self.signer())

    def status_list(self, *, now: datetime | None = None) -> str:
        """The signed status list of every certificate as it stands today."""
        now = now or self.app.now()
        self.runner.catch_up(only=self.runner.read_models)
        values = queries.status_list_values(self.runner.views, self.app.clock())
        ttl = timedelta(seconds=self.app.policy.status_list_ttl_seconds)
        return sign_status_list(
            values,
            signer=self.signer(),
            iss=self.issuer,
            sub=self.status_list_uri(),
            iat=now,
            ttl=ttl,
            exp=now + ttl,
        )

    # ------------------------------------------------------------- checkpoints

    def checkpoint(self) -> checkpoints.Kept:
        """Sign and keep a checkpoint of the log's Merkle tree as it stands (the tree as
        projected: catch it up first for one of the whole log)."""
        return checkpoints.make(
            self.runner.views, self.signer("checkpoint"), self.origin, now=self.app.now()
        )

    def log_keys(self) -> list[str]:
        """The signed-note verifier keys of the published checkpoint keys, the one that
        signs now first."""
        keys = self.app.signing_keys("checkpoint")
        active = keys.active if keys else None
        published = sorted(self.published("checkpoint"), key=lambda k: k.kid != active)
        return [checkpoints.log_key(self.origin, key) for key in published]
