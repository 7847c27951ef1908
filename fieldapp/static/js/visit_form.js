/* Visit form enhancements: phrase chips, due-date shortcuts, quantity steppers, product search,
   more order lines and follow-ups on demand. The form posts the same fields without this script. */
(function () {
  "use strict";

  var form = document.getElementById("visit-form");
  if (!form) return;
  var japanese = (document.documentElement.lang || "").indexOf("ja") === 0;

  // Controls that only work with this script are rendered hidden; show them now.
  form.querySelectorAll(".phrase-chips, .step, .product-search, #add-line, #add-followup")
    .forEach(function (el) { el.hidden = false; });

  // --- phrase chips: append a typical phrase to the note -------------------------------------
  form.addEventListener("click", function (event) {
    var chip = event.target.closest("[data-phrase]");
    if (!chip) return;
    event.preventDefault();
    var target = document.getElementById(chip.parentElement.getAttribute("data-phrases-for"));
    if (!target) return;
    var phrase = chip.getAttribute("data-phrase");
    var value = target.value.replace(/\s+$/, "");
    if (!value) {
      target.value = phrase;
    } else if (target.tagName === "TEXTAREA") {
      target.value = value + "\n" + phrase;
    } else {
      target.value = value + (japanese ? "、" : "; ") + phrase;
    }
    target.dispatchEvent(new Event("input", { bubbles: true }));
  });

  // --- due-date shortcuts: today (team timezone, from the server) plus N days ------------------
  form.addEventListener("click", function (event) {
    var chip = event.target.closest("[data-days]");
    if (!chip) return;
    event.preventDefault();
    var box = chip.parentElement;
    var target = document.getElementById(box.getAttribute("data-due-for"));
    var parts = (box.getAttribute("data-today") || "").split("-").map(Number);
    if (!target || parts.length !== 3) return;
    var day = new Date(Date.UTC(parts[0], parts[1] - 1, parts[2]));
    day.setUTCDate(day.getUTCDate() + Number(chip.getAttribute("data-days")));
    target.value = day.toISOString().slice(0, 10);
    // the chip tapped stays marked, so the rep sees which day was set without opening the date
    box.querySelectorAll("[data-days]").forEach(function (el) {
      el.setAttribute("aria-pressed", el === chip ? "true" : "false");
    });
  });

  // --- quantity steppers ----------------------------------------------------------------------
  form.addEventListener("click", function (event) {
    var button = event.target.closest("[data-step]");
    if (!button) return;
    event.preventDefault();
    var input = button.parentElement.querySelector(".qty");
    var current = parseInt(input.value, 10) || 0;
    input.value = Math.max(0, current + Number(button.getAttribute("data-step")));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });

  // --- product search inside a line: narrow the select, pick the only match ------------------
  function fold(text) {
    // Katakana to hiragana and lower case, so "サクラ", "さくら" and "Sakura" style input all match.
    return (text || "").normalize("NFKC").toLowerCase().replace(/[\u30a1-\u30f6]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0x60);
    });
  }

  form.addEventListener("input", function (event) {
    var search = event.target.closest(".product-search");
    if (!search) return;
    var select = search.parentElement.querySelector(".product-select");
    var needle = fold(search.value.trim());
    var matches = [];
    Array.prototype.forEach.call(select.options, function (option) {
      if (!option.value) return;
      var words = (option.getAttribute("data-search") || "") + " " + option.textContent;
      var hit = !needle || fold(words).indexOf(needle) !== -1;
      option.hidden = !hit;
      if (hit) matches.push(option);
    });
    if (needle && matches.length === 1) {
      select.value = matches[0].value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });

  form.addEventListener("change", function (event) {
    var select = event.target.closest(".product-select");
    if (!select) return;
    var line = select.closest("[data-line]");
    var option = select.options[select.selectedIndex];
    var price = line.querySelector(".price");
    if (price && option) price.placeholder = option.getAttribute("data-price") || price.placeholder;
    var qty = line.querySelector(".qty");
    if (select.value && qty && !qty.value) qty.value = 1;
  });

  // --- more lines on demand -----------------------------------------------------------------
  function isBlank(row) {
    return Array.prototype.every.call(
      row.querySelectorAll("input[type=text], input[type=number], input[type=date], select"),
      function (el) {
        if (el.tagName === "SELECT") return !el.value || el.classList.contains("keep");
        return !el.value;
      }
    );
  }

  function renumber(row, prefix, index) {
    var pattern = new RegExp(prefix + "-\\d+-", "g");
    var replacement = prefix + "-" + index + "-";
    row.querySelectorAll("[name], [id], [for], [data-due-for]").forEach(function (el) {
      ["name", "id", "for", "data-due-for"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) el.setAttribute(attr, value.replace(pattern, replacement));
      });
    });
  }

  function setUpRows(selector, buttonId, prefix) {
    var button = document.getElementById(buttonId);
    var rows = Array.prototype.slice.call(form.querySelectorAll(selector));
    if (!button || !rows.length) return;
    // Keep the first row and any row already filled in (after a refused post); hide the rest.
    rows.forEach(function (row, index) {
      if (index > 0 && isBlank(row)) row.hidden = true;
    });
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var all = Array.prototype.slice.call(form.querySelectorAll(selector));
      var next = all.filter(function (row) { return row.hidden; })[0];
      if (!next) {
        var last = all[all.length - 1];
        next = last.cloneNode(true);
        renumber(next, prefix, all.length);
        next.querySelectorAll("input[type=text], input[type=number], input[type=date], input[type=search]")
          .forEach(function (el) { el.value = ""; });
        next.querySelectorAll(".product-select").forEach(function (el) { el.value = ""; });
        next.querySelectorAll("option").forEach(function (el) { el.hidden = false; });
        last.parentNode.insertBefore(next, last.nextSibling);
      }
      next.hidden = false;
      var focus = next.querySelector(".product-search, input[type=text]");
      if (focus) focus.focus();
    });
  }

  // The owner select of a follow-up always has a value; it does not make the row "filled in".
  form.querySelectorAll("[data-followup] select").forEach(function (el) { el.classList.add("keep"); });
  setUpRows("[data-line]", "add-line", "orders");
  setUpRows("[data-followup]", "add-followup", "followups");
})();
