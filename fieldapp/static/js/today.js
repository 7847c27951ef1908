// Today page: add the phone's position to check-in, check-out, re-plan and "nearby" forms when the phone
// allows it. Without permission (or after 4 s) the form is sent without a position: never block the rep.
(function () {
  "use strict";
  function withPosition(form, submit) {
    if (!("geolocation" in navigator) || form.dataset.positioned) { submit(); return; }
    var done = false;
    function finish(position) {
      if (done) return;
      done = true;
      if (position) {
        form.querySelector("input[name=lat]").value = position.coords.latitude.toFixed(6);
        form.querySelector("input[name=lon]").value = position.coords.longitude.toFixed(6);
      }
      form.dataset.positioned = "1";
      submit();
    }
    setTimeout(function () { finish(null); }, 4000);
    navigator.geolocation.getCurrentPosition(finish, function () { finish(null); },
      { enableHighAccuracy: true, timeout: 3500, maximumAge: 60000 });
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches(".js-position, .js-position-get")) return;
    if (form.dataset.positioned) return;
    if (!form.querySelector("input[name=lat]")) return;
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    withPosition(form, function () { HTMLFormElement.prototype.submit.call(form); });
  });
})();
