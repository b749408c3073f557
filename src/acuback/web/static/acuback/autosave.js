// Autosave of a draft session: posts the form a few seconds after the last change,
// and once more when the page is left. Leaving with changes not yet saved asks first.
// The server answers 409 with the reason when it refuses (a conflict, a safety rule,
// a bad value); the page then asks for a manual save, which shows the messages next to
// the fields. Without JavaScript, "Save draft" does the same.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("session-form");
  var status = document.getElementById("autosave-status");
  if (!form || form.dataset.autosave !== "on" || !window.fetch) { return; }
  // Read the attribute, not form.action: a control named "action" (the Save and Sign
  // buttons) shadows the form's own properties.
  var target = form.getAttribute("action") || window.location.href;
  var DELAY_MS = 3000;
  var dirty = false;     // changed since the last save was sent
  var pending = false;   // a save has not yet answered
  var submitting = false;
  var timer = null;

  function save(leaving) {
    if (!dirty) { return; }
    dirty = false;
    pending = true;
    var data = new FormData(form);
    data.set("action", "autosave");
    // keepalive lets the request finish after the page has gone.
    return fetch(target, { method: "POST", body: data, credentials: "same-origin",
                           keepalive: !!leaving })
      .then(function (response) {
        return response.json().then(function (body) { return [response.status, body]; });
      })
      .then(function (result) {
        var body = result[1];
        pending = false;
        if (body.saved) {
          form.querySelector("input[name=version]").value = body.version;
          status.textContent = "autosaved " + body.at;
        } else {
          status.textContent = "not autosaved: " + body.problems.join(" ") + " Use Save draft.";
          dirty = true;
        }
      })
      .catch(function () {
        pending = false;
        status.textContent = "not autosaved (offline?)";
        dirty = true;
      });
  }

  function changed() {
    dirty = true;
    status.textContent = "changes not yet saved";
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(function () { timer = null; save(false); }, DELAY_MS);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function () {
    submitting = true;
    dirty = false;
    if (timer) { clearTimeout(timer); timer = null; }
  });
  window.addEventListener("beforeunload", function (event) {
    if (submitting || (!dirty && !pending)) { return; }
    event.preventDefault();
    event.returnValue = "";  // the browser shows its own "leave site?" question
  });
  // The last changes go to the server when the page is hidden or left.
  window.addEventListener("pagehide", function () { if (!submitting) { save(true); } });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && !submitting) { save(true); }
  });
});
