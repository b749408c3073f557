// A table wider than a phone's screen scrolls sideways (site.css): such a region must be
// reachable from the keyboard (WCAG 2.1.1; axe "scrollable-region-focusable"). Only the
// tables that do scroll become tab stops, named by their heading for screen readers.
(function () {
  function mark() {
    document.querySelectorAll("table.list").forEach(function (table) {
      if (table.scrollWidth > table.clientWidth + 1) {
        table.tabIndex = 0;
        table.setAttribute("role", "region");
        if (!table.hasAttribute("aria-label")) {
          var heading = table.closest("section, main")?.querySelector("h1, h2, h3");
          table.setAttribute("aria-label", (heading ? heading.textContent.trim() + ": " : "") +
                             "table, scroll sideways for more");
        }
      } else if (table.getAttribute("role") === "region") {
        table.removeAttribute("tabindex");
        table.removeAttribute("role");
      }
    });
  }
  mark();
  window.addEventListener("resize", mark);
})();
