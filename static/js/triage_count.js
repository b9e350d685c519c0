// The "requests awaiting triage" count in the admin header, kept current without a reload.
document.addEventListener("DOMContentLoaded", () => {
  const link = document.getElementById("triage-count");
  if (!link) return;
  const number = link.querySelector(".triage-count-number");
  const words = link.querySelector(".triage-count-words");
  const every = Number(link.dataset.everySeconds) * 1000;

  async function refresh() {
    if (document.hidden) return;  // no polling from background tabs
    try {
      const response = await fetch(link.dataset.source, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) return;  // signed out or offline: keep the last count
      const count = (await response.json()).awaiting_triage;
      if (String(count) === number.textContent) return;
      number.textContent = count;
      words.textContent = (count === 1 ? "request" : "requests") + " awaiting triage";
      link.classList.add("changed");
    } catch (error) {
      // A network hiccup: try again at the next tick.
    }
  }

  setInterval(refresh, every);
  document.addEventListener("visibilitychange", refresh);
});
