/*
 * labfleet activity dashboard (templates/labfleet/activity.html): reads one page of users
 * from GET /hub/api/labfleet/activity (sorted and filtered by the hub) through
 * labfleet.request (labfleet-api.js), draws the chart of active users and each user's
 * activity by hour with uPlot (static/vendor, MIT), and calls POST .../activity/sample and
 * DELETE .../activity. The CSV export is the same request with format=csv.
 *
 * The chart's time axis spans what the hub says (chart.start to chart.end: from the first
 * round to now, an hour at least); its last point is now, the counts the badges show. Its
 * labels, drawn on a canvas, are also its accessible name. Scores from less than a day of
 * samples say so (samples.few).
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
  let span = [0, 1]; // the time axis, in seconds
  let axisLabels = []; // the time axis's labels as last drawn
  let latest = ""; // the chart's last values, in words
  const DAY = 86400;
  const COLORS = { active: "#198754", idle: "#fd7e14", offline: "#6c757d" };

  function query(extra = {}) {
    const args = { ...wanted, ...extra };
    const search = filter.elements.search.value.trim();
    const state = filter.elements.state.value;
    if (search) args.search = search;
    if (state) args.state = state;
    return new URLSearchParams(args).toString();
  }

  /** A label of the time axis (local time): the time of day, with the day on a longer span. */
  function timeLabel(seconds) {
    const date = new Date(seconds * 1000);
    const time = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    if (span[1] - span[0] <= DAY) return time;
    const day = date.toLocaleDateString([], { weekday: "short", day: "numeric" });
    return date.getHours() || date.getMinutes() ? `${day} ${time}` : day;
  }

  function describeChart(box) {
    box.setAttribute("aria-label", `Active users and running servers. Time axis: ${axisLabels.join(", ")}. ${latest}`);
  }

  function drawChart(data) {
    const box = document.getElementById("lf-activity-chart");
    const times = data.times.map((t) => Date.parse(t) / 1000);
    const series = [times, data.active, data.running];
    span = [Date.parse(data.start) / 1000, Date.parse(data.end) / 1000];
    const last = times.length - 1;
    latest = `Now: ${data.active[last]} active, ${data.running[last]} running.`;
    if (chart) {
      chart.setData(series);
      return;
    }
    box.setAttribute("role", "img");
    chart = new uPlot(
      {
        width: box.clientWidth || 800,
        height: 200,
        series: [
          {},
          { label: "active users", stroke: COLORS.active, width: 2, fill: "rgba(25,135,84,0.08)" },
          { label: "running servers", stroke: "#0d6efd", width: 1, dash: [4, 4] },
        ],
        axes: [
          { space: 90, values: (u, splits) => (axisLabels = splits.map(timeLabel)) },
          { label: "users", size: 50 },
        ],
        scales: {
          x: { time: true, range: () => span },
          y: { range: (u, min, max) => [0, Math.max(1, max)] },
        },
        hooks: { draw: [() => describeChart(box)] },
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

  function row(user, few) {
    const age = user.age_seconds === null ? "" : ` (measured ${Math.round(user.age_seconds)} s ago)`;
    // from less than a day of samples: the hours seen so far, and said so
    const figure = few ? { class: "text-end lf-few fst-italic", title: few } : { class: "text-end" };
    return el(
      "tr",
      { "data-user": user.name },
      el("td", { text: user.name }),
      el("td", {}, stateBadge(user.state)),
      el("td", { ...figure, class: `${figure.class} lf-score`, text: `${user.score.toFixed(0)} %` }),
      el("td", { ...figure, class: `${figure.class} lf-hours`, text: user.hours_a_day.toFixed(1) }),
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

  /** What the figures rest on; a note when it is less than a day of samples (else ""). */
  function fewNote(samples) {
    if (!samples.few) return "";
    return `${formatDuration(Math.round(samples.hours * 3600))} of samples (${samples.rounds} rounds), less than a day: active hours a day are the hours seen so far.`;
  }

  function showSamples(data) {
    const status = document.getElementById("lf-activity-status");
    if (!data.last_round) {
      status.textContent = "No samples yet: the first round comes after one sampling interval, or with Sample now.";
      return;
    }
    const first = data.samples.first.slice(0, 16).replace("T", " ");
    status.textContent =
      `Last round of samples: ${data.last_round.slice(0, 19).replace("T", " ")} UTC, every ${formatDuration(data.settings.sample_interval)}; ` +
      `${data.samples.rounds} rounds since ${first} UTC.`;
    const note = fewNote(data.samples);
    if (note) status.append(" ", el("span", { class: "badge text-bg-warning", id: "lf-activity-few", title: note, text: "few samples" }), ` ${note}`);
  }

  async function load() {
    try {
      const data = await request(`${api}?${query()}`, { xsrf });
      const few = fewNote(data.samples);
      document.querySelector("#lf-activity-table tbody").replaceChildren(...data.users.map((user) => row(user, few)));
      showCounts(data.counts, data.total);
      drawChart(data.chart);
      document.getElementById("lf-activity-previous").disabled = wanted.offset === 0;
      document.getElementById("lf-activity-next").disabled = wanted.offset + wanted.limit >= data.total;
      showSamples(data);
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
