// Show only the inputs that matter for the chosen kind and for whole-day periods.
(function () {
  var form = document.getElementById("busy-form");
  function sync() {
    var kind = (form.querySelector("input[name=kind]:checked") || {}).value || "weekly";
    form.querySelector(".weekly-only").hidden = kind !== "weekly";
    form.querySelector(".dates-only").hidden = kind !== "dates";
    form.querySelector(".times").hidden = form.querySelector("input[name=whole_day]").checked;
  }
  form.addEventListener("change", sync);
  sync();
})();
