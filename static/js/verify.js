// The Verify page: hashes the chosen file here, with Web Crypto, and sends only its sha256.
// The file itself is never uploaded (tests/e2e/test_verify_browser.py watches every request).
"use strict";

(function () {
  const form = document.querySelector(".verify-form");
  if (!form) return;
  const input = document.getElementById("verify-file");
  const result = document.getElementById("verify-result");
  const drop = form.querySelector(".verify-drop");

  function say(text, kind) {
    result.textContent = text;
    result.className = "verify-result " + (kind || "");
  }

  async function sha256(file) {
    const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function describe(answer) {
    if (!answer.authentic) return "Not a file Sitepack produced.";
    if (answer.kind === "zip") {
      return `Authentic: zip ${answer.part} of an export by ${answer.organization}, made ${answer.made_at}.`;
    }
    const current = answer.current_version === null
      ? "the record has been deleted since"
      : `the current version is ${answer.current_version}`;
    return `Authentic: ${answer.reference} version ${answer.version}, ${answer.organization}, ` +
      `rendered ${answer.made_at}; ${current}.`;
  }

  async function check(file) {
    if (!file) return;
    say("Computing the fingerprint of " + file.name + "…");
    const digest = await sha256(file);
    const url = form.dataset.checkUrl + "?sha256=" + digest;
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (response.status === 429) {
      say("Too many checks from your address. Wait a minute and try again.", "bad");
      return;
    }
    if (!response.ok) {
      say("The check could not be made. Try again.", "bad");
      return;
    }
    const answer = await response.json();
    say(describe(answer), answer.authentic ? "good" : "bad");
  }

  input.addEventListener("change", () => check(input.files[0]));
  drop.addEventListener("dragover", (event) => event.preventDefault());
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    check(event.dataTransfer.files[0]);
  });
})();
