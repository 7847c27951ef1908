// Inputs marked data-select-on-focus select their whole value when focused (the calendar address to copy).
// A file, not an onfocus="" attribute: the Content-Security-Policy runs no inline script.
document.querySelectorAll("[data-select-on-focus]").forEach(function (input) {
  input.addEventListener("focus", function () { input.select(); });
});
