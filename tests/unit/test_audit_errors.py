"""The audit package's errors belong to the registry's one hierarchy, and the HTTP API says
no to each with the status it always gave."""

from __future__ import annotations

import json

import pytest

from registry.api.problems import registry_problem
from registry.audit.check import Failed
from registry.audit.leaf import LeafError
from registry.audit.merkle import ProofError
from registry.audit.note import NoteError
from registry.audit.tree import TreeError
from registry.audit.verifier import AuditError
from registry.domain.errors import InvalidInput, NotFound, RegistryError


@pytest.mark.parametrize(
    ("error", "family", "status", "kind"),
    [
        (TreeError("leaf 9 is not in a tree of 4 leaves"), NotFound, 404, "not-found"),
        (ProofError("proof has wrong size: expected 2, got 3"), InvalidInput, 422, "invalid-input"),
        (NoteError("no blank line before the signatures"), InvalidInput, 422, "invalid-input"),
        (AuditError("checkpoint signature does not verify"), InvalidInput, 422, "invalid-input"),
        (Failed("position 7", "leaf hash differs"), InvalidInput, 422, "invalid-input"),
        (LeafError("event at position 7 has no timestamp"), RegistryError, 422, "registry-error"),
    ],
)
def test_an_audit_error_is_a_registry_error_the_api_maps_to_its_status(
    error: RegistryError, family: type[RegistryError], status: int, kind: str
) -> None:
    assert isinstance(error, family)
    response = registry_problem(error)
    body = json.loads(bytes(response.body))
    assert (response.status_code, body["status"]) == (status, status)
    assert body["type"] == f"urn:cit-registry:problem:{kind}"
    assert body["detail"] == error.message


def test_audit_errors_keep_their_messages_and_their_old_bases() -> None:
    assert str(ProofError("expected 5, got 6")) == "expected 5, got 6"
    assert str(Failed("position 7", "leaf hash differs")) == "position 7: leaf hash differs"
    assert Failed("position 7", "leaf hash differs").message == "leaf hash differs"
    assert isinstance(TreeError("x"), LookupError)
    for error in (ProofError, NoteError, AuditError, LeafError):
        assert isinstance(error("x"), ValueError)
