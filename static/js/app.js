// Small behaviours the pages need; no inline script anywhere (the CSP forbids it).
document.addEventListener("DOMContentLoaded", () => {
  document.body.addEventListener("htmx:responseError", (event) => {
    const box = document.getElementById("htmx-error");
    if (box) {
      box.textContent = "That didn't work (" + event.detail.xhr.status + "). Reload the page and try again.";
      box.hidden = false;
    }
  });
});

// Toasts (export finished) close on their button.
document.addEventListener("click", (event) => {
  const button = event.target.closest(".toast-close");
  if (button) button.closest(".toast").remove();
});
