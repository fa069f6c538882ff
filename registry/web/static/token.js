// The token page: a certificate token verified in this browser, as verify_token
// (registry/signing/verify.py) verifies it: the same checks in the same order, the same
// reason codes. It needs the registry's JWK Set, its retired key ids and the signed status
// list the token names; /sw.js keeps them, and this page, for use offline.
"use strict";
(function () {
  const LEEWAY = 60, MAX_TOKEN = 8192, MAX_LIST = 1 << 24, MAX_BYTES = 1 << 24;
  const ALGS = ["EdDSA", "Ed25519"], NUM = ["int", "float"];
  const CERT_STATUS = { revoked: "revoked", suspended: "suspended", expired: "certificate_expired" };
  const SHAPE = { iss: ["str"], sub: ["str"], jti: ["str"], credential: ["str"],
    name: ["str", "none"], agency: ["str", "none"], issued_on: ["str"], expires_on: ["str"],
    cert_status: ["str"], iat: NUM, exp: NUM, status: ["dict"] };

  const R = (code, message) => ({ code, message });
  const fail = (code, message) => Object.assign(new Error(message), { code });
  const has = (o, k) => kind(o) === "dict" && Object.hasOwn(o, k);
  const get = (o, k) => (has(o, k) ? o[k] : undefined);

  // A JSON value's Python type, as orjson would give it (a missing member reads as None).
  function kind(v) {
    if (v === null || v === undefined) return "none";
    if (v instanceof Number) return "float";
    const t = typeof v;
    return t === "string" ? "str" : t === "number" ? "int" : t === "boolean" ? "bool"
      : Array.isArray(v) ? "list" : "dict";
  }

  // Python's ==, for the issuers the status list and the token name.
  function pyEq(a, b) {
    const ka = kind(a), kb = kind(b), n = ["int", "float", "bool"];
    if (n.includes(ka) && n.includes(kb)) return +a === +b;
    if (ka !== kb) return false;
    if (ka === "list") return a.length === b.length && a.every((v, i) => pyEq(v, b[i]));
    if (ka === "dict") {
      const names = Object.keys(a);
      return names.length === Object.keys(b).length && names.every((k) => has(b, k) && pyEq(a[k], b[k]));
    }
    return ka === "none" || a === b;
  }

  // JSON as orjson reads it: strict UTF-8 (no BOM), no lone surrogate, at most 1024 levels
  // deep, finite numbers. A number with a fraction or an exponent, or beyond 64 bits, is a
  // float: kept as a Number object, so that an `idx` of 1.0 is not taken for an int.
  const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  function json(bytes) {
    const text = utf8.decode(bytes);
    let depth = 0, high = false;
    for (let i = 0, quoted = false; i < text.length; i++) {
      const c = text[i];
      if (quoted && c === "\\" && text[i + 1] === "u") {
        const u = parseInt(text.substr(i + 2, 4), 16);
        i += 5;
        if (high !== (u >= 0xdc00 && u < 0xe000)) throw new Error("a lone surrogate");
        high = u >= 0xd800 && u < 0xdc00;
      } else if (high) throw new Error("a lone surrogate");
      else if (quoted) {
        if (c === "\\") i++;
        else if (c === '"') quoted = false;
      } else if (c === '"') quoted = true;
      else if ((c === "[" || c === "{") && ++depth > 1024) throw new Error("nested too deeply");
      else if (c === "]" || c === "}") depth--;
    }
    return JSON.parse(text, (key, value, context) => {
      if (typeof value !== "number") return value;
      if (!isFinite(value)) throw new Error("a number too large");
      const s = context.source;
      const float = /[.eE]/.test(s) || (s.length > 18 &&
        (BigInt(s) > 18446744073709551615n || BigInt(s) < -9223372036854775808n));
      return float ? new Number(value) : value;
    });
  }

  // base64url without padding, strict: no other character, and no unused bits set.
  const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  function b64(s) {
    if ((s.length & 3) === 1) throw new Error(`a base64url string cannot be ${s.length} characters long`);
    const out = new Uint8Array((s.length * 3) >> 2);
    let bits = 0, n = 0, j = 0;
    for (let i = 0; i < s.length; i++) {
      const v = ALPHABET.indexOf(s[i]);
      if (v < 0) throw new Error("expected base64url characters only (A-Z a-z 0-9 - _), no padding");
      bits = ((bits << 6) | v) & 0x3fff;
      n += 6;
      if (n >= 8) out[j++] = bits >> (n -= 8);
    }
    if (bits & ((1 << n) - 1)) throw new Error("not canonical base64url: the last character sets unused bits");
    return out;
  }

  function parse(token, max) {
    if (token.length > max && [...token].length > max) {
      throw fail("oversized", `the token is ${[...token].length} characters long; at most ${max}`);
    }
    if (/[^\x00-\x7f]/.test(token)) throw fail("malformed", "a compact JWS is ASCII");
    const parts = token.split(".");
    if (parts.length !== 3) throw fail("malformed", `a compact JWS has 3 parts separated by dots, not ${parts.length}`);
    let payload, signature, header;
    try {
      payload = b64(parts[1]);
      signature = b64(parts[2]);
    } catch (e) {
      throw fail("malformed", `payload or signature: ${e.message}`);
    }
    try {
      header = json(b64(parts[0]));
    } catch (e) {
      throw fail("malformed", `header: ${e.message}`);
    }
    if (kind(header) !== "dict") throw fail("malformed", "the header must be a JSON object");
    const input = new TextEncoder().encode(`${parts[0]}.${parts[1]}`);
    return { header, payload, signature, input };
  }

  function claimsOf(jws) {
    let claims;
    try {
      claims = json(jws.payload);
    } catch {
      throw fail("malformed", "the payload is not JSON");
    }
    if (kind(claims) !== "dict") throw fail("malformed", "the payload must be a JSON object");
    return claims;
  }

  const show = (v) => (v === undefined || v === null ? "none given" : JSON.stringify(v).slice(0, 40));
  const media = (t) => ((t = t.toLowerCase()).startsWith("application/") ? t.slice(12) : t);
  function headerProblems(h, typ) {
    const out = [], got = get(h, "typ");
    if (!ALGS.includes(get(h, "alg"))) out.push(R("wrong_algorithm", `alg must be EdDSA or Ed25519, not ${show(get(h, "alg"))}`));
    if (has(h, "crit")) out.push(R("unsupported_header", `crit ${show(h.crit)} is not understood`));
    if (typeof got !== "string" || media(got) !== media(typ)) out.push(R("wrong_type", `typ must be ${typ}, not ${show(got)}`));
    return out;
  }

  // The JWK Set read as keyset.py reads it: kid -> x, or why that kid cannot be used.
  function keySet(jwks) {
    const entries = get(jwks, "keys"), keys = new Map(), list = Array.isArray(entries) ? entries : [];
    for (const entry of list) {
      const kid = get(entry, "kid");
      if (typeof kid === "string" && !keys.has(kid)) keys.set(kid, findX(list, kid));
    }
    keys.none = Array.isArray(entries) ? "" : 'the JWK Set has no "keys" list';
    return keys;
  }
  function findX(entries, kid) {
    const same = entries.filter((e) => get(e, "kid") === kid), jwk = same[0];
    const no = (why) => ({ why: `key ${kid} ${why}` });
    if (same.length > 1) return { why: `the JWK Set has more than one key ${kid}; expected one` };
    if (get(jwk, "kty") !== "OKP" || get(jwk, "crv") !== "Ed25519") return no("is not an OKP Ed25519 key");
    if (has(jwk, "d")) return no("in the JWK Set carries private key material; refused");
    const use = has(jwk, "use") ? jwk.use : "sig", alg = has(jwk, "alg") ? jwk.alg : "EdDSA";
    if (use !== "sig" || !ALGS.includes(alg)) return no("is not published for EdDSA signatures");
    const ops = get(jwk, "key_ops");
    if (ops != null && !(Array.isArray(ops) && ops.includes("verify"))) return no("may not be used to verify");
    const x = get(jwk, "x");
    if (typeof x !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(x)) return no("has no x of 32 bytes in base64url");
    try {
      b64(x);
    } catch {
      return { why: "an Ed25519 key's x is 32 bytes in canonical base64url" };
    }
    return x;
  }
  const keyOf = (keys, kid) => keys.get(kid) ?? { why: keys.none || `no key ${kid} in the JWK Set` };

  const imported = new Map();
  async function signed(jws, x) {
    if (!imported.has(x)) {
      const jwk = { kty: "OKP", crv: "Ed25519", x };
      imported.set(x, crypto.subtle.importKey("jwk", jwk, { name: "Ed25519" }, false, ["verify"]));
    }
    try {
      return await crypto.subtle.verify({ name: "Ed25519" }, await imported.get(x), jws.signature, jws.input);
    } catch {
      return false; // a key or signature that cannot be used verifies nothing
    }
  }

  function isoDate(s) {
    const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(s);
    if (!m) return null;
    const [y, mo, d] = [+m[1], +m[2], +m[3]];
    const days = [31, y % 4 || (y % 100 === 0 && y % 400) ? 28 : 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    return y >= 1 && mo >= 1 && mo <= 12 && d >= 1 && d <= days[mo - 1] ? s : null;
  }
  const isoTime = (t) => (Math.abs(t) < 8.64e12 ? new Date(t * 1000).toISOString() : `${t} seconds after the epoch`);

  function checkClaims(c, today, at, reasons) {
    const wrong = Object.keys(SHAPE).filter((n) => !SHAPE[n].includes(kind(get(c, n))));
    const nbf = get(c, "nbf"), ok = (n) => !wrong.includes(n);
    if (nbf != null && !NUM.includes(kind(nbf))) wrong.push("nbf");
    if (wrong.length) reasons.push(R("malformed", `claims missing or of the wrong type: ${wrong.join(", ")}`));
    if (ok("exp") && at > c.exp + LEEWAY) reasons.push(R("expired_token", `the token expired at ${isoTime(+c.exp)}`));
    if (ok("iat") && at < c.iat - LEEWAY) reasons.push(R("not_yet_valid", `the token is issued at ${isoTime(+c.iat)}`));
    if (nbf != null && ok("nbf") && at < nbf - LEEWAY) reasons.push(R("not_yet_valid", `the token is valid from ${isoTime(+nbf)}`));
    const day = (n) => (typeof get(c, n) === "string" ? isoDate(c[n]) : null);
    const issued = day("issued_on"), expires = day("expires_on");
    if ((issued === null || expires === null) && ok("issued_on") && ok("expires_on")) {
      reasons.push(R("malformed", "issued_on and expires_on are YYYY-MM-DD"));
    }
    if (expires !== null && expires <= today) reasons.push(R("certificate_expired", `the certificate expired on ${expires}`));
    if (issued !== null && issued > today) reasons.push(R("not_yet_valid", `the certificate is issued on ${issued}`));
    const was = get(c, "cert_status");
    if (was !== "in_force" && ok("cert_status")) {
      const code = Object.hasOwn(CERT_STATUS, was) ? CERT_STATUS[was] : "certificate_not_in_force";
      reasons.push(R(code, `the certificate was "${was}", not in force, when the token was signed`));
    }
  }

  function reference(c, reasons) {
    const entry = get(get(c, "status"), "status_list"), idx = get(entry, "idx"), uri = get(entry, "uri");
    if (kind(idx) === "int" && idx >= 0 && typeof uri === "string") return { uri, idx, certificate: String(get(c, "sub")) };
    reasons.push(R("malformed", "status.status_list must hold idx (a whole number >= 0) and uri (a string)"));
    return null;
  }

  // A status list read once per JWT, as _listed.py reads it: what it says, or why not.
  const lists = new Map();
  async function readList(jwt) {
    if (!lists.has(jwt)) lists.set(jwt, readListOnce(jwt).catch((e) => ({ why: e.message })));
    return lists.get(jwt);
  }
  async function readListOnce(jwt) {
    const jws = parse(jwt, MAX_LIST), c = claimsOf(jws), lst = get(c, "status_list");
    if (!(typeof get(c, "sub") === "string" && NUM.includes(kind(get(c, "iat")))
        && ["ttl", "exp"].every((n) => [...NUM, "none"].includes(kind(get(c, n))))
        && (has(c, "ttl") || has(c, "exp")) && kind(lst) === "dict"
        && kind(get(lst, "bits")) === "int" && typeof get(lst, "lst") === "string")) {
      throw new Error("it needs sub, iat, ttl or exp, and status_list {bits, lst}");
    }
    let bytes;
    try {
      bytes = b64(lst.lst);
    } catch (e) {
      throw new Error(`lst: ${e.message}`);
    }
    const data = await inflate(bytes), bits = lst.bits;
    if (![1, 2, 4, 8].includes(bits)) throw new Error(`bits must be 1, 2, 4 or 8, not ${bits}`);
    if (!(c.iat >= -62135596800 && c.iat < 253402300800)) throw new Error(`its iat ${c.iat} is not a time`);
    const ends = [c.ttl == null ? Infinity : c.iat + c.ttl, c.exp == null ? Infinity : c.exp + LEEWAY];
    // verify_token fails with an error here (min of no ends); refusing the list is safer
    if (c.ttl == null && c.exp == null) throw new Error("it has neither a ttl nor an exp");
    const problem = headerProblems(jws.header, "statuslist+jwt")[0], kid = get(jws.header, "kid");
    const per = 8 / bits;
    return { jws, claims: c, problem, kid: typeof kid === "string" ? kid : null, fresh: Math.min(...ends),
      size: data.length * per,
      at: (i) => (i < data.length * per ? (data[Math.floor(i / per)] >> ((i % per) * bits)) & ((1 << bits) - 1) : null) };
  }
  async function inflate(bytes) {
    const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate")).getReader();
    const chunks = [];
    let size = 0;
    for (;;) {
      let step;
      try {
        step = await reader.read();
      } catch (e) {
        throw new Error(`lst is not exactly one complete ZLIB stream: ${e.message}`);
      }
      if (step.done) break;
      if ((size += step.value.length) > MAX_BYTES) {
        reader.cancel().catch(() => {});
        throw new Error(`lst inflates to more than ${MAX_BYTES} bytes`);
      }
      chunks.push(step.value);
    }
    const data = new Uint8Array(size);
    chunks.reduce((at, chunk) => (data.set(chunk, at), at + chunk.length), 0);
    return data;
  }

  async function statusFromList(jwt, ref, iss, keys, retired, at, reasons) {
    const bad = (why) => R("status_list_invalid", `status list refused: ${why}`);
    const listed = await readList(jwt), c = listed.claims;
    let problem = listed.why && bad(listed.why);
    if (!problem) {
      const key = keyOf(keys, listed.kid);
      if (listed.problem) problem = bad(listed.problem.message);
      else if (listed.kid === null) problem = bad("its header has no kid");
      else if (retired.has(listed.kid)) problem = bad(`it is signed by the retired key ${listed.kid}`);
      else if (key.why) problem = bad(key.why);
      else if (!(await signed(listed.jws, key))) problem = bad("its signature does not match");
      else if (c.sub !== ref.uri) problem = bad(`it is the list at ${c.sub}, the token's is at ${ref.uri}`);
      else if (has(c, "iss") && !pyEq(c.iss, iss)) {
        problem = R("issuer_mismatch", `the status list is issued by ${show(c.iss)}, the token by ${show(iss)}`);
      } else if (c.iat > at + LEEWAY) problem = bad(`it is issued in the future, at ${isoTime(+c.iat)}`);
    }
    if (problem) {
      reasons.push(problem);
      return [null, null];
    }
    if (at > listed.fresh) {
      if (c.ttl != null && at > c.iat + c.ttl) {
        reasons.push(R("status_list_stale", `the status list of ${isoTime(+c.iat)} was to be renewed within ${c.ttl} seconds`));
      }
      if (c.exp != null && at > c.exp + LEEWAY) reasons.push(R("status_list_stale", `the status list expired at ${isoTime(+c.exp)}`));
    }
    const status = listed.at(ref.idx);
    if (status === null) reasons.push(R("status_unknown", `status list index ${ref.idx} is past its ${listed.size} entries`));
    return [status, +c.iat];
  }

  /** Verify `token` as verify_token does. `keys`: a keySet; `retired`: a Set of kids;
   * `list(uri)`: a promise of the status list's JWT, or of {missing: why}; `now`: ms. */
  async function verify(token, { keys, retired, list, now, today }) {
    const at = now / 1000;
    let jws;
    try {
      jws = parse(token, MAX_TOKEN);
    } catch (e) {
      return { valid: false, reasons: [R(e.code, e.message)] };
    }
    const reasons = headerProblems(jws.header, "cit-certificate+jwt"), kid = get(jws.header, "kid");
    const claims = await signedClaims(jws, kid, keys, retired, reasons);
    if (!claims) return { valid: false, reasons, kid: typeof kid === "string" ? kid : null };
    checkClaims(claims, today, at, reasons);
    const ref = reference(claims, reasons);
    let status = null, asOf = null, kept = false;
    if (ref) {
      const found = await list(ref.uri);
      if (found.missing) reasons.push(R("status_unknown", found.missing));
      else [status, asOf] = await statusFromList(found.text, ref, get(claims, "iss"), keys, retired, at, reasons);
      kept = !!found.kept;
      const where = `entry ${ref.idx} of the status list at ${ref.uri}`;
      if (status === 1) reasons.push(R("revoked", `${where} says invalid: revoked`));
      else if (status === 2) reasons.push(R("suspended", `${where} says suspended`));
      else if (status) reasons.push(R("status_unknown", `${where} is ${status}, a reserved value`));
    }
    return { valid: !reasons.length, reasons, claims, asOf, kid, status, kept };
  }

  async function signedClaims(jws, kid, keys, retired, reasons) {
    if (typeof kid !== "string") return void reasons.push(R("unknown_key", "the header has no kid"));
    if (retired.has(kid)) reasons.push(R("retired_key", `key ${kid} is retired`));
    const x = keyOf(keys, kid);
    if (x.why) return void (retired.has(kid) || reasons.push(R("unknown_key", x.why)));
    if (!ALGS.includes(jws.header.alg)) return null; // already a reason: no other algorithm
    if (!(await signed(jws, x))) return void reasons.push(R("bad_signature", "the signature does not match the header and payload"));
    try {
      return claimsOf(jws);
    } catch (e) {
      reasons.push(R(e.code, e.message));
    }
  }

  // ------------------------------------------------------------------ the page
  const page = document.getElementById("token-page");
  if (!page) return;
  const $ = (id) => document.getElementById(id), zone = page.dataset.zone;
  const form = $("paste"), field = $("token"), error = $("token-error"), result = $("result");
  const UNSURE = ["status_unknown", "status_list_stale", "status_list_invalid"];
  const words = (id) => Object.fromEntries([...$(id).children].map((li) => [li.dataset.code, li.textContent]));
  const PLAIN = words("plain"), CREDENTIALS = words("credentials");

  const fetched = new Map(); // url -> {at, promise of {text, kept} or null}
  function load(url) {
    const now = Date.now(), got = fetched.get(url);
    if (got && now - got.at < 300e3) return got.promise;
    const promise = fetch(url, { cache: "no-cache" })
      .then((r) => (r.ok ? r.text().then((text) => ({ text, kept: r.headers.has("x-cit-kept") })) : null))
      .catch(() => null);
    fetched.set(url, { at: now, promise });
    return promise;
  }
  const sameSite = (uri) => {
    try {
      const url = new URL(uri, location.href);
      return url.origin === location.origin ? url.href : null;
    } catch {
      return null;
    }
  };
  const readJson = (got) => {
    try {
      return got ? JSON.parse(got.text) : null;
    } catch {
      return null;
    }
  };
  let keysFrom = [];
  function keysOf(got) {
    if (keysFrom[0] !== got) {
      const keys = keySet(readJson(got));
      if (!got) keys.none = "the registry's keys (its JWK Set) could not be fetched";
      keysFrom = [got, keys];
    }
    return keysFrom[1];
  }
  function retiredOf(got) {
    const listed = get(readJson(got), "keys");
    return new Set(Array.isArray(listed) ? listed.filter((k) => get(k, "retired_on") != null).map((k) => k.kid) : []);
  }
  const parts = (options, ms) => Object.fromEntries(new Intl.DateTimeFormat("en-GB", { timeZone: zone, ...options })
    .formatToParts(ms).map((p) => [p.type, p.value]));
  const today = (ms) => {
    const p = parts({ year: "numeric", month: "2-digit", day: "2-digit" }, ms);
    return `${p.year.padStart(4, "0")}-${p.month}-${p.day}`;
  };

  async function check(token) {
    const own = sameSite(page.dataset.statusList);
    if (own) load(own); // most tokens name the registry's own list: fetch it meanwhile
    const [jwks, keyList] = await Promise.all([load("/.well-known/jwks.json"), load("/v1/signing-keys/token")]);
    const now = Date.now();
    const list = async (uri) => {
      const url = sameSite(uri);
      if (!url) return { missing: `the status list at ${uri} is not on this site, so this page may not fetch it` };
      return (await load(url)) || { missing: `the status list at ${uri} could not be fetched` };
    };
    const keys = keysOf(jwks), retired = retiredOf(keyList);
    const out = await verify(token, { keys, retired, list, now, today: today(now) });
    const unsure = (r) => UNSURE.includes(r.code) || (!jwks && r.code === "unknown_key");
    out.result = out.valid ? "valid" : out.reasons.every(unsure) ? "unknown" : "invalid";
    out.now = now;
    return out;
  }
  window.citVerify = check; // for a benchmark: the page's verification without drawing it

  function el(tag, ...children) {
    const node = document.createElement(tag);
    node.append(...children);
    return node;
  }
  const text = (v) => (typeof v === "string" ? v : v === undefined ? "—" : JSON.stringify(v));
  function longDate(v) {
    if (typeof v !== "string" || !isoDate(v)) return text(v);
    const options = { timeZone: "UTC", day: "numeric", month: "long", year: "numeric" };
    return new Intl.DateTimeFormat("en-GB", options).format(new Date(`${v}T00:00:00Z`));
  }
  function moment(seconds) {
    try {
      const p = parts({ day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit",
        hourCycle: "h23", timeZoneName: "short" }, seconds * 1000);
      return `${p.day} ${p.month} ${p.year}, ${p.hour}:${p.minute} ${p.timeZoneName}`;
    } catch {
      return isoTime(seconds);
    }
  }
  function ago(ms) {
    const s = Math.floor(ms / 1000);
    for (const [unit, n] of [["day", 86400], ["hour", 3600], ["minute", 60]]) {
      if (s >= n) return `${Math.floor(s / n)} ${unit}${s >= 2 * n ? "s" : ""} ago`;
    }
    return "less than a minute ago";
  }

  function render(r) {
    const answer = $(`answer-${r.result}`), c = r.claims;
    result.className = `answer tone-${answer.dataset.tone}`;
    result.dataset.result = r.result;
    result.dataset.codes = r.reasons.map((x) => x.code).join(" ");
    $("result-status").replaceChildren(answer.content.cloneNode(true));
    $("result-sentence").textContent = answer.dataset.sentence;
    $("reasons").replaceChildren(...r.reasons.map((x) =>
      el("li", el("strong", PLAIN[x.code] || "Not valid."), " ", el("span", x.message), " ", el("code", x.code))));
    $("why").hidden = !r.reasons.length;
    const withheld = () => el("em", "Withheld by the state");
    const rows = !c ? [] : [
      ["Certificate", text(c.sub)],
      ["Holder", get(c, "name") == null ? withheld() : text(c.name)],
      ["Agency", get(c, "agency") == null ? withheld() : text(c.agency)],
      ["Credential", Object.hasOwn(CREDENTIALS, c.credential) ? CREDENTIALS[c.credential] : text(c.credential)],
      ["Issued", longDate(c.issued_on)],
      ["Expires", longDate(c.expires_on)],
      ["Token good until", NUM.includes(kind(c.exp)) ? moment(+c.exp) : text(c.exp)],
    ];
    $("facts").replaceChildren(...rows.flatMap(([name, value]) => [el("dt", name), el("dd", value)]));
    $("said").hidden = !c;
    const lookup = $("lookup");
    lookup.hidden = !c || typeof c.sub !== "string";
    if (!lookup.hidden) lookup.firstElementChild.href = `/verify?q=${encodeURIComponent(c.sub)}`;
    const fresh = $("freshness");
    fresh.hidden = r.asOf == null;
    if (r.asOf != null) {
      fresh.textContent = `Status list signed ${ago(r.now - r.asOf * 1000)} (${moment(r.asOf)}).`
        + (r.kept ? " You seem to be offline: this is the copy kept from an earlier visit." : "");
    }
    result.hidden = false;
  }

  let runs = 0;
  async function run(focus) {
    let token = location.hash.slice(1);
    try {
      if (token.includes("%")) token = decodeURIComponent(token);
    } catch {} // not percent-encoded after all: checked as it is
    token = token.trim();
    form.hidden = false;
    $("asked").textContent = token ? "Check another token" : "Paste a certificate token";
    const mine = ++runs;
    $("working").hidden = !token;
    result.hidden = true;
    if (!token) return void check("");
    const found = await check(token);
    if (mine !== runs) return;
    $("working").hidden = true;
    render(found);
    if (focus) result.focus();
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = field.value.trim();
    error.hidden = !!value;
    field.setAttribute("aria-describedby", value ? "token-hint" : "token-hint token-error");
    if (!value) {
      field.setAttribute("aria-invalid", "true");
      return field.focus();
    }
    field.removeAttribute("aria-invalid");
    field.value = "";
    if (location.hash.slice(1) === value) run(true);
    else location.hash = value;
  });
  window.addEventListener("hashchange", () => run(true));
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  run(false);
})();
