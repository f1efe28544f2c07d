/* Progressive enhancement only: the survey works fully without this file. */
(function () {
  "use strict";
  var form = document.getElementById("survey");
  if (!form) { return; }

  // After a failed submission, start keyboard and screen-reader users at the list of problems.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  // Show follow-up questions only when their condition is met.
  var dependants = form.querySelectorAll("[data-show-if]");
  function refresh() {
    for (var i = 0; i < dependants.length; i++) {
      var el = dependants[i];
      var wanted = el.getAttribute("data-show-values").split(" ");
      var inputs = form.querySelectorAll("[name='" + el.getAttribute("data-show-if") + "']:checked");
      var shown = false;
      for (var j = 0; j < inputs.length; j++) {
        if (wanted.indexOf(inputs[j].value) !== -1) { shown = true; }
      }
      el.hidden = !shown;
      var note = el.querySelector(".cond-note");
      if (note) { note.hidden = true; }
    }
  }
  form.addEventListener("change", refresh);
  refresh();

  // One click sends once.
  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.name === "switch_lang") { return; }
    var button = form.querySelector("[data-once]");
    if (button) {
      if (button.getAttribute("aria-disabled") === "true") { event.preventDefault(); return; }
      button.setAttribute("aria-disabled", "true");
    }
  });
})();
