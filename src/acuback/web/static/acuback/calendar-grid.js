// The calendar's drag and drop (issue #28 §2): drag a booked visit onto a free time to
// move it there. It posts the visit's own move form (scheduling/views.py,
// appointment_move: the same checks as the form, namely the practitioner cleared to
// needle there that day, no overlap, the patient's other visits, and the audit) asking
// for JSON. Moved: the grids and the day's list are read again from the server. Refused:
// the reason is said and the visit goes back where it was. Without JavaScript, or from
// the keyboard, each visit's "Move…" link opens the same move as a form.
(function () {
  "use strict";
  const region = document.getElementById("calendar-grids");
  const status = document.getElementById("grid-status");
  if (!region || !status || !region.dataset.csrf) return;
  let dragged = null;

  function say(text, refused) {
    status.textContent = text;
    status.classList.toggle("refused", Boolean(refused));
    status.setAttribute("role", refused ? "alert" : "status");
  }

  function slotOf(event) {
    return event.target instanceof Element ? event.target.closest("a.free-slot") : null;
  }

  function unmark() {
    region.querySelectorAll(".drop-target").forEach(function (s) {
      s.classList.remove("drop-target");
    });
  }

  // Read the page again and put its grids and list in place of these (the server decides
  // what the calendar shows; nothing is recomputed here).
  function refresh() {
    return fetch(window.location.href, {credentials: "same-origin"})
      .then(function (r) { return r.text(); })
      .then(function (html) {
        const fresh = new DOMParser().parseFromString(html, "text/html");
        const tables = fresh.getElementById("grid-tables");
        const mine = document.getElementById("grid-tables");
        if (tables && mine) mine.replaceWith(document.importNode(tables, true));
        const list = fresh.querySelector("table.day-view");
        const shown = document.querySelector("table.day-view");
        if (list && shown) shown.replaceWith(document.importNode(list, true));
      });
  }

  function move(visit, slot) {
    const home = visit.parentNode;
    const next = visit.nextSibling;
    function putBack(message) {
      home.insertBefore(visit, next);
      visit.classList.remove("moving");
      say(message, true);
      visit.querySelector("a")?.focus();
    }
    slot.parentNode.insertBefore(visit, slot);  // where it was dropped, while the server decides
    visit.classList.add("moving");
    say("Moving " + visit.dataset.patient + "…", false);
    const body = new URLSearchParams({
      slot: slot.dataset.practitioner + " " + slot.dataset.start,
      location: slot.dataset.location,
      csrfmiddlewaretoken: region.dataset.csrf,
    });
    fetch(visit.dataset.move, {
      method: "POST", credentials: "same-origin", body: body,
      headers: {Accept: "application/json", "X-CSRFToken": region.dataset.csrf},
    })
      .then(function (r) {
        return r.json().catch(function () {
          return {moved: false, message: "Not moved: the server answered " + r.status + "."};
        });
      })
      .then(function (data) {
        if (!data.moved) {
          putBack("Not moved: " + (data.message || "refused."));
          return;
        }
        return refresh().then(function () { say(data.message, false); });
      })
      .catch(function () { putBack("Not moved: the server could not be reached."); });
  }

  region.addEventListener("dragstart", function (event) {
    const visit = event.target instanceof Element ?
      event.target.closest(".visit[draggable=true]") : null;
    if (!visit) return;
    dragged = visit;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", visit.dataset.appointment);
  });
  region.addEventListener("dragend", function () { unmark(); dragged = null; });
  region.addEventListener("dragover", function (event) {
    const slot = slotOf(event);
    if (!dragged || !slot) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!slot.classList.contains("drop-target")) { unmark(); slot.classList.add("drop-target"); }
  });
  region.addEventListener("drop", function (event) {
    const slot = slotOf(event);
    if (!dragged || !slot) return;
    event.preventDefault();
    unmark();
    const visit = dragged;
    dragged = null;
    move(visit, slot);
  });
})();
