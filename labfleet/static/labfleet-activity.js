/*
 * labfleet activity dashboard (templates/labfleet/activity.html): reads one page of users
 * from GET /hub/api/labfleet/activity (sorted and filtered by the hub) through
 * labfleet.request (labfleet-api.js), draws the chart of active users and each user's
 * activity by hour with uPlot (static/vendor, MIT), and calls POST .../activity/sample and
 * DELETE .../activity. The CSV export is the same request with format=csv.
 */
(function () {
  "use strict";

  const { request, el, showError, showAlert, pathJoin, formatBytes, formatDuration } = window.labfleet;
  const page = document.querySelector(".labfleet-activity");
  const xsrf = page.dataset.xsrf;
  const api = pathJoin(page.dataset.baseUrl, "api/labfleet/activity");
  const alerts = document.getElementById("lf-activity-alerts");
  const filter = document.getElementById("lf-activity-filter");
  const wanted = { sort: "score", order: "desc", offset: 0, limit: 50 };
  let chart = null;
  const COLORS = { active: "#198754", idle: "#fd7e14", offline: "#6c757d" };

  function query(extra = {}) {
    const args = { ...wanted, ...extra };
    const search = filter.elements.search.value.trim();
    const state = filter.elements.state.value;
    if (search) args.search = search;
    if (state) args.state = state;
    return new URLSearchParams(args).toString();
  }

  function drawChart(data) {
    const box = document.getElementById("lf-activity-chart");
    const times = data.times.map((t) => Date.parse(t) / 1000);
    const series = [times, data.active, data.running];
    if (chart) {
      chart.setData(series);
      return;
    }
    chart = new uPlot(
      {
        width: box.clientWidth || 800,
        height: 200,
        series: [
          {},
          { label: "active users", stroke: COLORS.active, width: 2, fill: "rgba(25,135,84,0.08)" },
          { label: "running servers", stroke: "#0d6efd", width: 1, dash: [4, 4] },
        ],
        axes: [{}, { label: "users", size: 50 }],
        scales: { y: { range: (u, min, max) => [0, Math.max(1, max)] } },
      },
      series,
      box,
    );
  }

  /** A user's share of active time per hour, as a small bar chart. */
  function sparkline(hourly) {
    const box = el("div", { class: "lf-sparkline", title: "share of each hour active (gaps: the hub was down)" });
    const xs = hourly.map((_, i) => i);
    const bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [1, Infinity], gap: 0 }) : undefined;
    requestAnimationFrame(() => {
      new uPlot(
        {
          width: 170,
          height: 28,
          cursor: { show: false },
          legend: { show: false },
          select: { show: false },
          axes: [{ show: false }, { show: false }],
          scales: { x: { time: false }, y: { range: [0, 1] } },
          series: [{}, { stroke: COLORS.active, fill: "rgba(25,135,84,0.35)", width: 0, paths: bars, points: { show: false } }],
        },
        [xs, hourly],
        box,
      );
    });
    return box;
  }

  function stateBadge(state) {
    return el("span", { class: "badge lf-state", style: `background:${COLORS[state]}`, text: state });
  }

  function row(user) {
    const age = user.age_seconds === null ? "" : ` (measured ${Math.round(user.age_seconds)} s ago)`;
    return el(
      "tr",
      { "data-user": user.name },
      el("td", { text: user.name }),
      el("td", {}, stateBadge(user.state)),
      el("td", { class: "text-end lf-score", text: `${user.score.toFixed(0)} %` }),
      el("td", { class: "text-end", text: user.hours_a_day.toFixed(1) }),
      el("td", {}, sparkline(user.hourly)),
      el("td", { class: "text-end", title: age, text: user.cpu_percent === null ? "—" : `${user.cpu_percent.toFixed(0)} %` }),
      el("td", { class: "text-end", title: age, text: user.memory_bytes === null ? "—" : formatBytes(user.memory_bytes) }),
      el("td", { class: "text-end", title: age, text: user.volume_bytes === null ? "—" : formatBytes(user.volume_bytes) }),
      el("td", { class: "text-end", text: user.seconds_left === null ? "—" : formatDuration(user.seconds_left) }),
    );
  }

  function showCounts(counts, total) {
    const box = document.getElementById("lf-activity-counts");
    box.replaceChildren(
      ...["active", "idle", "offline"].map((state) =>
        el("span", { class: "badge fs-6 lf-count", "data-state": state, style: `background:${COLORS[state]}` }, `${counts[state]} ${state}`),
      ),
    );
    document.getElementById("lf-activity-page").textContent = total
      ? `${wanted.offset + 1}–${Math.min(total, wanted.offset + wanted.limit)} of ${total}`
      : "Nobody matches";
  }

  async function load() {
    try {
      const data = await request(`${api}?${query()}`, { xsrf });
      document.querySelector("#lf-activity-table tbody").replaceChildren(...data.users.map(row));
      showCounts(data.counts, data.total);
      drawChart(data.chart);
      document.getElementById("lf-activity-previous").disabled = wanted.offset === 0;
      document.getElementById("lf-activity-next").disabled = wanted.offset + wanted.limit >= data.total;
      document.getElementById("lf-activity-status").textContent = data.last_round
        ? `Last round of samples: ${data.last_round.slice(0, 19).replace("T", " ")} UTC, every ${formatDuration(data.settings.sample_interval)}.`
        : "No samples yet: the first round comes after one sampling interval, or with Sample now.";
      for (const th of document.querySelectorAll("#lf-activity-table th[data-sort]")) {
        th.setAttribute("aria-sort", th.dataset.sort === wanted.sort ? (wanted.order === "asc" ? "ascending" : "descending") : "none");
        th.classList.toggle("text-primary", th.dataset.sort === wanted.sort);
      }
      document.getElementById("lf-activity-csv").href = `${api}?${query({ format: "csv", offset: 0 })}`;
      alerts.replaceChildren();
    } catch (error) {
      showError(alerts, error);
    }
  }

  for (const th of document.querySelectorAll("#lf-activity-table th[data-sort]")) {
    th.addEventListener("click", () => {
      const sort = th.dataset.sort;
      wanted.order = wanted.sort === sort ? (wanted.order === "asc" ? "desc" : "asc") : sort === "name" ? "asc" : "desc";
      wanted.sort = sort;
      wanted.offset = 0;
      load();
    });
  }
  filter.addEventListener("input", () => {
    wanted.offset = 0;
    load();
  });
  filter.addEventListener("submit", (event) => event.preventDefault());
  document.getElementById("lf-activity-previous").addEventListener("click", () => {
    wanted.offset = Math.max(0, wanted.offset - wanted.limit);
    load();
  });
  document.getElementById("lf-activity-next").addEventListener("click", () => {
    wanted.offset += wanted.limit;
    load();
  });
  document.getElementById("lf-activity-sample").addEventListener("click", async () => {
    try {
      const taken = await request(`${api}/sample`, { method: "POST", xsrf });
      showAlert(alerts, "success", `Sampled ${taken.users} users: ${taken.active} active, ${taken.running} servers running.`);
      load();
    } catch (error) {
      showError(alerts, error);
    }
  });
  document.getElementById("lf-activity-reset").addEventListener("click", async () => {
    if (!window.confirm("Delete every sample and score? This cannot be undone.")) return;
    try {
      const done = await request(api, { method: "DELETE", xsrf });
      showAlert(alerts, "success", done.message);
      load();
    } catch (error) {
      showError(alerts, error);
    }
  });
  load();
  setInterval(load, 60000);
})();
