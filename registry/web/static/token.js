// The token page: a certificate token verified in this browser as verify_token verifies it
// (registry/signing/verify.py): the same checks, in the same order, with the same reason
// codes, against the registry's JWK Set, its retired key ids and the token's status list.
// /sw.js keeps those and this page for use offline.
"use strict";
(function () {
  const LEEWAY = 60, ALGS = ["EdDSA", "Ed25519"], NUM = ["int", "float"];
  const CERT_STATUS = { revoked: "revoked", suspended: "suspended",
    expired: "certificate_expired" };
  const SHAPE = { iss: ["str"], sub: ["str"], jti: ["str"], credential: ["str"],
    name: ["str", "none"], agency: ["str", "none"], issued_on: ["str"], expires_on: ["str"],
    cert_status: ["str"], iat: NUM, exp: NUM, status: ["dict"] };
  const R = (code, message) => ({ code, message });
  const fail = (code, message) => Object.assign(new Error(message), { code });
  const has = (o, k) => kind(o) === "dict" && Object.hasOwn(o, k);
  const get = (o, k) => (has(o, k) ? o[k] : undefined);

  // A JSON value's Python type, as orjson gives it; missing reads as None, as dict.get does.
  function kind(v) {
    if (v === null || v === undefined) return "none";
    if (v instanceof Number) return "float";
    const t = typeof v;
    if (t === "object") return Array.isArray(v) ? "list" : "dict";
    return { string: "str", number: "int", boolean: "bool" }[t];
  }
  // Python's == on JSON values (1 == 1.0 == true), for the issuers of token and list.
  function pyEq(a, b) {
    const ka = kind(a), kb = kind(b), n = ["int", "float", "bool"];
    if (n.includes(ka) && n.includes(kb)) return +a === +b;
    if (ka !== kb) return false;
    if (ka === "list") return a.length === b.length && a.every((v, i) => pyEq(v, b[i]));
    if (ka !== "dict") return ka === "none" || a === b;
    const names = Object.keys(a), same = (k) => has(b, k) && pyEq(a[k], b[k]);
    return names.length === Object.keys(b).length && names.every(same);
  }

  // JSON as orjson reads it: UTF-8 without BOM, no lone surrogate, at most 1024 deep, finite
  // numbers. One with a fraction or exponent, or beyond 64 bits, is a float: a Number object.
  const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  function json(bytes) {
    const text = utf8.decode(bytes);
    for (let i = 0, depth = 0, quoted = false, high = false; i < text.length; i++) {
      const c = text[i];
      if (quoted && c === "\\" && text[i + 1] === "u") {
        const u = parseInt(text.substr(i + 2, 4), 16);
        i += 5;
        if (high !== (u >= 0xdc00 && u < 0xe000)) throw new Error("a lone surrogate");
        high = u >= 0xd800 && u < 0xdc00;
      } else if (high) throw new Error("a lone surrogate");
      else if (quoted) {
        if (c === "\\") i++;
        else quoted = c !== '"';
      } else if (c === '"') quoted = true;
      else if ((c === "[" || c === "{") && ++depth > 1024) throw new Error("nested too deeply");
      else if (c === "]" || c === "}") depth--;
    }
    return JSON.parse(text, (key, value, { source } = {}) => {
      if (typeof value !== "number") return value;
      if (!isFinite(value)) throw new Error("a number out of range");
      const float = /[.eE]/.test(source)
        || (source.length > 18 && (BigInt(source) >= 2n ** 64n || BigInt(source) < -(2n ** 63n)));
      return float ? new Number(value) : value;
    });
  }

  // base64url without padding, strict: only its alphabet, and no unused bits set.
  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  function b64(s) {
    if (s.length % 4 === 1) throw new Error(`a base64url string cannot be ${s.length} long`);
    const out = new Uint8Array((s.length * 3) >> 2);
    let bits = 0, n = 0, j = 0;
    for (const c of s) {
      const v = B64.indexOf(c);
      if (v < 0) throw new Error("expected base64url characters only, no padding");
      bits = ((bits << 6) | v) & 0x3fff;
      if ((n += 6) >= 8) out[j++] = bits >> (n -= 8);
    }
    if (bits & ((1 << n) - 1)) throw new Error("not canonical base64url");
    return out;
  }

  function parse(token, max) {
    const length = token.length > max ? [...token].length : 0; // Python counts code points
    if (length > max) throw fail("oversized", `${length} characters long; at most ${max}`);
    if (/[^\x00-\x7f]/.test(token)) throw fail("malformed", "a compact JWS is ASCII");
    const parts = token.split(".");
    if (parts.length !== 3) throw fail("malformed", `${parts.length} parts, not 3`);
    const decoded = parts.map((part, i) => {
      try {
        return i ? b64(part) : json(b64(part));
      } catch (e) {
        throw fail("malformed", `${["header", "payload", "signature"][i]}: ${e.message}`);
      }
    });
    if (kind(decoded[0]) !== "dict") throw fail("malformed", "the header is not a JSON object");
    const input = new TextEncoder().encode(`${parts[0]}.${parts[1]}`);
    return { header: decoded[0], payload: decoded[1], signature: decoded[2], input };
  }
  function claimsOf(jws) {
    let claims;
    try {
      claims = json(jws.payload);
    } catch {
      throw fail("malformed", "the payload is not JSON");
    }
    if (kind(claims) !== "dict") throw fail("malformed", "the payload is not a JSON object");
    return claims;
  }

  const show = (v) => (v == null ? "none given" : JSON.stringify(v).slice(0, 40));
  const media = (t) => ((t = t.toLowerCase()).startsWith("application/") ? t.slice(12) : t);
  function headerProblems(h, typ) {
    const out = [], alg = get(h, "alg"), got = get(h, "typ");
    if (!ALGS.includes(alg)) out.push(R("wrong_algorithm", `alg ${show(alg)}, not EdDSA`));
    if (has(h, "crit")) out.push(R("unsupported_header", `crit ${show(h.crit)} is not understood`));
    if (typeof got !== "string" || media(got) !== media(typ)) {
      out.push(R("wrong_type", `typ ${show(got)}, not ${typ}`));
    }
    return out;
  }

  // The JWK Set as keyset.py reads it: kid -> x, or {why} that kid cannot be used.
  function keySet(jwks) {
    const entries = get(jwks, "keys"), list = Array.isArray(entries) ? entries : [];
    const keys = new Map();
    for (const kid of list.map((e) => get(e, "kid"))) {
      if (typeof kid === "string" && !keys.has(kid)) keys.set(kid, findX(list, kid));
    }
    keys.none = list === entries ? "" : 'the JWK Set has no "keys" list';
    return keys;
  }
  function findX(entries, kid) {
    const same = entries.filter((e) => get(e, "kid") === kid), jwk = same[0];
    const no = (why) => ({ why: `key ${kid} ${why}` }), x = get(jwk, "x");
    const use = has(jwk, "use") ? jwk.use : "sig", alg = has(jwk, "alg") ? jwk.alg : "EdDSA";
    const ops = get(jwk, "key_ops");
    if (same.length > 1) return no("is in the JWK Set more than once");
    if (get(jwk, "kty") !== "OKP" || get(jwk, "crv") !== "Ed25519") return no("is not Ed25519");
    if (has(jwk, "d")) return no("carries private key material");
    if (use !== "sig" || !ALGS.includes(alg)) return no("is not for EdDSA signatures");
    if (ops != null && !(Array.isArray(ops) && ops.includes("verify"))) return no("may not verify");
    try {
      if (typeof x === "string" && /^[A-Za-z0-9_-]{43}$/.test(x) && b64(x)) return x;
    } catch {} // not canonical
    return no("has no x of 32 bytes in canonical base64url");
  }
  const keyOf = (keys, kid) => keys.get(kid) ?? { why: keys.none || `no key ${kid} in the set` };

  const imported = new Map();
  async function signed(jws, x) {
    if (!imported.has(x)) {
      const jwk = { kty: "OKP", crv: "Ed25519", x };
      imported.set(x, crypto.subtle.importKey("jwk", jwk, "Ed25519", false, ["verify"]));
    }
    // Any 32 bytes import, as in Python: if not, this browser cannot check Ed25519 at all.
    const key = await imported.get(x);
    try {
      return await crypto.subtle.verify("Ed25519", key, jws.signature, jws.input);
    } catch {
      return false; // a signature that cannot be used verifies nothing
    }
  }

  function isoDate(s) {
    const m = typeof s === "string" && /^(\d{4})-(\d\d)-(\d\d)$/.exec(s);
    const [y, mo, d] = m ? m.slice(1).map(Number) : [];
    const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
    const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
    return m && y >= 1 && d >= 1 && d <= days ? s : null;
  }
  const isTime = (t) => NUM.includes(kind(t)) && Math.abs(t) < 8.64e12; // a Date can hold it
  const isoTime = (t) => (isTime(t) ? new Date(t * 1000).toISOString() : `${t}`);

  async function signedClaims(jws, kid, keys, retired, reasons) {
    const x = keyOf(keys, kid);
    if (typeof kid !== "string") return void reasons.push(R("unknown_key", "no kid"));
    if (retired.has(kid)) reasons.push(R("retired_key", `key ${kid} is retired`));
    if (x.why) return void (retired.has(kid) || reasons.push(R("unknown_key", x.why)));
    if (!ALGS.includes(get(jws.header, "alg"))) return; // a reason already: no other algorithm
    if (!(await signed(jws, x))) return void reasons.push(R("bad_signature", `not key ${kid}`));
    try {
      return claimsOf(jws);
    } catch (e) {
      reasons.push(R(e.code, e.message));
    }
  }

  function checkClaims(c, today, at, reasons) {
    const wrong = Object.keys(SHAPE).filter((n) => !SHAPE[n].includes(kind(get(c, n))));
    const nbf = get(c, "nbf"), ok = (n) => !wrong.includes(n);
    const add = (code, message) => reasons.push(R(code, message));
    if (nbf != null && !NUM.includes(kind(nbf))) wrong.push("nbf");
    if (wrong.length) add("malformed", `claims missing or of the wrong type: ${wrong.join(", ")}`);
    if (ok("exp") && at > c.exp + LEEWAY) add("expired_token", `expired at ${isoTime(+c.exp)}`);
    if (ok("iat") && at < c.iat - LEEWAY) add("not_yet_valid", `issued at ${isoTime(+c.iat)}`);
    if (nbf != null && ok("nbf") && at < nbf - LEEWAY) add("not_yet_valid", `from ${isoTime(+nbf)}`);
    const day = (n) => (typeof get(c, n) === "string" ? isoDate(c[n]) : null);
    const issued = day("issued_on"), expires = day("expires_on"), was = get(c, "cert_status");
    if ((!issued || !expires) && ok("issued_on") && ok("expires_on")) {
      add("malformed", "issued_on and expires_on are YYYY-MM-DD");
    }
    if (expires && expires <= today) add("certificate_expired", `expired on ${expires}`);
    if (issued && issued > today) add("not_yet_valid", `the certificate is issued on ${issued}`);
    if (was !== "in_force" && ok("cert_status")) {
      const code = Object.hasOwn(CERT_STATUS, was) ? CERT_STATUS[was] : "certificate_not_in_force";
      add(code, `the certificate was ${show(was)} when the token was signed`);
    }
  }
  function reference(c, reasons) {
    const entry = get(get(c, "status"), "status_list");
    const idx = get(entry, "idx"), uri = get(entry, "uri");
    if (kind(idx) === "int" && idx >= 0 && typeof uri === "string") return { uri, idx };
    reasons.push(R("malformed", "status.status_list must hold idx and uri"));
  }

  // A status list, read once per JWT as _listed.py reads it: what it says, or {why} not.
  const lists = new Map();
  function readList(jwt) {
    if (!lists.has(jwt)) lists.set(jwt, readListOnce(jwt).catch((e) => ({ why: e.message })));
    return lists.get(jwt);
  }
  async function readListOnce(jwt) {
    const jws = parse(jwt, 1 << 24), c = claimsOf(jws), lst = get(c, "status_list");
    if (!(typeof get(c, "sub") === "string" && NUM.includes(kind(get(c, "iat")))
        && [get(c, "ttl"), get(c, "exp")].every((v) => v == null || NUM.includes(kind(v)))
        && (has(c, "ttl") || has(c, "exp")) && kind(get(lst, "bits")) === "int"
        && typeof get(lst, "lst") === "string")) {
      throw new Error("it needs sub, iat, ttl or exp, and status_list {bits, lst}");
    }
    const data = await inflate(lst.lst), bits = lst.bits, per = 8 / bits;
    if (![1, 2, 4, 8].includes(bits)) throw new Error(`bits must be 1, 2, 4 or 8, not ${bits}`);
    if (!(c.iat >= -62135596800 && c.iat < 253402300800)) throw new Error("its iat is no time");
    // verify_token raises an error here (it takes the min of no ends): refused instead
    if (c.ttl == null && c.exp == null) throw new Error("it has no ttl and no exp");
    const fresh = Math.min(c.ttl == null ? Infinity : c.iat + c.ttl,
      c.exp == null ? Infinity : c.exp + LEEWAY); // no longer fresh past either
    const kid = get(jws.header, "kid"), size = data.length * per, mask = (1 << bits) - 1;
    return { jws, claims: c, problem: headerProblems(jws.header, "statuslist+jwt")[0], size, fresh,
      kid: typeof kid === "string" ? kid : null,
      at: (i) => (i < size ? (data[Math.floor(i / per)] >> ((i % per) * bits)) & mask : null) };
  }
  async function inflate(lst) {
    let bytes, size = 0;
    try {
      bytes = b64(lst);
    } catch (e) {
      throw new Error(`lst: ${e.message}`);
    }
    const chunks = [], inflating = new DecompressionStream("deflate");
    const reader = new Blob([bytes]).stream().pipeThrough(inflating).getReader();
    for (let step; !(step = await reader.read().catch(zlibError)).done; chunks.push(step.value)) {
      if ((size += step.value.length) > 1 << 24) {
        reader.cancel().catch(() => {});
        throw new Error("lst inflates to more than 16 MiB");
      }
    }
    const data = new Uint8Array(size);
    chunks.reduce((at, chunk) => (data.set(chunk, at), at + chunk.length), 0);
    return data;
  }
  const zlibError = (e) => {
    throw new Error(`lst is not one complete ZLIB stream: ${e.message}`);
  };

  async function statusFromList(jwt, ref, iss, keys, retired, at, reasons) {
    const listed = await readList(jwt), c = listed.claims, key = keyOf(keys, listed.kid);
    const why = listed.why || listed.problem?.message || (listed.kid === null && "no kid")
      || (retired.has(listed.kid) && `signed by the retired key ${listed.kid}`) || key.why
      || (!(await signed(listed.jws, key)) && "its signature does not match")
      || (c.sub !== ref.uri && `it is the list at ${c.sub}, not ${ref.uri}`);
    const problem = why ? R("status_list_invalid", `status list refused: ${why}`)
      : has(c, "iss") && !pyEq(c.iss, iss) ? R("issuer_mismatch", `the list's is ${show(c.iss)}`)
      : c.iat > at + LEEWAY ? R("status_list_invalid", "status list issued in the future") : null;
    if (problem) return void reasons.push(problem);
    if (at > listed.fresh && c.ttl != null && at > c.iat + c.ttl) {
      reasons.push(R("status_list_stale", `to be renewed within ${c.ttl} s of ${isoTime(+c.iat)}`));
    }
    if (at > listed.fresh && c.exp != null && at > c.exp + LEEWAY) {
      reasons.push(R("status_list_stale", `expired at ${isoTime(+c.exp)}`));
    }
    const status = listed.at(ref.idx), where = `entry ${ref.idx} of the list at ${ref.uri}`;
    if (status === null) reasons.push(R("status_unknown", `${where}: past its ${listed.size}`));
    else if (status === 1) reasons.push(R("revoked", `${where} says revoked`));
    else if (status === 2) reasons.push(R("suspended", `${where} says suspended`));
    else if (status) reasons.push(R("status_unknown", `${where} is ${status}, a reserved value`));
    return +c.iat;
  }

  /** Verify `token` as verify_token does. `keys`: a keySet(); `retired`: a Set of kids;
   * `list(uri)`: a promise of {text} (the status list) or {missing: why}; `now`: in ms;
   * `today`: YYYY-MM-DD in the registry's zone. */
  async function verify(token, { keys, retired, list, now, today }) {
    const at = now / 1000;
    let jws;
    try {
      jws = parse(token, 8192);
    } catch (e) {
      return { reasons: [R(e.code, e.message)] };
    }
    const reasons = headerProblems(jws.header, "cit-certificate+jwt");
    const claims = await signedClaims(jws, get(jws.header, "kid"), keys, retired, reasons);
    if (!claims) return { reasons };
    checkClaims(claims, today, at, reasons);
    const ref = reference(claims, reasons), found = ref && (await list(ref.uri));
    let asOf = null;
    if (found?.missing) reasons.push(R("status_unknown", found.missing));
    else if (found) {
      asOf = await statusFromList(found.text, ref, get(claims, "iss"), keys, retired, at, reasons);
    }
    return { reasons, claims, asOf, kept: !!found?.kept };
  }

  // ------------------------------------------------------------------ the page
  const page = document.getElementById("token-page");
  if (!page) return;
  const $ = (id) => document.getElementById(id), zone = page.dataset.zone;
  const form = $("paste"), field = $("token"), result = $("result");
  const UNSURE = ["status_unknown", "status_list_stale", "status_list_invalid"];
  const words = (id) => Object.fromEntries([...$(id).children].map((li) =>
    [li.dataset.code, li.textContent])); // the page's words, kept in its HTML
  const PLAIN = words("plain"), CREDENTIALS = words("credentials");

  const fetched = new Map(); // url -> [when, promise of {text, kept} or null]
  function load(url) {
    const now = Date.now(), [when, kept] = fetched.get(url) || [];
    if (kept && now - when < 300e3) return kept;
    const got = fetch(url, { cache: "no-cache" }).then(async (r) =>
      (r.ok ? { text: await r.text(), kept: r.headers.has("x-cit-kept") } : null));
    fetched.set(url, [now, got.catch(() => null)]);
    return fetched.get(url)[1];
  }
  const sameSite = (uri) => {
    const url = URL.parse(uri, location.href);
    return url?.origin === location.origin ? url.href : null;
  };
  const readJson = (got) => {
    try {
      return JSON.parse(got.text);
    } catch {} // none
  };
  const keysOf = (got) => {
    const keys = keySet(got && readJson(got));
    if (!got) keys.none = "the registry's keys could not be fetched";
    return keys;
  };
  const retiredOf = (got) => {
    const listed = get(got && readJson(got), "keys");
    return new Set((Array.isArray(listed) ? listed : []).filter((k) => get(k, "retired_on") != null)
      .map((k) => k.kid));
  };
  const parts = (ms, options) => Object.fromEntries(new Intl.DateTimeFormat("en-US", {
    timeZone: zone, year: "numeric", ...options }).formatToParts(ms).map((p) => [p.type, p.value]));

  async function check(token) {
    const own = sameSite(page.dataset.statusList);
    if (own) load(own); // most tokens name the registry's own list: fetch it meanwhile
    const published = ["/.well-known/jwks.json", "/v1/signing-keys/token"];
    const [jwks, keyList] = await Promise.all(published.map(load));
    const now = Date.now(), p = parts(now, { month: "2-digit", day: "2-digit" });
    // No list to be had is what verify_token calls status_unknown (given no status list).
    const list = async (uri) => {
      if (!sameSite(uri)) return { missing: `the status list at ${uri} is on another site` };
      return (await load(sameSite(uri))) || { missing: `no status list could be had at ${uri}` };
    };
    const today = `${p.year.padStart(4, "0")}-${p.month}-${p.day}`;
    const keys = keysOf(jwks), retired = retiredOf(keyList);
    const out = await verify(token, { keys, retired, list, now, today });
    const unsure = (r) => UNSURE.includes(r.code) || (!jwks && r.code === "unknown_key");
    out.result = !out.reasons.length ? "valid" : out.reasons.every(unsure) ? "unknown" : "invalid";
    return Object.assign(out, { now, codes: out.reasons.map((r) => r.code) });
  }
  window.citVerify = check; // for a benchmark: the page's verification, without drawing it

  function el(tag, ...children) {
    const node = document.createElement(tag);
    node.append(...children);
    return node;
  }
  const text = (v) => (typeof v === "string" ? v : v === undefined ? "—" : JSON.stringify(v));
  const longDate = (v) => (!isoDate(v) ? text(v) : new Intl.DateTimeFormat("en-GB",
    { timeZone: "UTC", dateStyle: "long" }).format(new Date(`${v}T00:00:00Z`)));
  function moment(seconds) {
    const p = parts(seconds * 1000, { month: "long", day: "numeric", hour: "2-digit",
      minute: "2-digit", hourCycle: "h23", timeZoneName: "short" });
    return `${p.day} ${p.month} ${p.year}, ${p.hour}:${p.minute} ${p.timeZoneName}`;
  }
  function ago(ms) {
    const s = ms / 1000, units = [["day", 86400], ["hour", 3600], ["minute", 60]];
    const [unit, n] = units.find((u) => s >= u[1]) || [];
    if (!unit) return "less than a minute ago";
    return `${Math.floor(s / n)} ${unit}${s >= 2 * n ? "s" : ""} ago`;
  }

  function render(r) {
    const answer = $(`answer-${r.result}`), c = r.claims;
    const fresh = $("freshness"), lookup = $("lookup");
    result.className = `answer tone-${answer.dataset.tone}`;
    Object.assign(result.dataset, { result: r.result, codes: r.codes.join(" ") });
    $("result-status").replaceChildren(answer.content.cloneNode(true));
    $("result-sentence").textContent = r.failed || answer.dataset.sentence;
    $("reasons").replaceChildren(...r.reasons.map((x) =>
      el("li", el("strong", PLAIN[x.code]), " ", el("span", x.message), " ", el("code", x.code))));
    $("why").hidden = !r.reasons.length;
    const withheld = (v) => (v == null ? el("em", "Withheld by the state") : text(v));
    const rows = c && [
      ["Certificate", text(c.sub)],
      ["Holder", withheld(get(c, "name"))],
      ["Agency", withheld(get(c, "agency"))],
      ["Credential", get(CREDENTIALS, c.credential) || text(c.credential)],
      ["Issued", longDate(c.issued_on)],
      ["Expires", longDate(c.expires_on)],
      ["Token good until", isTime(c.exp) ? moment(+c.exp) : text(c.exp)],
    ];
    $("facts").replaceChildren(...(rows || []).flatMap(([dt, dd]) => [el("dt", dt), el("dd", dd)]));
    $("said").hidden = lookup.hidden = !c;
    if (c) lookup.firstElementChild.href = `/verify?q=${encodeURIComponent(text(c.sub))}`;
    fresh.hidden = r.asOf == null;
    const age = fresh.hidden ? "" : `${ago(r.now - r.asOf * 1000)} (${moment(r.asOf)})`;
    fresh.textContent = `Status list signed ${age}.`
      + (r.kept ? " You seem to be offline: this is the copy kept from an earlier visit." : "");
    result.hidden = false;
  }

  let runs = 0;
  async function run(focus, pasted) {
    let token = pasted ?? location.hash.slice(1);
    try {
      token = pasted ?? (token.includes("%") ? decodeURIComponent(token) : token);
    } catch {} // not percent-encoded after all: checked as it is
    const mine = ++runs;
    token = token.trim();
    form.hidden = false;
    result.hidden = true;
    $("asked").textContent = token ? "Check another token" : "Paste a certificate token";
    $("working").hidden = !token;
    // with no token: fetches what an offline visit needs
    const found = await check(token).catch((e) => ({ result: "unknown", reasons: [], codes: [],
      failed: `This browser could not check the token (${e.message}): use a recent browser.` }));
    if (mine !== runs || !token) return;
    $("working").hidden = true;
    render(found);
    if (focus) result.focus();
  }
  form.addEventListener("submit", (event) => {
    const value = field.value.trim();
    event.preventDefault();
    $("token-error").hidden = !!value;
    field.setAttribute("aria-describedby", value ? "token-hint" : "token-hint token-error");
    if (!value) {
      field.setAttribute("aria-invalid", "true");
      return field.focus();
    }
    field.removeAttribute("aria-invalid");
    field.value = "";
    history.pushState(null, "", `#${value}`); // to share, or to come back to
    run(true, value);
  });
  window.addEventListener("hashchange", () => run(true));
  navigator.serviceWorker?.register("/sw.js", { scope: "/" }).catch(() => {}); // offline: a bonus
  run(false);
})();
