// "Near me": ask the phone for its position, then reload the list sorted by distance from it.
(function () {
  var link = document.getElementById("near-me");
  if (!link) return;
  link.addEventListener("click", function (event) {
    if (!navigator.geolocation) return;
    event.preventDefault();
    navigator.geolocation.getCurrentPosition(function (pos) {
      var url = new URL(link.dataset.base, window.location.href);
      url.searchParams.set("near", "1");
      url.searchParams.set("lat", pos.coords.latitude.toFixed(6));
      url.searchParams.set("lon", pos.coords.longitude.toFixed(6));
      url.searchParams.delete("page");
      window.location.href = url.toString();
    }, function () {
      document.getElementById("near-error").hidden = false;
    }, {enableHighAccuracy: true, timeout: 10000, maximumAge: 60000});
  });
})();
