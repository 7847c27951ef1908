// The team map: customers as circles coloured by rep or by overdue, and a drag-rectangle selection
// (no draw plugin: pointer events on the map container, so it works with a mouse and with a finger).
(function () {
  "use strict";
  var box = document.getElementById("team-map");
  if (!box || !window.L) return;
  var points = JSON.parse(document.getElementById("map-points").textContent);
  var byOverdue = box.dataset.colour === "overdue";
  var map = L.map(box, {preferCanvas: true});
  box.leafletMap = map;  // for the browser tests and the console
  if (box.dataset.tiles) L.tileLayer(box.dataset.tiles, {maxZoom: 19}).addTo(map);
  var selected = new Set();
  var markers = [];

  function colour(p) {
    if (!byOverdue) return p.colour;
    return p.overdue ? "#c62828" : (p.never ? "#1565c0" : "#2e7d32");
  }
  function style(p) {
    var on = selected.has(p.id);
    return {radius: on ? 8 : 6, color: on ? "#000" : colour(p), weight: on ? 3 : 1,
            fillColor: colour(p), fillOpacity: 0.85};
  }
  points.forEach(function (p) {
    var m = L.circleMarker([p.lat, p.lon], style(p)).addTo(map);
    m.bindTooltip(p.name);
    m.on("click", function () { toggle(p); });
    markers.push([p, m]);
  });
  if (points.length) {
    map.fitBounds(L.latLngBounds(points.map(function (p) { return [p.lat, p.lon]; })), {padding: [20, 20]});
  } else {
    map.setView([35.681, 139.767], 11);
  }

  var ids = document.getElementById("selected-ids");
  var count = document.getElementById("selected-count");
  var submit = document.getElementById("handover-selected");
  var texts = document.getElementById("selected-text").dataset;
  function refresh() {
    markers.forEach(function (pm) { pm[1].setStyle(style(pm[0])); pm[1].setRadius(style(pm[0]).radius); });
    ids.value = Array.from(selected).join(",");
    var n = selected.size;
    count.textContent = n === 0 ? texts.none : (n === 1 ? texts.one : texts.many.replace("__N__", n));
    submit.disabled = n === 0;
  }
  function toggle(p) {
    if (selected.has(p.id)) selected.delete(p.id); else selected.add(p.id);
    refresh();
  }
  document.getElementById("clear-selection").addEventListener("click", function () {
    selected.clear(); refresh();
  });

  // Drag-rectangle selection.
  var button = document.getElementById("select-area");
  var help = document.getElementById("select-help");
  var selecting = false, start = null, rect = null;
  function setMode(on) {
    selecting = on;
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.classList.toggle("primary", on);
    help.hidden = !on;
    box.classList.toggle("selecting", on);
    if (on) { map.dragging.disable(); } else { map.dragging.enable(); }
  }
  button.addEventListener("click", function () { setMode(!selecting); });
  function latLng(event) {
    return map.mouseEventToLatLng(event);
  }
  box.addEventListener("pointerdown", function (event) {
    if (!selecting) return;
    event.preventDefault();
    box.setPointerCapture(event.pointerId);
    start = latLng(event);
    rect = L.rectangle(L.latLngBounds(start, start), {color: "#000", weight: 1, dashArray: "4", fillOpacity: 0.1}).addTo(map);
  });
  box.addEventListener("pointermove", function (event) {
    if (!selecting || !start) return;
    rect.setBounds(L.latLngBounds(start, latLng(event)));
  });
  function finish(event) {
    if (!selecting || !start) return;
    var bounds = L.latLngBounds(start, latLng(event));
    start = null;
    map.removeLayer(rect);
    rect = null;
    points.forEach(function (p) { if (bounds.contains([p.lat, p.lon])) selected.add(p.id); });
    refresh();
  }
  box.addEventListener("pointerup", finish);
  box.addEventListener("pointercancel", function () { if (rect) map.removeLayer(rect); start = null; rect = null; });
})();
