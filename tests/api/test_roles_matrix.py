"""The roles matrix: every operation of the live OpenAPI document, called by every caller.

For each operation the test builds one request that is valid (so a refusal is about who
calls, never about the input: the same request then succeeds for a caller it allows),
aimed at NORTHPD's records and the UPA academy. Then every caller sends it:

- the public (no key): 401 unless the operation is public;
- a revoked key (of the state, which may do anything): 401 everywhere, even where the
  public gets in: a bad key is never taken for the public;
- a role outside the operation's `x-roles`: 403;
- a role inside them but out of scope (SOUTHPD's agency key on NORTHPD's records, another
  academy's key on UPA's training): 403;
- every caller the operation allows, in scope: 2xx (a command is sent with a fresh
  subject each time, so that each one is valid when sent).

Every refusal is a problem response and writes nothing: the log position on /healthz is
the same after all of an operation's refusals as before them.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, WebSocket

import registry.api.app as app_module
from registry.access import ApiKeys
from registry.api.app import create_app, declare_roles
from registry.api.auth import allow
from registry.application import Registry
from registry.config import Settings
from registry.domain import commands as c
from registry.domain.access import ApiRole
from tests.api.conftest import ACADEMY, CALLERS, HOME, OTHER, STATE, Api, days_ago
from tests.api.steps import certify, enrol, ok, train

PROBLEM = "application/problem+json"
#: A second academy, and the key of its training staff (out of scope at UPA).
OTHER_ACADEMY = "OGDEN-CIT"
#: Every caller, by name: its role, and whether it is scoped away from NORTHPD and UPA.
ROLE_OF = {name: role for name, (role, _, _) in CALLERS.items()} | {
    "other_academy": ApiRole.ACADEMY,
    "public": ApiRole.PUBLIC,
    "revoked": ApiRole.STATE,
}
OUT_OF_SCOPE = {"other_agency", "other_academy"}
ALL_CALLERS = ["public", "revoked", *CALLERS, "other_academy"]


@dataclass
class Call:
    """One HTTP request."""

    method: str
    path: str
    json: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def send(self, client: httpx.Client) -> httpx.Response:
        return client.request(
            self.method,
            self.path,
            json=self.json,
            params=self.params,
            content=self.content,
            headers=self.headers,
        )


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Every operation of an OpenAPI document, by (METHOD, path template)."""
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("get", "put", "post", "patch", "delete")
    }


class World:
    """Records to aim requests at, made by the state as they are needed: NORTHPD officers
    (enrolled, trained at UPA, certified), an officer between agencies, spare agencies,
    academies and signing keys."""

    def __init__(self, api: Api, clients: dict[str, httpx.Client]) -> None:
        self.api = api
        self.state = api.client("state")
        self.clients = clients
        self._count = itertools.count(1)
        self._cached: dict[str, Any] = {}

    def unique(self, prefix: str) -> str:
        return f"{prefix}{next(self._count)}"

    def officer(self, agency: str = HOME) -> str:
        """A new officer enrolled at `agency`, with two years of patrol."""
        return enrol(self.api, self.unique("RM-"), agency)

    def trained(self) -> str:
        """A new NORTHPD officer with the academy week at UPA and both exams passed, as
        UPA's training staff recorded them (so that UPA, as the state, may issue)."""
        officer = self.officer()
        train(self.api, officer, caller="academy")
        return officer

    def certified(self, *, ce_hours: float = 0) -> tuple[str, str]:
        """A new NORTHPD officer certified 50 days ago (with `ce_hours` of CE since):
        (officer id, certificate number)."""
        officer = self.trained()
        number = certify(self.api, officer, days=50)
        if ce_hours:  # taught and recorded at UPA (so that UPA, as the state, may renew)
            ok(
                self.api.client("academy").post(
                    f"/v1/officers/{officer}/trainings",
                    json={
                        "kind": "continuing_education",
                        "hours": ce_hours,
                        "academy_code": ACADEMY,
                        "completed_on": days_ago(10).isoformat(),
                    },
                )
            )
        return officer, number

    def suspended(self) -> str:
        """The number of a new certificate, suspended."""
        _, number = self.certified()
        ok(
            self.state.post(
                f"/v1/certifications/{number}/suspensions", json={"reason": "under review"}
            )
        )
        return number

    def between_agencies(self) -> str:
        """A new officer who left SOUTHPD and is with no agency yet."""
        officer = self.officer(OTHER)
        ok(
            self.state.post(
                f"/v1/officers/{officer}/separations",
                json={"reason": "resigned", "effective_on": days_ago(5).isoformat()},
            )
        )
        return officer

    def agency(self) -> str:
        code = self.unique("RMPD")
        ok(self.state.post("/v1/agencies", json=agency_body(code)))
        return code

    def academy(self) -> str:
        code = self.unique("RMACAD")
        ok(
            self.state.post(
                "/v1/academies",
                json={"code": code, "name": "Matrix Academy", "state_certified": True},
            )
        )
        return code

    def retirable_kid(self) -> str:
        """A checkpoint key that no longer signs and is not retired (rotating one out)."""
        keys = ok(self.state.post("/v1/signing-keys/checkpoint/rotation"))["keys"]
        return next(k["kid"] for k in keys if not k["signs"] and k["retired_on"] is None)

    def cached(self, name: str, make: Callable[[], Any]) -> Any:
        if name not in self._cached:
            self._cached[name] = make()
        return self._cached[name]

    @property
    def home_officer(self) -> tuple[str, str]:
        """A certified NORTHPD officer, for reads: (id, number)."""
        return self.cached("home", self.certified)

    def new_endpoint(self) -> str:
        """A new webhook endpoint of NORTHPD (at the discard port: nothing answers there)."""
        body = {"url": "http://127.0.0.1:9/hooks", "events": ["certificate.suspended"]}
        return str(ok(self.state.post(HOOKS, json=body))["id"])

    @property
    def endpoint(self) -> str:
        return str(self.cached("endpoint", self.new_endpoint))

    def delivery(self) -> str:
        """A delivery to `endpoint` (of a suspension), once the server's worker made it."""

        def made() -> str:
            number = self.certified()[1]
            ok(self.state.post(f"{CERTIFICATE.format(number=number)}/suspensions",
                               json={"reason": "complaint"}))  # fmt: skip
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                found = self.state.get(f"{HOOKS}/{self.endpoint}/deliveries").json()
                if found:
                    return str(found[0]["msg_id"])
                time.sleep(0.05)
            raise AssertionError("the server's worker made no delivery")

        return str(self.cached("delivery", made))

    def candidate(self) -> dict[str, str]:
        """A SOUTHPD officer's certificate and POST numbers, as a candidate hands them over
        to NORTHPD, which is hiring."""
        post = self.unique("CAND-")
        officer = enrol(self.api, post, OTHER)
        train(self.api, officer)
        return {"certificate_number": certify(self.api, officer, days=50), "post_number": post}

    def new_watch(self) -> str:
        return str(ok(self.state.post(WATCHES, json=self.candidate()))["id"])

    def token(self) -> str:
        number = self.home_officer[1]
        return str(
            self.cached(
                "token",
                lambda: ok(self.state.get(f"/v1/certifications/{number}/token"))["token"],
            )
        )


def agency_body(code: str) -> dict[str, Any]:
    return {
        "code": code,
        "name": f"{code} Police",
        "region": "Wasatch",
        "districts": ["North", "South"],
        "shifts": ["Day", "Night"],
    }


@dataclass(frozen=True)
class Spec:
    """How to build a valid request for an operation, and who is out of its scope."""

    build: Callable[[World], Call]
    #: Callers whose role may be allowed but whose agency or academy is not the one the
    #: request is about.
    out_of_scope: frozenset[str] = frozenset(OUT_OF_SCOPE)
    #: Build a new request for each caller let through (a command changes its subject).
    fresh: bool = True


def read(
    build: Callable[[World], Call], out_of_scope: frozenset[str] = frozenset(OUT_OF_SCOPE)
) -> Spec:
    return Spec(build, out_of_scope, fresh=False)


UNSCOPED: frozenset[str] = frozenset()
HOOKS = f"/v1/agencies/{HOME}/webhooks"
WATCHES = f"/v1/agencies/{HOME}/watches"
HOME_OFFICER = "/v1/officers/{id}"
CERTIFICATE = "/v1/certifications/{number}"


def import_csv(w: World) -> Call:
    code = w.unique("IMPPD")
    csv = (
        "record,date,code,name,region,districts,shifts\n"
        f"agency,2015-01-01,{code},Imported Police,Wasatch,North;South,Day;Night\n"
    )
    return Call("POST", "/v1/imports", content=csv.encode(), headers={"content-type": "text/csv"})


def officer_command(
    path: str, body: Callable[[World], Any], subject: str = "officer"
) -> Callable[[World], Call]:
    def build(w: World) -> Call:
        officer = {
            "officer": w.officer,
            "trained": w.trained,
            "certified": lambda: w.certified()[0],
        }[subject]()
        return Call("POST", f"/v1/officers/{officer}/{path}", json=body(w))

    return build


def certificate_command(
    path: str, body: dict[str, Any], subject: str = "certified", **kwargs: Any
) -> Callable[[World], Call]:
    def build(w: World) -> Call:
        number = w.suspended() if subject == "suspended" else w.certified(**kwargs)[1]
        return Call("POST", f"{CERTIFICATE.format(number=number)}/{path}", json=body)

    return build


SPECS: dict[tuple[str, str], Spec] = {
    # health, agencies, academies
    ("GET", "/healthz"): read(lambda w: Call("GET", "/healthz"), UNSCOPED),
    ("POST", "/v1/agencies"): Spec(
        lambda w: Call("POST", "/v1/agencies", json=agency_body(w.unique("NEWPD"))), UNSCOPED
    ),
    ("GET", "/v1/agencies"): read(lambda w: Call("GET", "/v1/agencies"), UNSCOPED),
    ("GET", "/v1/agencies/{code}"): read(lambda w: Call("GET", f"/v1/agencies/{HOME}"), UNSCOPED),
    ("PATCH", "/v1/agencies/{code}"): Spec(
        lambda w: Call("PATCH", f"/v1/agencies/{w.agency()}", json={"region": "Uintah"})
    ),
    ("GET", "/v1/agencies/{code}/roster"): read(
        lambda w: Call("GET", f"/v1/agencies/{HOME}/roster")
    ),
    ("GET", "/v1/agencies/{code}/coverage"): read(
        lambda w: Call("GET", f"/v1/agencies/{HOME}/coverage")
    ),
    ("GET", "/v1/agencies/{code}/expiring"): read(
        lambda w: Call("GET", f"/v1/agencies/{HOME}/expiring", params={"within_days": 730})
    ),
    ("GET", "/v1/agencies/{code}/changes"): read(
        lambda w: Call("GET", f"/v1/agencies/{HOME}/changes", params={"after": 0})
    ),
    ("POST", "/v1/academies"): Spec(
        lambda w: Call(
            "POST",
            "/v1/academies",
            json={"code": w.unique("NEWACAD"), "name": "New Academy", "state_certified": False},
        ),
        UNSCOPED,
    ),
    ("POST", "/v1/academies/{code}/certification"): Spec(
        lambda w: Call(
            "POST",
            f"/v1/academies/{w.academy()}/certification",
            json={"state_certified": False, "reason": "lapsed"},
        ),
        UNSCOPED,
    ),
    # imports and keys
    ("POST", "/v1/imports"): Spec(import_csv, UNSCOPED),
    ("GET", "/v1/signing-keys/{purpose}"): read(
        lambda w: Call("GET", "/v1/signing-keys/token"), UNSCOPED
    ),
    ("POST", "/v1/signing-keys/{purpose}/rotation"): Spec(
        lambda w: Call("POST", "/v1/signing-keys/checkpoint/rotation"), UNSCOPED
    ),
    ("POST", "/v1/signing-keys/{purpose}/{kid}/retirement"): Spec(
        lambda w: Call(
            "POST",
            f"/v1/signing-keys/checkpoint/{w.retirable_kid()}/retirement",
            json={"reason": "rotated out"},
        ),
        UNSCOPED,
    ),
    # officers
    ("POST", "/v1/officers"): Spec(
        lambda w: Call(
            "POST",
            "/v1/officers",
            json={
                "post_number": w.unique("ENR-"),
                "name": "New Officer",
                "agency_code": HOME,
                "patrol_experience_began_on": days_ago(800).isoformat(),
            },
        )
    ),
    ("GET", HOME_OFFICER): read(lambda w: Call("GET", f"/v1/officers/{w.home_officer[0]}")),
    ("GET", f"{HOME_OFFICER}/history"): read(
        lambda w: Call("GET", f"/v1/officers/{w.home_officer[0]}/history")
    ),
    ("GET", f"{HOME_OFFICER}/timeline"): read(
        lambda w: Call("GET", f"/v1/officers/{w.home_officer[0]}/timeline")
    ),
    ("POST", f"{HOME_OFFICER}/trainings"): Spec(
        officer_command(
            "trainings",
            lambda w: {
                "kind": "cit_academy",
                "hours": 40,
                "academy_code": ACADEMY,
                "began_on": days_ago(30).isoformat(),
                "completed_on": days_ago(26).isoformat(),
            },
        )
    ),
    ("POST", f"{HOME_OFFICER}/exams"): Spec(
        officer_command(
            "exams",
            lambda w: {"kind": "written", "passed": True, "taken_on": days_ago(20).isoformat()},
            "trained",  # an academy records exams of the officers it trains
        )
    ),
    ("POST", f"{HOME_OFFICER}/certifications"): Spec(
        officer_command("certifications", lambda w: {"credential": "cit_officer"}, "trained")
    ),
    ("POST", f"{HOME_OFFICER}/separations"): Spec(
        officer_command("separations", lambda w: {"reason": "resigned"})
    ),
    ("POST", f"{HOME_OFFICER}/transfers"): Spec(
        lambda w: Call(
            "POST",
            f"/v1/officers/{w.between_agencies()}/transfers",
            json={"agency_code": HOME, "district": "South", "shift": "Night"},
        )
    ),
    ("POST", f"{HOME_OFFICER}/assignments"): Spec(
        officer_command("assignments", lambda w: {"district": "South", "shift": "Night"})
    ),
    ("POST", f"{HOME_OFFICER}/post-status"): Spec(
        officer_command("post-status", lambda w: {"status": "inactive"})
    ),
    ("POST", f"{HOME_OFFICER}/corrections"): Spec(
        officer_command(
            "corrections",
            lambda w: {
                "corrects_version": 1,
                "reason": "name misspelt",
                "amendments": {"name": "Matrix A. Officer"},
            },
        )
    ),
    ("POST", f"{HOME_OFFICER}/withholding"): Spec(
        officer_command("withholding", lambda w: {"withheld": True, "reason": "protective order"})
    ),
    # certifications
    ("GET", CERTIFICATE): read(
        lambda w: Call("GET", f"/v1/certifications/{w.home_officer[1]}"), UNSCOPED
    ),
    ("POST", f"{CERTIFICATE}/renewals"): Spec(certificate_command("renewals", {}, ce_hours=8)),
    ("POST", f"{CERTIFICATE}/suspensions"): Spec(
        certificate_command("suspensions", {"reason": "complaint"})
    ),
    ("POST", f"{CERTIFICATE}/reinstatements"): Spec(
        certificate_command("reinstatements", {"reason": "cleared"}, "suspended")
    ),
    ("POST", f"{CERTIFICATE}/revocations"): Spec(
        certificate_command("revocations", {"reason": "misconduct"})
    ),
    ("GET", f"{CERTIFICATE}/token"): read(
        lambda w: Call("GET", f"/v1/certifications/{w.home_officer[1]}/token")
    ),
    # verification
    ("POST", "/v1/verifications"): read(
        lambda w: Call("POST", "/v1/verifications", json={"token": w.token()}), UNSCOPED
    ),
    ("GET", "/.well-known/jwks.json"): read(
        lambda w: Call("GET", "/.well-known/jwks.json"), UNSCOPED
    ),
    ("GET", "/v1/status-lists/{id}"): read(lambda w: Call("GET", "/v1/status-lists/1"), UNSCOPED),
    # the tamper-evident history
    ("GET", "/v1/audit/checkpoint"): read(lambda w: Call("GET", "/v1/audit/checkpoint"), UNSCOPED),
    ("GET", "/v1/audit/log-key"): read(lambda w: Call("GET", "/v1/audit/log-key"), UNSCOPED),
    ("GET", "/v1/audit/leaves"): read(
        lambda w: Call("GET", "/v1/audit/leaves", params={"start": 0, "end": 2}), UNSCOPED
    ),
    ("GET", "/v1/audit/inclusion"): read(
        lambda w: Call("GET", "/v1/audit/inclusion", params={"index": 0}), UNSCOPED
    ),
    ("POST", "/v1/agencies/{code}/webhooks"): Spec(
        lambda w: Call("POST", HOOKS, json={"url": "http://127.0.0.1:9/h", "events": []})
    ),
    ("GET", "/v1/agencies/{code}/webhooks"): read(lambda w: Call("GET", HOOKS)),
    ("POST", "/v1/agencies/{code}/webhooks/{endpoint_id}/secret"): Spec(
        lambda w: Call("POST", f"{HOOKS}/{w.endpoint}/secret")
    ),
    ("POST", "/v1/agencies/{code}/webhooks/{endpoint_id}/disable"): Spec(
        lambda w: Call("POST", f"{HOOKS}/{w.new_endpoint()}/disable", json={"reason": "moved"})
    ),
    ("GET", "/v1/agencies/{code}/webhooks/{endpoint_id}/deliveries"): read(
        lambda w: Call("GET", f"{HOOKS}/{w.endpoint}/deliveries")
    ),
    ("POST", "/v1/agencies/{code}/webhooks/{endpoint_id}/deliveries/{msg_id}/replay"): read(
        lambda w: Call("POST", f"{HOOKS}/{w.endpoint}/deliveries/{w.delivery()}/replay")
    ),
    ("POST", "/v1/agencies/{code}/watches"): Spec(
        lambda w: Call("POST", WATCHES, json=w.candidate())
    ),
    ("GET", "/v1/agencies/{code}/watches"): read(lambda w: Call("GET", WATCHES)),
    ("DELETE", "/v1/agencies/{code}/watches/{watch_id}"): Spec(
        lambda w: Call("DELETE", f"{WATCHES}/{w.new_watch()}")
    ),
    ("GET", "/v1/audit/consistency"): read(
        lambda w: Call("GET", "/v1/audit/consistency", params={"first": 1}), UNSCOPED
    ),
}


@pytest.fixture(scope="module")
def world(api: Api) -> World:
    """The world of the matrix, and a client for every caller: the seeded ones, another
    academy's staff, and a state key that was revoked."""
    app = Registry(Settings(database=api.database))
    try:
        app.execute(
            c.RegisterAcademy(code=OTHER_ACADEMY, name="Ogden CIT", state_certified=True), STATE
        )
        keys = ApiKeys(app)
        other_academy, _ = keys.create(ApiRole.ACADEMY, STATE, academy_code=OTHER_ACADEMY)
        revoked, info = keys.create(ApiRole.STATE, STATE, name="left the office")
        keys.revoke(info.key_id, "left the office", STATE)
    finally:
        app.close()
    clients = {name: api.client(name) for name in ("public", *CALLERS)}
    for name, key in (("other_academy", other_academy), ("revoked", revoked)):
        clients[name] = httpx.Client(
            base_url=api.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30
        )
    return World(api, clients)


def expected(caller: str, roles: set[str], spec: Spec) -> int | None:
    """The refusal `caller` must get (401 or 403), or None if it must get through."""
    if caller == "revoked":
        return 401
    role = ROLE_OF[caller].value
    if role not in roles:
        return 401 if caller == "public" else 403
    return 403 if caller in spec.out_of_scope else None


@pytest.fixture(scope="module")
def document(api: Api) -> dict[tuple[str, str], dict[str, Any]]:
    return operations(api.client().get("/openapi.json").json())


def test_the_matrix_covers_every_operation_in_the_document(document) -> None:
    assert set(document) == set(SPECS), (
        f"missing from the matrix: {sorted(set(document) - set(SPECS))}; "
        f"not in the document: {sorted(set(SPECS) - set(document))}"
    )


@pytest.mark.parametrize("operation", list(SPECS), ids=" ".join)
def test_only_the_roles_of_an_operation_get_through(
    api: Api, world: World, document, operation: tuple[str, str]
) -> None:
    assert operation in document, f"{operation} is not in the OpenAPI document"
    roles = set(document[operation]["x-roles"])
    spec = SPECS[operation]
    call = spec.build(world)

    before = api.position()
    for caller in ALL_CALLERS:
        refusal = expected(caller, roles, spec)
        if refusal is None:
            continue
        response = call.send(world.clients[caller])
        assert response.status_code == refusal, f"{caller}: {response.status_code} {response.text}"
        assert response.headers["content-type"] == PROBLEM, caller
        assert response.json()["status"] == refusal
        if refusal == 401:
            assert response.headers["www-authenticate"].startswith("Bearer"), caller
    assert api.position() == before, "a refused request wrote to the log"

    allowed = [caller for caller in ALL_CALLERS if expected(caller, roles, spec) is None]
    assert allowed, f"nobody may call {operation}"
    for i, caller in enumerate(allowed):
        # The very request refused above goes through for the first caller it allows.
        if i and spec.fresh:
            call = spec.build(world)
        response = call.send(world.clients[caller])
        assert 200 <= response.status_code < 300, (
            f"{caller}: {response.status_code} {response.text}"
        )


def test_every_operation_declares_its_roles(api: Api) -> None:
    document = api.client().get("/openapi.json").json()
    roles = {r.value for r in ApiRole}
    for (method, path), operation in operations(document).items():
        declared = operation.get("x-roles")
        assert declared, f"{method} {path} declares no x-roles"
        assert set(declared) <= roles, f"{method} {path}: unknown roles {declared}"
        keyed = "public" not in declared
        assert (operation.get("security") == [{"apiKey": []}]) == keyed, f"{method} {path}"
    assert document["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"


def test_a_route_without_roles_stops_the_app_from_being_made(monkeypatch) -> None:
    stray = APIRouter()

    @stray.get("/v1/stray")
    def open_to_all() -> dict[str, str]:
        return {"oops": "no roles"}

    with pytest.raises(RuntimeError, match="/v1/stray declares no roles"):
        declare_roles(stray)
    monkeypatch.setattr(app_module, "ROUTERS", [*app_module.ROUTERS, stray])
    with pytest.raises(RuntimeError, match="/v1/stray declares no roles"):
        create_app()

    # Roles declared on the route itself, or through its router, are found.
    declared = APIRouter(dependencies=[allow(ApiRole.AUDITOR)])

    @declared.get("/v1/declared")
    def for_auditors() -> dict[str, str]:
        return {}

    declare_roles(declared)
    route = declared.routes[0]
    assert route.openapi_extra == {"x-roles": ["auditor"], "security": [{"apiKey": []}]}

    # Anything that is not an API route (a websocket, say) cannot declare roles: refused.
    sockets = APIRouter()

    @sockets.websocket("/v1/socket")
    async def socket(websocket: WebSocket) -> None:
        await websocket.close()

    with pytest.raises(RuntimeError, match="not an API route"):
        declare_roles(sockets)
