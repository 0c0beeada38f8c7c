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

// A form with hx-push-url (the records filters) pushes the URL it asked for; when that is the
// page's URL already (Apply pressed on filters the typing had applied), the entry is replaced,
// so Back is not a step that changes nothing.
document.addEventListener("htmx:beforeHistoryUpdate", (event) => {
  const history = event.detail.history;
  if (history.type === "push" && new URL(history.path, location.href).href === location.href) {
    history.type = "replace";
  }
});

// Toasts (export finished) close on their button.
document.addEventListener("click", (event) => {
  const button = event.target.closest(".toast-close");
  if (button) button.closest(".toast").remove();
});

// The download prompt (an export's page reached from the email's link after logging in)
// starts its download once the page has loaded, by an ordinary navigation: the login form's
// redirects may not lead off the site (CSP form-action), this may. The marker leaves the
// address bar, so a reload does not download again. An export of several zips is a list of
// links instead, and nothing starts by itself.
window.addEventListener("load", () => {
  const prompt = document.querySelector("[data-download-prompt]");
  if (!prompt) return;
  history.replaceState(history.state, "", prompt.dataset.pageUrl);
  const link = prompt.querySelector("a[data-start-download]");
  if (link) window.location.assign(link.href);
});

// Polls (an element whose hx-trigger says "every …") cost nothing while nobody looks: none
// is sent while the tab is hidden, and one goes at once when it is shown again (each polled
// element also listens for `sitepack-poll` on the document). A polled fragment that carries
// `data-etag` sends it as If-None-Match; the server answers 304 with no body while nothing
// changed, and the htmx-config in base.html swaps nothing on a 304.
(() => {
  let skipped = false;
  const polls = (element) => /(^|,)\s*every\s/.test(element.getAttribute("hx-trigger") || "");
  document.addEventListener("htmx:beforeRequest", (event) => {
    if (document.visibilityState !== "visible" && polls(event.detail.elt)) {
      event.preventDefault();
      skipped = true;
    }
  });
  document.addEventListener("htmx:configRequest", (event) => {
    const tag = event.detail.elt.dataset.etag;
    if (tag) event.detail.headers["If-None-Match"] = '"' + tag + '"';
  });
  const resume = () => {
    if (skipped && document.visibilityState === "visible") {
      skipped = false;
      document.dispatchEvent(new Event("sitepack-poll"));
    }
  };
  document.addEventListener("visibilitychange", resume);
  window.addEventListener("focus", resume);
})();
