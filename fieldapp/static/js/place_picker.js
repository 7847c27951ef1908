// Planning settings: "use my current position" fills a place's hidden lat/lon from the phone; typing an
// address clears them (the server then looks the address up); a pin's fields show only when chosen.
(function () {
  "use strict";
  function picker(name) { return document.querySelector('.place-pick[data-place="' + name + '"]'); }
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".js-use-position");
    if (!button) return;
    var box = picker(button.dataset.place);
    var state = box.querySelector(".js-place-state");
    if (!("geolocation" in navigator)) { state.textContent = state.dataset.failed; return; }
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(function (position) {
      box.querySelector(".js-lat").value = position.coords.latitude.toFixed(6);
      box.querySelector(".js-lon").value = position.coords.longitude.toFixed(6);
      state.textContent = state.dataset.set;
      button.disabled = false;
    }, function () {
      state.textContent = state.dataset.failed;
      button.disabled = false;
    }, { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 });
  });
  document.addEventListener("input", function (event) {
    var box = event.target.closest(".place-pick");
    if (!box || event.target.classList.contains("js-lat")) return;
    box.querySelector(".js-lat").value = "";
    box.querySelector(".js-lon").value = "";
    box.querySelector(".js-place-state").textContent = "";
  });
  function showPins() {
    document.querySelectorAll(".js-when-pin").forEach(function (block) {
      var chosen = document.querySelector('input[name="' + block.dataset.kindOf + '"]:checked');
      block.hidden = !(chosen && chosen.value === "pin");
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.name === "start_kind" || event.target.name === "end_kind") showPins();
  });
  showPins();
})();
