// The transparency page's own check: a checkpoint the auditor kept, against today's, in this
// browser. Both signed notes are checked with the log key (c2sp.org/signed-note, Ed25519 by
// WebCrypto), then the registry's consistency proof between them (RFC 9162 2.1.4.2, SHA-256
// by WebCrypto), as registry/audit/note.py and registry/audit/merkle.py check them.
"use strict";
(function () {
  const enc = new TextEncoder();
  const b64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
  const sha256 = async (...parts) => {
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (all.set(p, at), at + p.length), 0);
    return new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  };
  const node = (left, right) => sha256(Uint8Array.of(1), left, right);
  const fail = (message) => { throw new Error(message); };

  // Canonical standard base64 with padding only, as the registry writes it.
  function canonical(text, what) {
    let bytes;
    try { bytes = b64(text); } catch (e) { fail(`${what} is not base64`); }
    if (btoa(String.fromCharCode(...bytes)) !== text) fail(`${what} is not canonical base64`);
    return bytes;
  }

  // RFC 9162 2.1.4.2: throws unless `proof` shows the tree of `first` leaves is a prefix of
  // the tree of `second` leaves.
  async function consistency(first, second, firstRoot, secondRoot, proof) {
    if (!(0 < first && first <= second)) fail(`no consistency proof from ${first} to ${second}`);
    if (first === second) {
      if (proof.length) fail("trees of the same size need an empty proof");
      if (!same(firstRoot, secondRoot)) fail("trees of the same size have different roots");
      return;
    }
    for (const h of [firstRoot, secondRoot, ...proof]) if (h.length !== 32) fail("a hash is not 32 bytes");
    if (!proof.length) fail("the consistency proof is empty");
    const path = (first & (first - 1)) === 0 ? [firstRoot, ...proof] : [...proof];
    let fn = first - 1, sn = second - 1;
    while (fn & 1) { fn >>= 1; sn >>= 1; }
    let fr = path[0], sr = path[0];
    for (const c of path.slice(1)) {
      if (sn === 0) fail("the consistency proof is too long");
      if (fn & 1 || fn === sn) {
        fr = await node(c, fr);
        sr = await node(c, sr);
        while (!(fn & 1) && fn !== 0) { fn >>= 1; sn >>= 1; }
      } else {
        sr = await node(sr, c);
      }
      fn >>= 1; sn >>= 1;
    }
    if (sn !== 0) fail("the consistency proof is too short");
    if (!same(fr, firstRoot)) fail("the consistency proof does not lead to the first root");
    if (!same(sr, secondRoot)) fail("the consistency proof does not lead to the second root");
  }

  // A verifier key `name+<hex key id>+<base64(0x01 || key)>`, its key id checked.
  async function verifierKey(text) {
    const [name, id, ...rest] = text.trim().split("+"), encoded = rest.join("+"); // base64 has +
    if (!name || !/^[0-9a-f]{8}$/.test(id || "") || !encoded) fail("the log key is not name+id+key");
    const data = canonical(encoded, "the log key");
    if (data.length !== 33 || data[0] !== 1) fail("the log key is not an Ed25519 key");
    const expected = (await sha256(enc.encode(name), Uint8Array.of(10), data)).slice(0, 4);
    if (hex(expected) !== id) fail("the log key's id does not match its key");
    const key = await crypto.subtle.importKey("raw", data.slice(1), "Ed25519", false, ["verify"]);
    return { name, id: expected, key };
  }

  // The checkpoint of a signed note, once a signature by `verifier` on it verifies.
  async function checkpoint(note, verifier, what) {
    const split = note.lastIndexOf("\n\n");
    if (split < 0 || !note.endsWith("\n")) fail(`${what} is not a signed note`);
    const text = note.slice(0, split + 1);
    let signed = false;
    for (const line of note.slice(split + 2, -1).split("\n")) {
      if (!line.startsWith("\u2014 ")) fail(`${what} has a malformed signature line`);
      const [name, encoded] = line.slice(2).split(" ");
      const data = canonical(encoded || "", `a signature on ${what}`);
      if (name !== verifier.name || !same(data.slice(0, 4), verifier.id)) continue;
      const ok = await crypto.subtle.verify("Ed25519", verifier.key, data.slice(4), enc.encode(text));
      if (!ok) fail(`the log key's signature on ${what} does not verify`);
      signed = true;
    }
    if (!signed) fail(`${what} carries no signature by the log key`);
    const [origin, size, root] = text.split("\n");
    if (!/^(0|[1-9][0-9]*)$/.test(size || "")) fail(`${what} has no tree size`);
    const hash = canonical(root || "", `the root hash of ${what}`);
    if (hash.length !== 32) fail(`the root hash of ${what} is not 32 bytes`);
    return { origin, size: Number(size), root: hash };
  }

  async function fetched(path, as) {
    const response = await fetch(path, { cache: "no-store" });
    if (!response.ok) fail(`${path} answered ${response.status}`);
    return as === "json" ? response.json() : response.text();
  }

  // The whole check: the kept checkpoint, the key (the kept one, else the registry's), today's.
  async function check(keptNote, keptKey) {
    const published = keptKey.trim() ? null : (await fetched("/v1/audit/log-key")).split("\n")[0];
    const verifier = await verifierKey(keptKey.trim() || published);
    const kept = await checkpoint(normalise(keptNote), verifier, "the kept checkpoint");
    const latest = await checkpoint(await fetched("/v1/audit/checkpoint"), verifier,
      "today's checkpoint");
    if (kept.origin !== latest.origin) fail(`the kept checkpoint is of another log (${kept.origin})`);
    if (kept.size > latest.size) fail(`the kept checkpoint (${kept.size}) is larger than today's`);
    let proof = [];
    if (kept.size < latest.size) {
      const answer = await fetched(`/v1/audit/consistency?first=${kept.size}&second=${latest.size}`, "json");
      proof = answer.proof.map((p) => canonical(p, "a proof hash"));
    }
    await consistency(kept.size, latest.size, kept.root, latest.root, proof);
    return { kept, latest, published: published !== null };
  }
  // A note pasted from a terminal may have lost its last newline or gained \r.
  const normalise = (note) => note.replace(/\r\n/g, "\n").replace(/\n*$/, "\n");

  window.citConsistency = async (first, second, firstRoot, secondRoot, proof) =>
    consistency(first, second, b64(firstRoot), b64(secondRoot), proof.map(b64));

  const form = document.getElementById("keep-check");
  if (!form) return;
  const out = document.getElementById("keep-result");
  form.hidden = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    out.textContent = "Checking…";
    out.dataset.outcome = "";
    try {
      const { kept, latest, published } = await check(form.elements.kept.value, form.elements.key.value);
      out.textContent = `Consistent: the log of ${latest.size.toLocaleString("en")} events signed now ` +
        `holds, unchanged, the ${kept.size.toLocaleString("en")} events of the checkpoint you kept` +
        (published ? " (checked with the key the registry publishes now: keep your own copy)." : ".");
      out.dataset.outcome = "consistent";
    } catch (e) {
      out.textContent = `Not shown consistent: ${e.message}.`;
      out.dataset.outcome = "failed";
    }
    out.focus();
  });
})();
