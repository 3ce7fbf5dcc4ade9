/* The auditor's console: print buttons (no inline script under the Content-Security-Policy). */
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-action='print']")) {
    button.addEventListener("click", () => window.print());
  }
});
