// Service worker: keeps the client shell (page, styles, modules, icons) so the app opens without
// network. The server fills in VERSION (a hash of the shell's files) and SHELL when serving it,
// so a deploy that changes a file installs a fresh cache. API calls and the socket are never
// cached: live data is either fresh or visibly missing.

const VERSION = "__VERSION__";
const SHELL = __SHELL__;
const CACHE = `cl-shell-${VERSION}`;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("cl-shell-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

function isShell(url) {
  return url.origin === self.location.origin && (url.pathname === "/" || url.pathname.startsWith("/static/") || url.pathname === "/manifest.webmanifest");
}

// Network first (an online user always gets the current files), the cache when the network fails.
self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  const navigation = request.mode === "navigate" && url.origin === self.location.origin && url.pathname === "/";
  if (!navigation && !isShell(url)) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok && SHELL.includes(url.pathname)) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(navigation ? "/" : url.pathname, copy));
        }
        return response;
      })
      .catch(() => caches.match(navigation ? "/" : url.pathname).then((hit) => hit || Response.error())),
  );
});
