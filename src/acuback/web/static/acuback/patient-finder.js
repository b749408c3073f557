// The booking page's patient finder, as you type. Without JavaScript the same field is a
// search form whose matches are links (scheduling/views.py, _patient_finder); here the
// matches come from the JSON endpoint and choosing one fills the hidden patient field.
(function () {
  "use strict";
  const finder = document.getElementById("patient-finder");
  const input = document.getElementById("patient-q");
  const list = document.getElementById("patient-matches");
  const hidden = document.querySelector("input[name=patient]");
  if (!finder || !input || !list || !hidden) return;
  let timer = null;
  let asked = "";

  function show(results, query) {
    list.replaceChildren();
    if (!results.length) {
      const none = document.createElement("li");
      none.className = "muted";
      none.textContent = "No patient found for “" + query + "”.";
      list.append(none);
      return;
    }
    for (const p of results) {
      const item = document.createElement("li");
      const choose = document.createElement("button");
      choose.type = "button";
      choose.className = "secondary";
      choose.textContent = p.name;
      choose.addEventListener("click", function () {
        hidden.value = String(p.id);
        input.value = p.name;
        list.replaceChildren();
        const chosen = document.createElement("li");
        chosen.id = "chosen-patient";
        chosen.textContent = "Chosen: " + p.name + " · MRN " + p.mrn + " · born " + p.born;
        list.append(chosen);
      });
      const facts = document.createElement("span");
      facts.className = "muted";
      facts.textContent = " MRN " + p.mrn + " · born " + p.born;
      item.append(choose, facts);
      list.append(item);
    }
  }

  function search() {
    const query = input.value.trim();
    if (query.length < 2 || query === asked) return;
    asked = query;
    const url = finder.dataset.searchUrl + "?" + new URLSearchParams({q: query});
    fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : {results: [], query: query}; })
      .then(function (data) { if (input.value.trim() === query) show(data.results, query); })
      .catch(function () { /* offline: the Find button still searches */ });
  }

  input.addEventListener("input", function () {
    hidden.value = "";  // typing again un-chooses the patient
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !hidden.value) { event.preventDefault(); search(); }
  });
})();
