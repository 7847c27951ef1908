/* Offline on every signed-in page: registers the service worker, shows what waits in the outbox, and
   sends it when the connection returns (the "online" event, every start-up, and a retry each minute)
   rather than relying on Background Sync, which iOS lacks. On Today it marks the stops done offline
   and asks the worker to keep the plan's pages; on the visit form it gives every opened form its own
   submission key. Texts come translated from the banner's data attributes (templates/_partials). */
(function () {
  "use strict";

  var banner = document.getElementById("outbox");
  var store = window.FieldOutbox;
  if (!banner || !store || !("indexedDB" in window)) return;

  var text = banner.dataset;
  var userId = Number(text.userId);
  var root = document.documentElement;
  var offlineCopy = root.dataset.offlineCopy !== undefined;
  var japanese = (root.lang || "").indexOf("ja") === 0;
  var state = "";  // "", "sending" or "signin"
  var flushing = false;

  var KIND_LABEL = { check_in: text.kindCheckIn, check_out: text.kindCheckOut, visit: text.kindVisit };
  var SYNC_URL = { check_in: text.urlCheckIn, check_out: text.urlCheckOut, visit: text.urlVisit };
  // Answers that will not change on a retry: show them to the rep instead of sending again forever.
  var FINAL = [403, 404, 409, 422];

  function format(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (all, name) {
      return name in values ? values[name] : all;
    });
  }

  function clock(iso) {
    var when = new Date(iso);
    if (isNaN(when.getTime())) return "";
    return when.toLocaleTimeString(japanese ? "ja-JP" : "en-GB", { hour: "2-digit", minute: "2-digit" });
  }

  function mine(entry) { return entry.user_id == null || entry.user_id === userId; }

  function stopName(stopId) {
    var link = document.querySelector("#stop-" + stopId + " a.stop-name");
    return link ? link.textContent.trim() : "";
  }

  // --- the banner -------------------------------------------------------------------------------

  function el(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content) node.textContent = content;
    return node;
  }

  function describe(entry) {
    var parts = [KIND_LABEL[entry.kind] || entry.kind, clock(entry.at)];
    var name = entry.stop_id ? stopName(entry.stop_id) : "";
    if (name) parts.push(name);
    return parts.filter(Boolean).join(" · ");
  }

  function render() {
    return store.all().then(function (entries) {
      entries = entries.filter(mine);
      var pending = entries.filter(function (e) { return !e.failed; });
      var failed = entries.filter(function (e) { return e.failed; });
      var count = banner.querySelector(".outbox-count");
      var status = banner.querySelector(".outbox-status");
      var details = banner.querySelector(".outbox-details");
      var list = details.querySelector(".outbox-list");
      var failures = banner.querySelector(".outbox-failures");
      var button = banner.querySelector(".outbox-send");
      banner.dataset.pending = String(pending.length);
      count.textContent = pending.length ? format(text.pendingText, { n: pending.length }) : "";
      var lines = [];
      if (!navigator.onLine) lines.push(text.offlineText);
      else if (state === "sending") lines.push(text.sendingText);
      else if (state === "signin" && pending.length) lines.push(text.signinText);
      if (offlineCopy) lines.push(format(text.copyText, { t: clock(root.dataset.offlineCopy) }));
      status.textContent = lines.join(" ");
      button.hidden = !(pending.length && navigator.onLine && state !== "sending");
      details.hidden = !pending.length;
      list.textContent = "";
      failures.textContent = "";
      pending.forEach(function (entry) { list.appendChild(el("li", "outbox-item", describe(entry))); });
      failed.forEach(function (entry) {
        var item = el("li", "outbox-item outbox-failed",
          format(text.failedText, { what: describe(entry), reason: entry.failed.message || "" }));
        var dismiss = el("button", "button small outbox-dismiss", text.dismissText);
        dismiss.type = "button";
        dismiss.addEventListener("click", function () { store.remove(entry.id).then(render); });
        item.appendChild(dismiss);
        failures.appendChild(item);
      });
      banner.hidden = !(pending.length || failed.length || !navigator.onLine || offlineCopy);
      markStops(pending);
      return pending.length;
    }).catch(function () { return 0; });
  }

  // --- Today: show what was done offline on the stop cards ---------------------------------------

  function markStops(pending) {
    var byStop = {};
    pending.forEach(function (entry) {
      if (entry.stop_id) (byStop[entry.stop_id] = byStop[entry.stop_id] || []).push(entry);
    });
    document.querySelectorAll("li.stop[data-stop-id]").forEach(function (card) {
      var old = card.querySelector(".stop-pending");
      if (old) old.remove();
      var entries = byStop[card.dataset.stopId];
      if (!entries) return;
      var logged = entries.filter(function (e) { return e.kind === "visit"; })[0];
      var checkedIn = entries.filter(function (e) { return e.kind === "check_in"; })[0];
      // The page is the last copy from the server: hide what was already done on the phone.
      card.querySelectorAll(".stop-actions form, .stop-actions a:not([href^='tel:']):not([target]), .stop-order")
        .forEach(function (node) { node.hidden = true; });
      var box = el("div", "stop-pending");
      if (logged) {
        card.classList.add("stop-waiting-done");
        box.appendChild(el("p", "", format(text.loggedText, { t: clock(logged.at) })));
      } else {
        var checkedOut = entries.filter(function (e) { return e.kind === "check_out"; })[0];
        var line = checkedOut ? text.checkedOutText : text.checkedInText;
        box.appendChild(el("p", "", format(line, { t: clock((checkedOut || checkedIn).at) })));
        // The stop's visit form, its address given by the server on the card.
        if (card.dataset.visitUrl) {
          var link = el("a", "button small primary log-visit-offline", text.logText);
          link.href = card.dataset.visitUrl;
          box.appendChild(link);
        }
      }
      card.querySelector(".stop-actions").before(box);
    });
    // Compact cards (the stop card's <details>): show what waits, and open the next stop still to do.
    var opened = false;
    document.querySelectorAll("li.stop[data-stop-id]").forEach(function (card) {
      var fold = card.querySelector("details.stop-fold");
      if (!fold) return;
      if (byStop[card.dataset.stopId]) { fold.open = true; return; }
      if (!opened && card.querySelector("button.check-in, a.log-visit")) {
        if (pending.length) fold.open = true;
        opened = true;
      }
    });
    // Back from an action kept offline (the worker answers with Today#stop-<id>): the card grew its
    // "waiting to sync" line after the browser scrolled to it, so bring the whole card into view again.
    var acted = /^#stop-\d+$/.test(location.hash) && document.querySelector(location.hash);
    if (acted && byStop[acted.dataset.stopId]) acted.scrollIntoView({ block: "start" });
  }

  // Keep Today's plan, its customers and their visit forms for offline use (at most every 5 min).
  function warmPlan() {
    var cards = document.querySelectorAll("li.stop[data-stop-id]");
    if (!cards.length || offlineCopy || !navigator.onLine || !("serviceWorker" in navigator)) return;
    var urls = [location.pathname + location.search];
    // Today, the installed app's start address, is kept too: the server knows which day that is in the
    // team's timezone (the plan on screen is usually the same day at its own address).
    if (urls[0] !== text.urlToday) urls.push(text.urlToday);
    cards.forEach(function (card) {
      // The addresses come from the page (the customer link and the card's visit form).
      var customer = card.querySelector("a.stop-name");
      if (customer) urls.push(customer.getAttribute("href"));
      if (card.dataset.visitUrl) urls.push(card.dataset.visitUrl);
      var log = card.querySelector("a.log-visit");
      if (log) urls.push(log.getAttribute("href"));
    });
    var stamp = urls.join(" ");
    try {
      var last = JSON.parse(sessionStorage.getItem("fc-warm") || "{}");
      if (last.urls === stamp && Date.now() - last.at < 5 * 60 * 1000) {
        root.dataset.offlineReady = "cached";
        return;
      }
    } catch (error) { /* private mode: warm anyway */ }
    navigator.serviceWorker.ready.then(function (registration) {
      var channel = new MessageChannel();
      channel.port1.onmessage = function (event) {
        root.dataset.offlineReady = String(event.data.count);
        try { sessionStorage.setItem("fc-warm", JSON.stringify({ urls: stamp, at: Date.now() })); }
        catch (error) { /* nothing to remember then */ }
      };
      registration.active.postMessage({ type: "warm", urls: urls }, [channel.port2]);
    });
  }

  // --- the visit form -------------------------------------------------------------------------

  function prepareVisitForm() {
    var form = document.getElementById("visit-form");
    if (!form) return;
    // Each opened form gets its own key: a page kept for offline use is reused for the next visit,
    // and two visits must not share a key (the second would be taken for a replay of the first).
    var key = form.querySelector("input[name=submission_key]");
    if (key) key.value = store.newKey();
    // The kept copy of the form may have been saved for another link to it: post to the address
    // shown, which names the stop and visit this log belongs to.
    var action = new URL(form.getAttribute("action") || location.href, location.href);
    if (action.pathname === location.pathname && location.search && action.search !== location.search) {
      form.setAttribute("action", location.pathname + location.search);
    }
    form.addEventListener("submit", function (event) {
      // Offline nobody checks the form before it is kept: ask for the one required answer here.
      if (navigator.onLine || form.querySelector("input[name=outcome]:checked")) return;
      event.preventDefault();
      var outcome = document.getElementById("outcome") || form;
      var message = outcome.querySelector(".outbox-required");
      if (!message) {
        message = el("p", "error outbox-required", text.outcomeText);
        message.setAttribute("role", "alert");
        outcome.appendChild(message);
      }
      outcome.scrollIntoView({ block: "center" });
    }, true);
  }

  // --- sending ------------------------------------------------------------------------------------

  function isJson(response) {
    return (response.headers.get("Content-Type") || "").indexOf("application/json") >= 0;
  }

  function sendOne(entry, token) {
    var body = {
      key: entry.key, at: entry.at, stop_id: entry.stop_id || null,
      customer_id: entry.customer_id || null, visit_id: entry.visit_id || null,
      lat: entry.lat || null, lon: entry.lon || null, form: entry.form || null,
      // Kept by an older version of this app, before the outbox held the form's own fields.
      visit: entry.visit || null
    };
    return fetch(SYNC_URL[entry.kind], {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (response.ok && isJson(response)) {
        return store.remove(entry.id).then(function () { return "sent"; });
      }
      if (!response.redirected && FINAL.indexOf(response.status) >= 0) {
        return response.json().catch(function () { return {}; }).then(function (answer) {
          entry.failed = { status: response.status, message: answer.error || text.refusedText };
          return store.put(entry).then(function () { return "failed"; });
        });
      }
      return "stop";  // signed out, expired token, server trouble: keep everything for later
    }, function () { return "stop"; });
  }

  function sendAll() {
    return store.all().then(function (entries) {
      var pending = entries.filter(function (e) { return !e.failed && mine(e); });
      if (!pending.length) return 0;
      state = "sending";
      render();
      return fetch(text.urlStatus, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          // Signed out: the API answers 401 (older servers redirected to the sign-in page).
          if (response.redirected || response.status === 401 || !isJson(response)) throw new Error("signin");
          if (!response.ok) throw new Error("later");
          return response.json();
        })
        .then(function (status) {
          // Someone else signed in on this phone: their session must not carry this rep's work.
          if (status.user_id !== userId) throw new Error("signin");
          var sent = 0;
          // One after the other, in the order they happened (a check-in before its visit log).
          return pending.reduce(function (chain, entry) {
            return chain.then(function (goOn) {
              if (!goOn) return false;
              return sendOne(entry, status.csrf_token).then(function (outcome) {
                if (outcome === "sent") sent += 1;
                return outcome !== "stop";
              });
            });
          }, Promise.resolve(true)).then(function () { state = ""; return sent; });
        });
    });
  }

  function flush() {
    if (flushing || !navigator.onLine) return Promise.resolve(0);
    flushing = true;
    // Two open tabs must not send the same entries at once (the server would cope, but why load it).
    var run = navigator.locks && navigator.locks.request
      ? navigator.locks.request("fc-outbox", sendAll)
      : sendAll();
    return run.catch(function (error) {
      state = error && error.message === "signin" ? "signin" : "";
      return 0;
    }).then(function (sent) {
      flushing = false;
      return render().then(function (left) {
        // The page on screen is an old copy: show the server's view now that it has everything.
        // (Only after something was accepted: a server that is down would otherwise mean a reload loop.)
        if (offlineCopy && sent && !left && !document.getElementById("visit-form")) location.reload();
        return sent;
      });
    });
  }

  // --- start-up -----------------------------------------------------------------------------------

  store.setMeta("user", { id: userId }).catch(function () {});
  banner.querySelector(".outbox-send").addEventListener("click", function () { flush(); });
  if (offlineCopy) {
    // Messages flashed when this copy was saved are old news.
    document.querySelectorAll(".flash").forEach(function (node) { node.hidden = true; });
  }
  prepareVisitForm();
  window.addEventListener("online", function () { flush(); });
  window.addEventListener("offline", function () { render(); });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(text.worker, { scope: "/" }).catch(function () {});
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "outbox-changed") render();
    });
  }
  render().then(function () {
    warmPlan();
    return flush();
  });
  setInterval(function () {
    if (banner.dataset.pending && banner.dataset.pending !== "0") flush();
  }, 60 * 1000);
})();
