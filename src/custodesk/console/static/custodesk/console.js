// Console behaviour that needs script (CSP forbids inline scripts: everything is here).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-close-drawer]");
    if (closer) {
      var drawer = document.getElementById("drawer");
      if (drawer) { drawer.innerHTML = ""; }
    }
    var all = event.target.closest("[data-check-all]");
    if (all) {
      var name = all.getAttribute("data-check-all");
      document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
        box.checked = all.checked;
      });
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var drawer = document.getElementById("drawer");
      if (drawer) { drawer.innerHTML = ""; }
    }
  });
})();
