// Map of the day: numbered stops in the plan's order, the route between them, start and end of the day.
// Works without a tile server (the route and numbers on a plain background are still the useful part), so
// a tile layer is added only when the app is configured with one. Nothing is fetched from elsewhere.
(function () {
  "use strict";
  var box = document.getElementById("day-map");
  var source = document.getElementById("day-map-data");
  if (!box || !source || !window.L) return;
  var data = JSON.parse(source.textContent);
  var map = L.map(box, { zoomControl: false, attributionControl: !!data.tiles });
  // Leaflet's own zoom buttons say "Zoom in"/"Zoom out" in English: name them in the UI language.
  L.control.zoom({ zoomInTitle: data.labels.zoom_in, zoomOutTitle: data.labels.zoom_out }).addTo(map);
  if (data.tiles) { L.tileLayer(data.tiles, { maxZoom: 19 }).addTo(map); }

  // The marker text is a stop number or a fixed symbol, never data from a record.
  function icon(text, cls) {
    return L.divIcon({
      className: "day-map-marker " + cls,
      html: "<span>" + text + "</span>",
      iconSize: [44, 44],  // a tap target like any other button
      iconAnchor: [22, 22],
      popupAnchor: [0, -14]
    });
  }
  // Names come from customer records: put them in as text, never as HTML.
  function popup(lines, links) {
    var div = document.createElement("div");
    div.className = "day-map-popup";
    lines.forEach(function (line, i) {
      if (!line) return;
      var p = document.createElement(i === 0 ? "strong" : "div");
      p.textContent = line;
      div.appendChild(p);
    });
    links.forEach(function (link) {
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      a.className = "button small";
      if (link.external) { a.target = "_blank"; a.rel = "noopener"; }
      div.appendChild(a);
    });
    return div;
  }
  function addMarker(point, text, cls, content, title) {
    pending.push(function () {
      L.marker(point, { icon: icon(text, cls), title: title, keyboard: true }).addTo(map).bindPopup(content);
    });
  }

  // Markers are added once the map has its view (Leaflet draws layers only on a placed map).
  var points = [], line = [], pending = [];
  var roundTrip = data.start && data.end && data.start.lat === data.end.lat && data.start.lon === data.end.lon;
  if (data.start) {
    var s = [data.start.lat, data.start.lon];
    var title = roundTrip ? data.labels.start + " / " + data.labels.end : data.labels.start;
    addMarker(s, "\u2302", "place start", popup([title, data.start.label], []), title);
    points.push(s); line.push(s);
  }
  data.stops.forEach(function (stop) {
    var p = [stop.lat, stop.lon];
    var links = [
      { href: stop.nav, text: data.labels.navigate, external: true },
      { href: stop.url, text: data.labels.customer }
    ];
    addMarker(p, String(stop.n), "stop state-" + stop.state,
      popup([stop.n + ". " + stop.name, stop.time, stop.stateLabel], links), stop.n + ". " + stop.name);
    points.push(p);
    if (stop.state !== "skipped") line.push(p);  // a skipped stop is not on the way any more
  });
  if (data.end) {
    var e = [data.end.lat, data.end.lon];
    if (!roundTrip) {
      addMarker(e, "\u2691", "place end", popup([data.labels.end, data.end.label], []), data.labels.end);
      points.push(e);
    }
    line.push(e);
  }
  if (points.length === 1) {
    map.setView(points[0], 15);
  } else if (points.length > 1) {
    map.fitBounds(L.latLngBounds(points), { padding: [28, 28], maxZoom: 17 });
  }
  if (line.length > 1) {
    L.polyline(line, { color: "#1d4ed8", weight: 4, opacity: 0.8, className: "day-map-route" }).addTo(map);
  }
  pending.forEach(function (add) { add(); });
  box.dataset.ready = "1";
})();
