"""The state office's CSV import in the staff console, on a real server (SQLite and
PostgreSQL): the check lists every refused row with its line, column or rule and reason
and writes nothing; the write writes exactly the good rows, as the signed-in person, and
a second write or import writes nothing new; the kept file and its progress are the
session's own, on any server of the database; the role matrix, the form token, and
uploads that are not a roster; and the whole of it in Chromium (the file chosen, the
progress bar to its end, axe, 375 px, and without JavaScript).
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import httpx
import pytest

from registry.api.routes.admin import MAX_IMPORT
from registry.application import Registry
from registry.config import Settings
from registry.domain import rules
from registry.importer import ImportReport
from registry.projections.store import PostgresViews, SQLiteViews
from registry.web.import_jobs import STALE, TTL, Uploads
from registry.web.uploads import KEEP
from tests.api.conftest import ACADEMY, HOME, Api, days_ago, start_server, stop_server
from tests.api.steps import enrolment, ok
from tests.web.conftest import DESKTOP, PHONE, watched_page
from tests.web.console import ACCOUNTS, browser_context, signed_in
from tests.web.reading import HOSTILE, text
from tests.web.signing_in import form_token

HOSTILE_NAME = '<img src=x onerror=alert(1)> O"Brien \u202eedoc\u202c.csv'
COLUMNS = (
    "record,date,post_number,name,agency,patrol_since,district,shift,kind,hours,academy,passed"
)


@pytest.fixture(scope="module")
def staff(api: Api, tmp_path_factory: pytest.TempPathFactory) -> dict[str, httpx.Client]:
    """A signed-in client of each staff account, a second state account ("other_state"),
    and "nobody", who holds no session."""
    tmp = tmp_path_factory.mktemp("imports")
    clients = {who: signed_in(api, tmp, who) for who in ACCOUNTS}
    clients["other_state"] = signed_in(api, tmp, "state")
    clients["nobody"] = httpx.Client(base_url=api.base_url, timeout=30)
    return clients


def officer(post: str, agency: str = HOME, name: str = "") -> str:
    d400, d800 = days_ago(400).isoformat(), days_ago(800).isoformat()
    return f"officer,{d400},{post},{name or 'Officer ' + post},{agency},{d800},North,Day,,,,"


def roster(prefix: str) -> tuple[str, dict[int, tuple[str, str]]]:
    """A file of 3 good rows and 5 refused ones: the CSV, and each refused row's line with
    its column or rule and a piece of its reason."""
    tomorrow, d60 = days_ago(-1).isoformat(), days_ago(60).isoformat()
    lines = [
        COLUMNS,
        officer(f"{prefix}-1"),
        officer(f"{prefix}-2", name=HOSTILE.replace('"', "'")),
        f"exam,03/14/2025,{prefix}-1,,,,,,written,,,yes",
        officer(f"{prefix}-3", agency="NOSUCHPD"),
        f"training,{d60},{prefix}-9,,,,,,cit_academy,40,{ACADEMY},",
        f"officer,{days_ago(400)},{prefix}-4,,{HOME},{days_ago(800)},North,Day,,,,",
        f"exam,{d60},{prefix}-2,,,,,,written,,,yes",
        officer(f"{prefix}-5").replace(days_ago(400).isoformat(), tomorrow, 1),
    ]
    refused = {
        4: ("date", "'03/14/2025' is not a date"),
        5: ("—", "agency NOSUCHPD is not registered"),
        6: (
            "—",
            f"no officer with registry id, POST number or certificate number '{prefix}-9'",
        ),
        7: ("name", "name is required"),
        9: (rules.FUTURE_DATE, "is in the future"),
    }
    return "\n".join(lines) + "\n", refused


def send(
    client: httpx.Client, body: bytes | str, token: str | None = "", name: str = "roster.csv",
    pasted: str = "",
) -> httpx.Response:  # fmt: skip
    """Send the import form with the file `body` (token "": the form's own; None: none)."""
    if token == "":
        token = form_token(client.get("/staff/imports"))
    data = {"text": pasted} | ({} if token is None else {"form_token": token})
    content = body.encode() if isinstance(body, str) else body
    return client.post("/staff/imports", data=data, files={"file": (name, content, "text/csv")})


def checked(
    client: httpx.Client, body: str, name: str = "roster.csv"
) -> tuple[str, httpx.Response]:
    """Send a file and follow to its check: the check's path and page."""
    sent = send(client, body, name=name)
    assert sent.status_code == 303, text(sent)[:500]
    where = sent.headers["location"]
    assert re.fullmatch(r"/staff/imports/[A-Za-z0-9_-]{22}", where)
    page = client.get(where)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    return where, page


def write(client: httpx.Client, where: str, page: httpx.Response) -> dict[str, Any]:
    """Press the check page's button and wait for the write to end: its last progress."""
    done = client.post(f"{where}/write", data={"form_token": form_token(page)})
    assert done.status_code == 303 and done.headers["location"] == f"{where}/write"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        progress = client.get(f"{where}/progress")
        assert progress.status_code == 200 and progress.headers["cache-control"] == "no-store"
        found = dict(progress.json())
        if found["state"] != "writing":
            return found
        time.sleep(0.2)
    raise AssertionError("the write did not end within 2 minutes")


def data(page: httpx.Response, name: str) -> list[str]:
    return re.findall(rf'{name}="([^"]*)"', page.text)


def counts(page: httpx.Response) -> dict[str, str]:
    found = re.findall(r'<dd data-count="([a-z-]+)">([\d,]+)', page.text)
    return {name: value for name, value in found}


def absent(api: Api, *posts: str) -> None:
    for post in posts:
        assert api.client("state").get(f"/v1/officers/{post}").status_code == 404, post


# ------------------------------------------------------------------ who may import


@pytest.mark.parametrize(
    ("who", "status"),
    [("state", 200), ("auditor", 403), ("agency", 403), ("academy", 403), ("nobody", 401)],
)
def test_only_the_state_office_may_import(
    api: Api, staff: dict[str, httpx.Client], who: str, status: int
) -> None:
    client, before = staff[who], api.position()
    assert client.get("/staff/imports").status_code == status
    body, _ = roster(f"RM{who[:2].upper()}")
    # The state's own session without the form's token is refused too: 403.
    sent = send(client, body, token="not-the-token")
    assert sent.status_code == (403 if who == "state" else status)
    for path in ("", "/write", "/progress"):
        found = client.get(f"/staff/imports/{'A' * 22}{path}")
        assert found.status_code == (404 if who == "state" else status)
    pressed = client.post(f"/staff/imports/{'A' * 22}/write", data={"form_token": "x"})
    assert pressed.status_code == (403 if who == "state" else status)
    assert api.position() == before


# ----------------------------------------------------------- check, then write


def test_the_check_lists_every_refused_row_and_writes_nothing(
    api: Api, staff: dict[str, httpx.Client]
) -> None:
    body, refused = roster("CK")
    before = api.position()
    _, page = checked(staff["state"], body, name=HOSTILE_NAME)
    assert data(page, "data-line") == [str(line) for line in refused]
    cell = r"\s*<td[^>]*>(.*?)</td>"
    rows = re.findall(r'<tr data-line="(\d+)"[^>]*>' + cell * 4, page.text, re.S)
    for (line, _, record, about, reason), (want_line, (want_about, piece)) in zip(
        rows, refused.items(), strict=True
    ):
        assert int(line) == want_line and about == want_about, (line, about)
        assert piece.replace("'", "&#39;") in reason, (line, reason)
        assert record in ("officer", "exam", "training")
    assert counts(page) == {"rows": "8", "good": "3", "replayed": "0", "refused": "5"}
    shown = text(page)
    assert "Nothing has been written yet." in shown and "Write the 3 good rows" in shown
    assert "[rule:" not in shown  # the rule is in its own column
    assert HOSTILE_NAME in shown and "<img src=x" not in page.text  # a name is text
    assert api.position() == before
    absent(api, "CK-1", "CK-2", "CK-3", "CK-4", "CK-5")


def test_the_write_writes_exactly_the_good_rows_once_as_the_person_who_sent_them(
    api: Api, staff: dict[str, httpx.Client]
) -> None:
    state = staff["state"]
    body, _ = roster("WR")
    where, page = checked(state, body)
    before = api.position()
    found = write(state, where, page)
    assert found == {"state": "done", "done": 3, "total": 3, "written": 3, "replayed": 0,
                     "refused": 0}  # fmt: skip
    result = state.get(f"{where}/write")
    shown = text(result)
    assert "The rows are written" in shown and "3 of 3 rows" in shown
    assert "Written now 3 rows" in shown and "Left out 5 rows, refused at the check" in shown
    assert re.search(r'<progress id="write-bar" max="3" value="3"', result.text)
    after = api.position()
    assert f"Log positions {before + 1:,} to {after:,}" in shown
    # Exactly the good rows: two officers, one exam; the refused rows wrote nothing.
    user = re.search(r"user:[0-9a-f-]+", text(state.get("/staff")))
    assert user
    for post, events in (("WR-1", 1), ("WR-2", 2)):
        history = ok(api.client("state").get(f"/v1/officers/{post}/history"))["items"]
        assert len(history) == events and {e["actor_id"] for e in history} == {user.group(0)}
    absent(api, "WR-3", "WR-4", "WR-5")
    # Pressed again: the same write, nothing new.
    again = state.post(f"{where}/write", data={"form_token": form_token(page)})
    assert again.status_code == 303 and state.get(f"{where}/progress").json() == found
    # The same file again, checked and written here, and imported over the API: nothing new.
    where2, page2 = checked(state, body)
    assert counts(page2) == {"rows": "8", "good": "0", "replayed": "3", "refused": "5"}
    assert "No row is left to write." in text(page2) and "Write the" not in text(page2)
    second = write(state, where2, state.get("/staff/imports"))  # no button: sent anyway
    assert (second["written"], second["replayed"], second["refused"]) == (0, 3, 0)
    imported = ok(api.client("state").post("/v1/imports", content=body,
                                           headers={"Content-Type": "text/csv"}))  # fmt: skip
    assert (imported["imported"], imported["already_imported"]) == (0, 3)
    assert [r["line"] for r in imported["refused"]] == [4, 5, 6, 7, 9]
    assert api.position() == after


def test_a_row_the_registry_no_longer_allows_at_the_write_is_refused_then(
    api: Api, staff: dict[str, httpx.Client]
) -> None:
    state = staff["state"]
    body = f"{COLUMNS}\n{officer('CW-1')}\n{officer('CW-2')}\n"
    where, page = checked(state, body)
    assert counts(page)["good"] == "2"
    # Meanwhile CW-1 is enrolled over the API, under another name.
    ok(api.client("state").post("/v1/officers", json=enrolment("CW-1", name="Someone Else")))
    found = write(state, where, page)
    assert (found["written"], found["replayed"], found["refused"]) == (1, 0, 1)
    result = state.get(f"{where}/write")
    assert data(result, "data-line") == ["2"]
    assert "1 row refused during the write" in text(result)
    assert rules.POST_NUMBER_UNIQUE in text(result)
    assert ok(api.client("state").get("/v1/officers/CW-1"))["name"] == "Someone Else"


def test_pasted_text_is_checked_as_a_file_is(api: Api, staff: dict[str, httpx.Client]) -> None:
    state = staff["state"]
    body = f"{COLUMNS}\n{officer('PT-1')}\nexam,2025-02-30,PT-1,,,,,,written,,,yes\n"
    sent = send(state, b"", name="", pasted=body)
    assert sent.status_code == 303
    page = state.get(sent.headers["location"])
    assert "pasted text" in text(page) and data(page, "data-line") == ["3"]
    assert counts(page)["good"] == "1" and "not a valid date" in text(page)
    absent(api, "PT-1")
    # Pasted text that is not a roster: said beside the text, which is kept to correct.
    refused = send(state, b"", name="", pasted="name,date\nPT-2,2020-01-01\n")
    assert refused.status_code == 422 and 'href="#text"' in refused.text
    error = re.search(r'<p class="error" id="text-error">(.*?)</p>', refused.text, re.S)
    assert error and "The pasted text has no 'record' column" in error.group(1).replace(
        "&#39;", "'"
    )
    assert '<details class="paste" open>' in refused.text and ">name,date\nPT-2," in refused.text


# ------------------------------------------------------------ the session's own


def test_a_kept_file_and_its_progress_are_the_session_s_own(
    api: Api, staff: dict[str, httpx.Client]
) -> None:
    body = f"{COLUMNS}\n{officer('OW-1')}\n"
    where, page = checked(staff["state"], body)
    other = staff["other_state"]
    before = api.position()
    for path in ("", "/write", "/progress"):
        assert other.get(f"{where}{path}").status_code == 404
    token = form_token(other.get("/staff/imports"))
    assert other.post(f"{where}/write", data={"form_token": token}).status_code == 404
    # Nor does the owner's token help another session: it is tied to the owner's.
    assert other.post(f"{where}/write", data={"form_token": form_token(page)}).status_code == 403
    assert staff["nobody"].get(f"{where}/progress").status_code == 401
    assert api.position() == before
    absent(api, "OW-1")
    found = write(staff["state"], where, page)
    assert found["written"] == 1
    assert other.get(f"{where}/progress").status_code == 404
    assert "No write of this file has begun." not in text(other.get(f"{where}/progress"))


def test_another_server_of_the_database_shows_the_check_and_writes_it(
    api: Api, staff: dict[str, httpx.Client]
) -> None:
    """As the workers of `registry serve --workers N` are: the file is read by one process,
    its check shown, its write begun and its progress read by another."""
    assert api.log is not None
    base, process = start_server(api.database, api.log.parent)
    other = httpx.Client(base_url=base, timeout=30, cookies=staff["state"].cookies)
    try:
        where, page = checked(staff["state"], f"{COLUMNS}\n{officer('TW-1')}\n")
        assert counts(other.get(where)) == counts(page)
        found = write(other, where, page)
        assert found["written"] == 1
        assert staff["state"].get(f"{where}/progress").json() == found
        assert "Written now 1 row" in text(staff["state"].get(f"{where}/write"))
    finally:
        other.close()
        stop_server(process)


def test_a_form_without_its_token_changes_nothing(api: Api, staff: dict[str, httpx.Client]) -> None:
    state, before = staff["state"], api.position()
    body = f"{COLUMNS}\n{officer('TK-1')}\n"
    refused = send(state, body, token=None)
    assert refused.status_code == 403 and "nothing was changed" in text(refused)
    where, _ = checked(state, body)
    assert state.post(f"{where}/write", data={"form_token": ""}).status_code == 403
    assert state.post(f"{where}/write", data={"form_token": "x" * 64}).status_code == 403
    progress = state.get(f"{where}/progress")
    assert progress.status_code == 404 and "No write of this file has begun." in text(progress)
    assert api.position() == before
    absent(api, "TK-1")


# ------------------------------------------------------------ not a roster


NOT_A_ROSTER = [
    ("too-large", b"record,date\n" + b"x" * MAX_IMPORT, "roster.csv", 413,
     "The import takes files of up to 16 MB (16,777,216 bytes)"),
    ("far-too-large", b"record,date\n" + b"x" * KEEP, "roster.csv", 413,
     "The file is too large. The import takes files of up to 16 MB"),
    ("latin-1", "record,date,name\nofficer,2020-01-01,Zoë\n".encode("latin-1"), "roster.csv", 422,
     "The file is not UTF-8 text"),
    ("spreadsheet", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5U0#\xf4", "roster.xlsx",
     422, "Save it as “CSV UTF-8”"),
    ("empty", b"", "roster.csv", 422, "The file is empty."),
    ("utf-16", "record,date\n".encode("utf-16-le"), "roster.csv", 422, "(a UTF-16 file, perhaps"),
    ("blank", b"\r\n \r\n", "roster.csv", 422, "The file is empty."),
    ("no-record-column", b"name,date\nx,2020-01-01\n", "roster.csv", 422,
     "The file has no 'record' column in its first row."),
    ("unknown-column", b"record,date,colour\nofficer,2020-01-01,red\n", "roster.csv", 422,
     "The file has unknown columns: colour."),
    ("header-only", b"record,date,post_number\n", "roster.csv", 422, "no row below it"),
    ("nul", b"record,date\nofficer\x00,2020-01-01\n", "roster.csv", 422,
     "The file is not plain text: it holds NUL characters"),
    ("nothing-chosen", b"", "", 422, "Choose a roster CSV file, or paste its text."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "name", "status", "message"),
    [case[1:] for case in NOT_A_ROSTER],
    ids=[case[0] for case in NOT_A_ROSTER],
)
def test_an_upload_that_is_not_a_roster_is_refused_saying_why(
    api: Api, staff: dict[str, httpx.Client], body: bytes, name: str, status: int, message: str
) -> None:
    before = api.position()
    refused = send(staff["state"], body, name=name)
    assert refused.status_code == status, text(refused)[:300]
    assert refused.headers["content-type"] == "text/html; charset=utf-8"
    error = re.search(r'<p class="error" id="file-error">(.*?)</p>', refused.text, re.S)
    assert error and message in text(httpx.Response(200, text=error.group(1))), refused.text[:2000]
    assert 'href="#file"' in refused.text and 'aria-invalid="true"' in refused.text
    assert api.position() == before


def test_a_form_sent_otherwise_than_the_page_sends_it_is_refused(
    api: Api, staff: dict[str, httpx.Client]
) -> None:
    state, before = staff["state"], api.position()
    token = form_token(state.get("/staff/imports"))
    as_fields = state.post("/staff/imports", data={"form_token": token, "text": COLUMNS})
    assert as_fields.status_code == 415
    headers = {"Content-Type": "multipart/form-data; boundary=XYZ"}
    torn = state.post("/staff/imports", content=b"--XYZ\r\nnot a part", headers=headers)
    assert torn.status_code == 400 and "The form arrived incomplete" in text(torn)
    no_boundary = state.post("/staff/imports", content=b"x", headers={
        "Content-Type": "multipart/form-data"})  # fmt: skip
    assert no_boundary.status_code == 400
    assert state.get("/staff/imports/not-an-id").status_code == 422
    assert api.position() == before


# ---------------------------------------------------------------- kept files


def test_kept_files_expire_a_session_keeps_a_few_and_a_write_begins_once(api: Api) -> None:
    """The table of kept files itself, on the test server's database, on a clock of its own
    that starts at 0 (long before the server's rows, which it never touches)."""
    registry = Registry(Settings(database=api.database))
    kind = PostgresViews if api.database.startswith("postgres") else SQLiteViews
    now = [0.0]
    kept = Uploads(registry.factory.tracking_recorder(kind), api.database, clock=lambda: now[0])
    me, you = f"me-{uuid.uuid4()}", f"you-{uuid.uuid4()}"
    try:
        first = kept.keep(me, "a.csv", "record,date\n", 12, ImportReport(rows=1, imported=1))
        found = kept.find(first.id, me)
        assert found is not None and found.check.imported == 1 and found.write is None
        assert kept.find(first.id, you) is None and kept.find("x" * 22, me) is None
        now[0] += TTL - 1
        assert kept.find(first.id, me) is not None  # looked at: its hour starts again
        now[0] += TTL + 1
        assert kept.find(first.id, me) is None
        made = [kept.keep(me, f"{n}.csv", "record\n", 7, ImportReport()) for n in range(5)]
        assert [kept.find(u.id, me) is not None for u in made] == [False, False] + [True] * 3
        # A write begins once; again only after it failed, or stopped moving.
        upload = made[-1]
        write = kept.begin(upload, 10)
        assert write is not None and kept.begin(upload, 10) is None
        write.state, write.failure = "failed", "the registry's database stopped answering"
        kept.record(upload.id, write)
        again = kept.begin(upload, 10)
        assert again is not None and kept.begin(upload, 10) is None
        again.done = 5
        kept.record(upload.id, again)
        now[0] += STALE + 1
        stopped = kept.find(upload.id, me)
        assert stopped and stopped.write and stopped.write.state == "failed"
        assert stopped.write.done == 5 and "stopped" in stopped.write.failure
        assert kept.begin(upload, 10) is not None
    finally:
        registry.close()


# ---------------------------------------------------------------- in a browser


def _serious(page: Any) -> list[tuple[str, str]]:
    from axe_playwright_python.sync_playwright import Axe

    return [
        (v["id"], v["impact"])
        for v in Axe().run(page).response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_choosing_checking_and_writing_a_file_in_a_browser(
    browser: Any, api: Api, staff: dict[str, httpx.Client], viewport: dict[str, int]
) -> None:
    prefix = "BD" if viewport is DESKTOP else "BP"
    body, refused = roster(prefix)
    # 250 more officers: three batches, so that the bar has somewhere to go.
    body += "".join(officer(f"{prefix}-{n}") + "\n" for n in range(100, 350))
    phone = {"is_mobile": True, "has_touch": True} if viewport is PHONE else {}
    context = browser_context(browser, api, staff["state"], viewport, **phone)
    watched = watched_page(context)
    page = watched.page

    def fits() -> None:
        assert _serious(page) == [], page.url
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    try:
        page.goto(f"{api.base_url}/staff/imports")
        fits()
        if viewport is DESKTOP:  # too large: said beside the field, and nothing sent
            page.set_input_files("#file", files=[{"name": "big.csv", "mimeType": "text/csv",
                                                  "buffer": b"x" * (MAX_IMPORT + 1)}])  # fmt: skip
            page.get_by_role("button", name="Check the rows").click()
            assert (
                "up to 16 MB (16,777,216 bytes): split it"
                in page.locator("#file-error").inner_text()
            )
            assert page.url.endswith("/staff/imports")
            fits()
        page.set_input_files("#file", files=[{"name": "roster.csv", "mimeType": "text/csv",
                                              "buffer": body.encode()}])  # fmt: skip
        page.get_by_role("button", name="Check the rows").click()
        page.wait_for_url(re.compile(r"/staff/imports/[A-Za-z0-9_-]{22}$"))
        lines = page.locator("tr[data-line]").evaluate_all("rows => rows.map(r => r.dataset.line)")
        assert lines == [str(line) for line in refused]
        assert "would be refused" in page.locator("h2#refused-title").inner_text()
        fits()
        absent(api, f"{prefix}-1", f"{prefix}-100")
        page.get_by_role("button", name="Write the 253 good rows").click()
        page.wait_for_url(re.compile(r"/write$"))
        page.get_by_role("heading", name="The rows are written").wait_for(timeout=120_000)
        bar = page.locator("#write-bar")
        assert bar.get_attribute("value") == bar.get_attribute("max") == "253"
        assert page.locator("#write-words").inner_text() == "253 of 253 rows"
        assert "Written now 253 rows" in re.sub(r"\s+", " ", page.locator("main").inner_text())
        fits()
        ok(api.client("state").get(f"/v1/officers/{prefix}-349"))
        assert watched.unexpected() == []
    finally:
        context.close()


def test_without_javascript_the_write_s_page_reloads_itself_to_its_end(
    browser: Any, api: Api, staff: dict[str, httpx.Client]
) -> None:
    body = COLUMNS + "\n" + "".join(officer(f"NJ-{n}") + "\n" for n in range(600))
    context = browser_context(browser, api, staff["state"], java_script_enabled=False)
    page = context.new_page()
    pages: list[str] = []
    page.on("response", lambda r: pages.append(r.text()) if r.url.endswith("/write")
            and r.request.method == "GET" else None)  # fmt: skip
    try:
        page.goto(f"{api.base_url}/staff/imports")
        page.set_input_files("#file", files=[{"name": "nj.csv", "mimeType": "text/csv",
                                              "buffer": body.encode()}])  # fmt: skip
        page.get_by_role("button", name="Check the rows").click()
        page.get_by_role("button", name="Write the 600 good rows").click()
        page.get_by_role("heading", name="The rows are written").wait_for(timeout=120_000)
        assert page.locator("#write-words").inner_text() == "600 of 600 rows"
        # The page under way reloaded itself (600 rows take more than one round trip).
        refresh = '<noscript><meta http-equiv="refresh" content="2"></noscript>'
        assert len(pages) >= 2 and "Writing the rows" in pages[0] and refresh in pages[0]
        assert refresh not in pages[-1]
    finally:
        context.close()
