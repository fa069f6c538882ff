// The verification form: a pasted token goes straight to the token page, in the URL's
// fragment, so that it never reaches the server. Without this script the server sends
// it there itself (and so sees it once).
"use strict";
(function () {
  var form = document.getElementById("ask");
  var field = document.getElementById("q");
  if (!form || !field) return;
  var token = /^[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
  form.addEventListener("submit", function (event) {
    var value = field.value.trim();
    if (token.test(value)) {
      event.preventDefault();
      window.location.assign("/v#" + value);
    }
  });
})();
