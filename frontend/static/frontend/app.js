/* Samverka: small progressive enhancements. Every page works without this file.
 *
 * - A form is sent once: a second submit while the first is on its way is ignored.
 * - A submit button with data-confirm="question" asks before the form is sent.
 */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) {
      return;
    }
    var submitter = event.submitter;
    var question = submitter && submitter.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    if (form.hasAttribute("data-submitting")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-submitting", "");
    if (submitter) {
      // Not `disabled`: a disabled submitter would drop its name and value from the form.
      submitter.setAttribute("aria-disabled", "true");
    }
    // A page restored from the back/forward cache must be usable again.
    window.addEventListener(
      "pageshow",
      function () {
        form.removeAttribute("data-submitting");
        if (submitter) {
          submitter.removeAttribute("aria-disabled");
        }
      },
      { once: true }
    );
  });
})();
