/* Progressive enhancement only: the precinct search works fully without this file.
   With it, the matching precincts appear as the citizen types. The server does the
   matching (one set of folding rules, surveyapp/collation.py): this asks it for the same
   page the form would load and shows that page's list in place. */
(function () {
  "use strict";
  var form = document.getElementById("place-search");
  var found = document.getElementById("place-found");
  var input = document.getElementById("place-q");
  if (!form || !found || !input || !window.fetch || !window.DOMParser) { return; }
  found.setAttribute("aria-live", "polite");
  var timer = null;
  var asked = 0;

  function search() {
    var query = input.value.trim();
    if (query.length < 2) { return; }  // the server's minimum: no message while typing
    var url = form.action + "?" + new URLSearchParams(new FormData(form)).toString();
    var ticket = ++asked;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        if (ticket !== asked) { return; }  // an older answer arriving after a newer one
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("place-found");
        if (!fresh) { return; }
        found.innerHTML = fresh.innerHTML;
        if (window.history && history.replaceState) { history.replaceState(null, "", url); }
      })
      .catch(function () { /* offline or refused: the button still submits the form */ });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(search, 300);
  });
})();
