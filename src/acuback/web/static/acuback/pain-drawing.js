// Progressive enhancement for the pain drawing: clicking a region on the body
// outline ticks its checkbox (the checkboxes work on their own without this).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".body-map .region").forEach(function (shape) {
    var box = document.getElementById("region-" + shape.dataset.region);
    if (!box) { return; }
    shape.setAttribute("tabindex", "0");
    shape.setAttribute("role", "checkbox");
    var sync = function () {
      shape.classList.toggle("on", box.checked);
      shape.setAttribute("aria-checked", box.checked ? "true" : "false");
    };
    var toggle = function () { box.checked = !box.checked; sync(); };
    shape.addEventListener("click", toggle);
    shape.addEventListener("keydown", function (event) {
      if (event.key === " " || event.key === "Enter") { event.preventDefault(); toggle(); }
    });
    box.addEventListener("change", sync);
    sync();
  });
});
