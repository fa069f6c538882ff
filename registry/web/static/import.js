// The console's import. On the form: a file larger than the import takes is refused
// here, before it is sent. On the write's page: the progress bar follows the write
// (asking the server every second) and, when it ends, the page shows what was written.
// Without this script the form is refused by the server and the page reloads itself.
"use strict";
(function () {
  var form = document.getElementById("import-form");
  var file = document.getElementById("file");
  if (form && file) {
    form.addEventListener("submit", function (event) {
      var max = Number(form.getAttribute("data-max"));
      var chosen = file.files && file.files[0];
      if (!chosen || !max || chosen.size <= max) return;
      event.preventDefault();
      var error = document.getElementById("file-error");
      if (!error) {
        error = document.createElement("p");
        error.className = "error";
        error.id = "file-error";
        file.parentNode.insertBefore(error, file);
        file.setAttribute("aria-describedby", "file-hint file-error");
      }
      error.textContent = "The file is " + chosen.size.toLocaleString("en-US") + " bytes (" +
        (chosen.size / 1048576).toFixed(1) + " MB). The import takes files of up to " +
        form.getAttribute("data-limit") + ": split it into smaller files and import each in turn.";
      document.getElementById("file-field").classList.add("invalid");
      file.setAttribute("aria-invalid", "true");
      file.focus();
    });
  }

  var bar = document.getElementById("write-bar");
  var words = document.getElementById("write-words");
  if (!bar || !words || bar.getAttribute("data-state") !== "writing") return;
  var count = function (n) { return n.toLocaleString("en-US"); };
  var poll = function () {
    fetch(bar.getAttribute("data-poll"), { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (answer) {
        if (!answer.ok) throw new Error("progress: " + answer.status);
        return answer.json();
      })
      .then(function (p) {
        bar.max = Math.max(p.total, 1);
        bar.value = p.total ? p.done : 1;
        bar.textContent = count(p.done) + " of " + count(p.total);
        words.textContent = count(p.done) + " of " + count(p.total) + (p.total === 1 ? " row" : " rows");
        if (p.state === "writing") window.setTimeout(poll, 1000);
        else window.location.reload();
      })
      .catch(function () { window.setTimeout(function () { window.location.reload(); }, 3000); });
  };
  window.setTimeout(poll, 500);
})();
