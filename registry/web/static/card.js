// The wallet card's Print button: shown only once this script runs, since without it the
// browser's own Print (Ctrl+P) does the same.
"use strict";
(function () {
  const button = document.getElementById("print-card");
  if (button) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
})();
