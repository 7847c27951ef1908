/* The offline outbox in IndexedDB, shared by the pages (outbox.js) and the service worker (sw.js).

   One entry per thing the rep did without a connection: a check-in, a check-out or a visit log, each
   with the time it happened on the phone and an idempotency key, so the server stores it once however
   often it is sent. Entries leave the outbox only when the server has answered. */
(function (global) {
  "use strict";

  var DB_NAME = "field-companion";
  var DB_VERSION = 1;

  function open() {
    return new Promise(function (resolve, reject) {
      var request = global.indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains("outbox")) {
          // Auto-increment ids keep the order things happened in: a check-in is sent before its log.
          db.createObjectStore("outbox", { keyPath: "id", autoIncrement: true });
        }
        if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta");
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  // One transaction per call; resolves with the request's result once the transaction committed.
  function run(storeName, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(storeName, mode);
        var request = work(tx.objectStore(storeName));
        tx.oncomplete = function () { db.close(); resolve(request ? request.result : undefined); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function newKey() {
    var cryptoApi = global.crypto;
    if (cryptoApi && typeof cryptoApi.randomUUID === "function") return cryptoApi.randomUUID();
    // randomUUID needs a secure context; a phone on plain HTTP in a trial still gets 128 random bits.
    var bytes = new Uint8Array(16);
    cryptoApi.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  global.FieldOutbox = {
    add: function (entry) { return run("outbox", "readwrite", function (s) { return s.add(entry); }); },
    put: function (entry) { return run("outbox", "readwrite", function (s) { return s.put(entry); }); },
    remove: function (id) { return run("outbox", "readwrite", function (s) { return s.delete(id); }); },
    all: function () { return run("outbox", "readonly", function (s) { return s.getAll(); }); },
    getMeta: function (name) { return run("meta", "readonly", function (s) { return s.get(name); }); },
    setMeta: function (name, value) {
      return run("meta", "readwrite", function (s) { return s.put(value, name); });
    },
    newKey: newKey
  };
})(self);
