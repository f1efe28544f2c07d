/* Progressive enhancement only: the survey works fully without this file. */
(function () {
  "use strict";
  var form = document.getElementById("survey");
  if (!form) { return; }

  // After a failed submission, start keyboard and screen-reader users at the list of problems;
  // after Back or Next, at the new step's heading (the page is new, its place in it is not).
  var summary = document.getElementById("error-summary");
  var heading = document.querySelector("[data-focus]");
  if (summary) { summary.focus(); } else if (heading) { heading.focus(); }

  // Show follow-up questions only when their condition (a question of the same step) is met.
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

  // Enter in a field means "Next": the browser would press the page's first submit button,
  // which is the language switch in the header.
  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || !target || target.tagName !== "INPUT") { return; }
    var next = form.querySelector("[data-once]");
    if (next) { event.preventDefault(); next.click(); }
  });

  // One click sends once: a second press of any step button while the page loads is ignored.
  var sending = false;
  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.name === "switch_lang") { return; }
    if (sending) { event.preventDefault(); return; }
    sending = true;
    var button = form.querySelector("[data-once]");
    if (button) { button.setAttribute("aria-disabled", "true"); }
  });
  // A page restored by the browser's own Back button can be sent again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    sending = false;
    var button = form.querySelector("[data-once]");
    if (button) { button.removeAttribute("aria-disabled"); }
  });
})();
