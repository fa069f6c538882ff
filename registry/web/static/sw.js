// The token page's service worker: it keeps the page, its files, the registry's keys and
// the status lists fetched, so that a token can be checked offline after one visit.
// Network first: what is kept is used only when the network cannot answer, and then
// marked (x-cit-kept) so that the page can say so. The page itself judges how old a kept
// status list is: past its ttl, the status is unknown.
"use strict";
const CACHE = "cit-token-1";
const SHELL = ["/v", "/static/token.js", "/static/token.css", "/static/site.css", "/static/icon.svg"];
const DATA = /^\/(\.well-known\/jwks\.json|v1\/signing-keys\/token|v1\/status-lists\/[A-Za-z0-9_-]+)$/;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  const old = (names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n)));
  event.waitUntil(caches.keys().then(old).then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  const path = url.pathname;
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (!SHELL.includes(path) && !DATA.test(path)) return;
  event.respondWith(networkFirst(event.request, path));
});

async function networkFirst(request, path) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(path, response.clone());
    return response;
  } catch (error) {
    const kept = await cache.match(path);
    if (!kept) throw error;
    const headers = new Headers(kept.headers);
    headers.set("x-cit-kept", "1");
    return new Response(kept.body, { status: kept.status, statusText: kept.statusText, headers });
  }
}
