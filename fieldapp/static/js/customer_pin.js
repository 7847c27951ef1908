// A new customer's pin: a tap on the map fills the latitude and longitude fields (and typed ones move it).
(function () {
  "use strict";
  var box = document.getElementById("pin-map");
  var form = document.getElementById("customer-form");
  if (!box || !form || !window.L) return;
  var lat = form.querySelector("input[name=lat]"), lon = form.querySelector("input[name=lon]");
  var map = L.map(box), marker = null;
  if (box.dataset.tiles) L.tileLayer(box.dataset.tiles, {maxZoom: 19}).addTo(map);
  function show(la, lo) {
    if (isNaN(la) || isNaN(lo)) return;
    if (marker) marker.setLatLng([la, lo]); else marker = L.marker([la, lo]).addTo(map);
  }
  var la = parseFloat(lat.value), lo = parseFloat(lon.value);
  map.setView(isNaN(la) ? [35.681, 139.767] : [la, lo], isNaN(la) ? 12 : 16);
  show(la, lo);
  map.on("click", function (e) {
    lat.value = e.latlng.lat.toFixed(6); lon.value = e.latlng.lng.toFixed(6);
    show(e.latlng.lat, e.latlng.lng);
  });
  [lat, lon].forEach(function (input) {
    input.addEventListener("input", function () { show(parseFloat(lat.value), parseFloat(lon.value)); });
  });
})();
