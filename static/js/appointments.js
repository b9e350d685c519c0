// Progressive enhancement: the pages work without JavaScript; with it, a request
// form cannot be sent twice by a double click.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-submit-once]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (form.dataset.sent) {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "yes";
    });
  });
});
