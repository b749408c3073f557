// Autosave of a draft session: posts the form every 20 seconds after a change.
// The server answers 409 with the reason when it refuses (a conflict, a safety
// rule, a bad value); the page then asks for a manual save, which shows the
// messages next to the fields. Without JavaScript, "Save draft" does the same.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("session-form");
  var status = document.getElementById("autosave-status");
  if (!form || form.dataset.autosave !== "on" || !window.fetch) { return; }
  var dirty = false;
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("change", function () { dirty = true; });
  form.addEventListener("submit", function () { dirty = false; });
  setInterval(function () {
    if (!dirty) { return; }
    dirty = false;
    var data = new FormData(form);
    data.set("action", "autosave");
    fetch(form.action || window.location.href, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) { return response.json().then(function (body) { return [response.status, body]; }); })
      .then(function (result) {
        var body = result[1];
        if (body.saved) {
          form.querySelector("input[name=version]").value = body.version;
          status.textContent = "autosaved " + body.at;
        } else {
          status.textContent = "not autosaved: " + body.problems.join(" ") + " Use Save draft.";
        }
      })
      .catch(function () { status.textContent = "not autosaved (offline?)"; dirty = true; });
  }, 20000);
});
