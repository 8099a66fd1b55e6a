/*
 * labfleet settings page (templates/labfleet/settings.html): the search box keeps the rows
 * whose name, value or description holds every word typed, and hides the sections left
 * empty; the count says how many settings match.
 */
(function () {
  "use strict";

  const page = document.querySelector(".labfleet-settings");
  const search = document.getElementById("labfleet-settings-search");
  const count = document.getElementById("labfleet-settings-count");
  const rows = [...page.querySelectorAll("tr.lf-setting")];
  const texts = new Map(rows.map((row) => [row, `${row.id} ${row.textContent}`.toLowerCase()]));

  function filter() {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const row of rows) {
      row.hidden = !words.every((word) => texts.get(row).includes(word));
      if (!row.hidden) shown += 1;
    }
    for (const section of page.querySelectorAll(".labfleet-section")) {
      section.hidden = words.length > 0 && !section.querySelector("tr.lf-setting:not([hidden])");
    }
    count.textContent = words.length ? `${shown} of ${rows.length} settings match` : `${rows.length} settings`;
  }

  search.addEventListener("input", filter);
  filter();
})();
