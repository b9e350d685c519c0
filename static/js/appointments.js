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

// The consent box for texts shows once texts are chosen (the server decides first).
document.addEventListener("DOMContentLoaded", () => {
  const consent = document.getElementById("text-consent");
  const choices = document.querySelectorAll('input[name="notify_by"]');
  choices.forEach((choice) => choice.addEventListener("change", () => {
    consent.hidden = !["text", "both"].includes(document.querySelector('input[name="notify_by"]:checked').value);
  }));
});

// The restless-legs questions follow the "Restless legs" reason (the server decides first).
document.addEventListener("DOMContentLoaded", () => {
  const questions = document.getElementById("rls-questions");
  const reason = document.querySelector('input[name="reasons"][value="rls"]');
  if (questions && reason) {
    reason.addEventListener("change", () => { questions.hidden = !reason.checked; });
  }
  // Error summary links put the cursor in the field and show its question (GOV.UK pattern).
  const summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", (event) => {
      const link = event.target.closest("a[href^='#']");
      const field = link && document.getElementById(link.hash.slice(1));
      if (!field) return;
      event.preventDefault();
      const group = field.matches("[type=radio], [type=checkbox], .date-of-birth input") && field.closest("fieldset");
      const label = group ? group.querySelector("legend") : document.querySelector(`label[for="${field.id}"]`);
      (label || field).scrollIntoView();
      field.focus({preventScroll: true});
    });
  }
});
