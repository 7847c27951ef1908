// Fix location: drag the pin, tap the map, type coordinates or use the phone's position.
// The words it shows come from data- attributes of #position-status (translated by the page).
(function () {
  var form = document.getElementById("location-form");
  var lat = form.querySelector("input[name=lat]"), lon = form.querySelector("input[name=lon]");
  var source = form.querySelector("input[name=source]");
  var status = document.getElementById("position-status");
  var marker = null, map = null;
  function show(la, lo) {
    if (!map || isNaN(la) || isNaN(lo)) return;
    var point = [la, lo];
    if (marker) { marker.setLatLng(point); } else {
      marker = L.marker(point, {draggable: true}).addTo(map);
      marker.on("dragend", function () {
        var p = marker.getLatLng();
        lat.value = p.lat.toFixed(6); lon.value = p.lng.toFixed(6); source.value = "pinned";
      });
    }
    map.setView(point, Math.max(map.getZoom() || 0, 16));
  }
  var mapBox = document.getElementById("map");
  if (mapBox && window.L) {
    map = L.map(mapBox);
    var tiles = mapBox.dataset.tiles;
    if (tiles) { L.tileLayer(tiles, {maxZoom: 19}).addTo(map); }
    var la = parseFloat(lat.value), lo = parseFloat(lon.value);
    if (isNaN(la) || isNaN(lo)) { la = 35.681; lo = 139.767; }
    map.setView([la, lo], 16);
    show(la, lo);
    map.on("click", function (e) {
      lat.value = e.latlng.lat.toFixed(6); lon.value = e.latlng.lng.toFixed(6); source.value = "pinned";
      show(e.latlng.lat, e.latlng.lng);
    });
  }
  [lat, lon].forEach(function (input) {
    input.addEventListener("input", function () {
      source.value = "pinned"; show(parseFloat(lat.value), parseFloat(lon.value));
    });
  });
  document.getElementById("use-position").addEventListener("click", function () {
    if (!navigator.geolocation) { status.textContent = status.dataset.noGeolocation; return; }
    status.textContent = status.dataset.finding;
    navigator.geolocation.getCurrentPosition(function (pos) {
      lat.value = pos.coords.latitude.toFixed(6);
      lon.value = pos.coords.longitude.toFixed(6);
      source.value = "device";
      status.textContent = status.dataset.filled.replace("__M__", Math.round(pos.coords.accuracy));
      show(pos.coords.latitude, pos.coords.longitude);
    }, function () {
      status.textContent = status.dataset.unavailable;
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 0});
  });
})();
