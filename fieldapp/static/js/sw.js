/* Field Companion service worker, served at /sw.js with self.FC_CONFIG set before this code.

   - The app shell (CSS, JS, icons, the offline page) is cached at install, per version.
   - Today, the customers on the plan and their visit forms: network first, the last copy offline.
   - A check-in, check-out or visit log that cannot reach the server goes into the outbox (IndexedDB)
     and the rep is sent back to the page they came from; outbox.js sends it when the connection
     returns (on the "online" event and at every start-up, so it works where Background Sync does
     not, as on iOS). */
"use strict";

var CONFIG = self.FC_CONFIG;
importScripts(CONFIG.store);

var VERSION = "__VERSION__";
var SHELL = "fc-shell-" + VERSION;
// Pages survive an app update: they are replaced by fresh copies whenever the phone is online.
var PAGES = "fc-pages";
// Which pages are kept and which posts wait in the outbox comes from the server's URL map
// (fieldapp/offline/contract.py); each post's pattern captures one id: the stop, or the visit's customer.
var PAGE_PATTERNS = CONFIG.pages.map(function (source) { return new RegExp(source); });
var POSTS = CONFIG.posts.map(function (post) {
  return { kind: post.kind, pattern: new RegExp(post.pattern) };
});

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL)
      .then(function (cache) {
        // Without cookies: the shell (the offline page included) holds nobody's data.
        return cache.addAll(CONFIG.precache.map(function (url) {
          return new Request(url, { credentials: "omit" });
        }));
      })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys()
      .then(function (keys) {
        return Promise.all(keys.filter(function (key) {
          return key.indexOf("fc-shell-") === 0 && key !== SHELL;
        }).map(function (key) { return caches.delete(key); }));
      })
      .then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST") {
    if (request.mode !== "navigate") return;  // the sync API and other scripts talk to the server
    if (url.pathname === CONFIG.logout || url.pathname === CONFIG.login) {
      event.respondWith(forgetPagesAfter(request));
      return;
    }
    var kind = postKind(url);
    // Other buttons (re-plan, skip, …) need the server: say so instead of the browser's error page.
    event.respondWith(kind ? sendOrKeep(request, url, kind) : fetch(request).catch(offlinePage));
    return;
  }
  if (request.method !== "GET") return;
  if (CONFIG.precache.indexOf(url.pathname) >= 0 && !url.search) {
    event.respondWith(shellFile(request));
  } else if (url.pathname.indexOf(CONFIG.staticPrefix) === 0) {
    event.respondWith(networkFirst(request, SHELL));
  } else if (request.mode === "navigate") {
    event.respondWith(page(event, url));
  }
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "warm" || !Array.isArray(data.urls)) return;
  var reply = event.ports && event.ports[0];
  event.waitUntil(warm(data.urls).then(function (count) {
    if (reply) reply.postMessage({ type: "warmed", count: count });
  }));
});

// --- pages and files ----------------------------------------------------------------------------

function keepsPage(url) {
  return PAGE_PATTERNS.some(function (pattern) { return pattern.test(url.pathname); });
}

function shellFile(request) {
  return caches.match(request, { cacheName: SHELL }).then(function (hit) {
    return hit || fetch(request);
  });
}

function networkFirst(request, cacheName) {
  return fetch(request).then(function (response) {
    if (response.ok && response.type === "basic") {
      var copy = response.clone();
      caches.open(cacheName).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request, { cacheName: cacheName, ignoreVary: true }).then(function (hit) {
      return hit || Response.error();
    });
  });
}

// A page worth keeping: a plain 200 answer (a redirect means signed out, an error is not worth it).
// Takes a response of its own (a clone), whose body it reads.
function savePage(cache, url, response) {
  if (!response.ok || response.redirected || response.type !== "basic") return Promise.resolve(0);
  return response.text().then(function (html) {
    var headers = new Headers({ "Content-Type": "text/html; charset=utf-8",
      "X-FC-Saved-At": new Date().toISOString() });
    return cache.put(url, new Response(html, { headers: headers })).then(function () { return 1; });
  });
}

function page(event, url) {
  return fetch(event.request).then(function (response) {
    if (keepsPage(url)) {
      var copy = response.clone();  // before the browser starts reading the body
      event.waitUntil(caches.open(PAGES).then(function (cache) { return savePage(cache, url.href, copy); }));
    }
    return response;
  }).catch(function () {
    return savedPage(url).then(function (saved) { return saved || offlinePage(); });
  });
}

// The last copy of a page, marked so the page can tell the rep it is not live.
function savedPage(url) {
  if (!keepsPage(url)) return Promise.resolve(null);
  return caches.open(PAGES).then(function (cache) {
    return cache.match(url.href, { ignoreVary: true }).then(function (hit) {
      // A stop's visit form works for any link to it (the query only names the visit and stop);
      // another day's plan is not today's, so Today needs the exact address.
      if (hit || url.pathname === CONFIG.today) return hit;
      return cache.match(url.href, { ignoreVary: true, ignoreSearch: true });
    });
  }).then(function (hit) {
    if (!hit) return null;
    var savedAt = hit.headers.get("X-FC-Saved-At") || "";
    return hit.text().then(function (html) {
      var marked = html.replace("<html", '<html data-offline-copy="' + savedAt + '"');
      return new Response(marked, { headers: { "Content-Type": "text/html; charset=utf-8" } });
    });
  });
}

// Fetch the plan's pages ahead of time (asked by outbox.js on the Today page).
function warm(urls) {
  return caches.open(PAGES).then(function (cache) {
    return Promise.all(urls.map(function (address) {
      var url = new URL(address, self.location.origin);
      if (url.origin !== self.location.origin || !keepsPage(url)) return 0;
      return fetch(url.href, { credentials: "same-origin" })
        .then(function (response) { return savePage(cache, url.href, response); })
        .catch(function () { return 0; });
    }));
  }).then(function (counts) {
    return counts.reduce(function (a, b) { return a + b; }, 0);
  });
}

// Signing out or in (as someone else, maybe) forgets the kept pages: they hold the previous user's
// customers. A failed sign-in answers with the form (200), not a redirect, and changes nothing.
// The outbox stays: each entry names its owner and is only sent under their session.
function forgetPagesAfter(request) {
  return fetch(request).then(function (response) {
    if (response.type !== "opaqueredirect" && !response.redirected) return response;
    return caches.delete(PAGES).then(function () { return response; });
  }).catch(offlinePage);
}

// --- the outbox ---------------------------------------------------------------------------------

function postKind(url) {
  for (var i = 0; i < POSTS.length; i++) {
    var match = POSTS[i].pattern.exec(url.pathname);
    if (match) return { kind: POSTS[i].kind, id: Number(match[1]) };
  }
  return null;
}

function sendOrKeep(request, url, kind) {
  var copy = request.clone();
  return fetch(request).catch(function () {
    // No answer from the server (offline, or the connection dropped): keep it for later.
    return copy.formData()
      .then(function (form) { return keep(kind, url, form, request.referrer); })
      .then(function (back) {
        notifyPages();
        return Response.redirect(back, 303);
      })
      .catch(offlinePage);
  });
}

function offlinePage() {
  return caches.match(CONFIG.offline, { cacheName: SHELL }).then(function (hit) {
    return hit || Response.error();
  });
}

function number(value) {
  var n = Number(value);
  return value && isFinite(n) && n > 0 ? n : null;
}

function keep(kind, url, form, referrer) {
  return FieldOutbox.getMeta("user").then(function (user) {
    var entry = {
      kind: kind.kind,
      at: new Date().toISOString(),
      user_id: user ? user.id : null,
      key: FieldOutbox.newKey()
    };
    var back;
    if (kind.kind === "visit") {
      // The form's name/value pairs as posted: the server reads them with the same form as online.
      entry.form = [];
      form.forEach(function (value, name) {
        if (typeof value === "string") entry.form.push([name, value]);
      });
      entry.customer_id = kind.id;
      entry.stop_id = number(url.searchParams.get("stop"));
      entry.visit_id = number(url.searchParams.get("visit_id"));
      // The form's own key: if the post did reach the server before the line dropped, the replay
      // finds the visit stored under it instead of storing a second one.
      entry.key = String(form.get("submission_key") || "") || entry.key;
      back = entry.stop_id ? CONFIG.today + "#stop-" + entry.stop_id
        : CONFIG.customer.replace("{customer_id}", String(kind.id));
    } else {
      entry.stop_id = kind.id;
      entry.lat = form.get("lat") || null;
      entry.lon = form.get("lon") || null;
      var from = referrer ? new URL(referrer) : null;
      var page = from && from.origin === self.location.origin ? from.pathname + from.search : CONFIG.today;
      back = page + "#stop-" + kind.id;
    }
    return FieldOutbox.add(entry).then(function () { return new URL(back, self.location.origin).href; });
  });
}

function notifyPages() {
  self.clients.matchAll({ type: "window" }).then(function (pages) {
    pages.forEach(function (client) { client.postMessage({ type: "outbox-changed" }); });
  });
}
