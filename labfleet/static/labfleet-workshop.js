/*
 * labfleet workshop pages (templates/labfleet/workshop.html and workshop-summary.html).
 * The dashboard reads GET /hub/api/labfleet/workshop (participants x notebooks, who is
 * stuck), one save from GET .../workshop/saves/{id} (tail, changes) and its notebook from
 * /hub/labfleet/workshop/saves/{id}/html in a sandboxed frame; hands out material with
 * POST .../workshop/material (and withdraws it, POST .../material/{id}/withdraw); turns
 * workshop mode on and off (PUT .../workshop/mode); makes links that bring a git repository
 * (GET .../workshop/links). The summary reads GET .../workshop/tails?path=. Both follow
 * GET /hub/api/labfleet/events/stream (server-sent events) and update when someone saves.
 * A participant's text is only ever set as textContent: nothing of theirs becomes markup.
 */
(function () {
  "use strict";

  const { request, el, showAlert, showError, setBusy, pathJoin, plural, formatDuration } = window.labfleet;
  const dashboard = document.querySelector(".labfleet-workshop");
  const summary = document.querySelector(".labfleet-workshop-summary");
  const page = dashboard || summary;
  if (!page) return;
  const base = page.dataset.baseUrl;
  const xsrf = page.dataset.xsrf;
  const api = (...parts) => pathJoin(base, "api/labfleet", ...parts);
  const alerts = document.getElementById("lf-workshop-alerts");
  const get = (url) => request(url, { xsrf, baseUrl: base });

  function when(iso) {
    const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    return seconds < 60 ? "just now" : `${formatDuration(seconds)} ago`;
  }

  // -- a notebook's cells, as text -----------------------------------------------------

  function renderTail(container, tail, emptyText) {
    container.replaceChildren();
    if (!tail) {
      container.append(el("p", { class: "text-body-secondary", text: emptyText }));
      return;
    }
    for (const cell of tail) {
      const prompt = cell.cell_type === "code" ? `[${cell.execution_count ?? " "}]` : cell.cell_type;
      const box = el("div", { class: "lf-cell mb-2", "data-cell": cell.index },
        el("div", { class: "small text-body-secondary", text: `cell ${cell.index + 1} ${prompt}` }),
        el("pre", { class: "lf-cell-source border rounded p-2 mb-1", text: cell.source }));
      for (const output of cell.outputs) {
        const error = output.type === "error";
        box.append(el("pre", { class: `lf-cell-output p-2 mb-1 ${error ? "lf-output-error" : ""}`, text: output.text }));
        if (output.cut_lines) {
          box.append(el("div", { class: "small text-body-secondary", text: `… ${plural(output.cut_lines, "line", "lines")} above not shown` }));
        }
      }
      container.append(box);
    }
  }

  function renderChanges(container, changes, previous) {
    container.replaceChildren();
    if (!changes) {
      container.append(el("p", { class: "text-body-secondary", text: "No content to compare." }));
      return;
    }
    container.append(el("p", { class: "small text-body-secondary", text: previous
      ? `Since the save of ${new Date(previous.timestamp).toLocaleTimeString()}.`
      : "The first save: every cell is new." }));
    let same = 0;
    for (const change of changes) {
      if (change.change === "same") { same += 1; continue; }
      const badge = { added: "text-bg-success", removed: "text-bg-danger", edited: "text-bg-warning" }[change.change];
      const where = change.index === null ? `was cell ${change.old_index + 1}` : `cell ${change.index + 1}`;
      const box = el("div", { class: `lf-change lf-change-${change.change} mb-2`, "data-change": change.change },
        el("div", { class: "small" }, el("span", { class: `badge ${badge}`, text: change.change }), ` ${where}`));
      const pre = el("pre", { class: "border rounded p-2 mb-0" });
      if (change.lines) {
        for (const [tag, line] of change.lines) {
          pre.append(el("span", { class: tag === "+" ? "lf-line-added" : tag === "-" ? "lf-line-removed" : "", text: `${tag} ${line}\n` }));
        }
      } else {
        pre.textContent = change.source;
      }
      box.append(pre);
      container.append(box);
    }
    if (same) container.append(el("p", { class: "small text-body-secondary", text: `${plural(same, "cell", "cells")} unchanged.` }));
  }

  // -- live updates ----------------------------------------------------------------------

  /** Follow the events stream; ``reload`` reads the page's data again after a reconnection
   *  (what was saved meanwhile came while the stream was away). */
  function follow(onEvent, reload) {
    const state = document.getElementById("lf-live");
    const source = new EventSource(`${api("events/stream")}?_xsrf=${encodeURIComponent(xsrf)}`);
    source.addEventListener("open", () => {
      if (state.dataset.state === "reconnecting") reload();
      state.dataset.state = "live";
      state.textContent = "● live";
    });
    source.addEventListener("error", () => { state.dataset.state = "reconnecting"; state.textContent = "reconnecting…"; });
    source.addEventListener("message", (message) => onEvent(JSON.parse(message.data)));
  }

  function debounced(fn, ms) {
    let timer = null;
    return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
  }

  // -- the summary page ----------------------------------------------------------------

  if (summary) {
    const path = summary.dataset.path;
    const list = document.getElementById("lf-summary");
    async function load() {
      try {
        const data = await get(`${api("workshop/tails")}?path=${encodeURIComponent(path)}`);
        list.replaceChildren();
        for (const entry of data.participants) {
          const body = el("div", { class: "card-body" });
          const error = entry.event && entry.event.error;
          const card = el("div", { class: "col" }, el("div", { class: `card h-100 ${error ? "border-danger" : ""}`, "data-user": entry.user },
            el("div", { class: "card-header d-flex gap-2" }, el("strong", { text: entry.user }),
              el("span", { class: "small text-body-secondary", text: entry.event ? when(entry.event.timestamp) : "not saved yet" }),
              error ? el("span", { class: "badge text-bg-danger ms-auto", text: error }) : null),
            body));
          renderTail(body, entry.tail, entry.event ? (entry.event.omitted || "No content.") : "No save of this notebook yet.");
          list.append(card);
        }
      } catch (e) {
        showError(alerts, e);
      }
    }
    load();
    const reload = debounced(load, 300);
    follow((event) => { if (event.path === path) reload(); }, reload);
    return;
  }

  // -- the dashboard -------------------------------------------------------------------

  const grid = document.getElementById("lf-grid");
  const stuckCount = document.getElementById("lf-stuck-count");
  const saveCard = document.getElementById("lf-save");
  let opened = null; // {user, path, id}
  const fresh = new Set();

  async function loadGrid() {
    let data;
    try {
      data = await get(api("workshop"));
    } catch (e) {
      showError(alerts, e);
      return;
    }
    const head = el("tr", {}, el("th", { text: "Participant" }));
    for (const path of data.notebooks) {
      head.append(el("th", {}, el("a", { href: `${pathJoin(base, "labfleet/workshop/summary")}?path=${encodeURIComponent(path)}`, text: path, title: "Everyone's tail of this notebook" })));
    }
    const rows = data.participants.map((participant) => {
      const row = el("tr", { "data-user": participant.user },
        el("th", { scope: "row" }, participant.user, participant.running ? el("span", { class: "badge text-bg-success ms-1", text: "running" }) : null));
      for (const path of data.notebooks) {
        const save = data.cells[participant.user][path];
        if (!save) { row.append(el("td", { class: "text-body-secondary", text: "—" })); continue; }
        const key = `${participant.user}\n${path}`;
        const cell = el("td", { class: `lf-save-cell ${save.error ? "table-danger" : ""} ${fresh.has(key) ? "lf-fresh" : ""}`, "data-path": path, "data-event": save.id },
          el("button", { type: "button", class: "btn btn-link btn-sm p-0", text: when(save.timestamp), title: save.error || "open", onclick: () => openSave(save.id) }));
        if (save.error) cell.append(el("div", { class: "small text-danger text-truncate", style: "max-width: 14em", text: save.error }));
        row.append(cell);
      }
      return row;
    });
    grid.tHead.replaceChildren(head);
    grid.tBodies[0].replaceChildren(...rows);
    if (!data.participants.length) {
      grid.tBodies[0].append(el("tr", {}, el("td", { class: "text-body-secondary", text: "No participants yet." })));
    }
    const stuck = data.stuck;
    stuckCount.dataset.count = String(stuck.length);
    stuckCount.className = `badge ${stuck.length ? "text-bg-danger" : "text-bg-secondary"}`;
    stuckCount.textContent = stuck.length ? `${plural(stuck.length, "participant", "participants")} stuck` : "nobody stuck";
    const list = document.getElementById("lf-stuck-list");
    list.replaceChildren(...stuck.map((s) => el("li", { class: "list-group-item list-group-item-danger d-flex gap-2", "data-user": s.user },
      el("button", { type: "button", class: "btn btn-link p-0", text: s.user, onclick: () => openSave(s.event) }),
      el("code", { text: s.path }), el("span", { text: s.error }))));
    document.getElementById("lf-stuck").hidden = !stuck.length;
  }

  async function openSave(id) {
    let view;
    try {
      view = await get(api("workshop/saves", id));
    } catch (e) {
      showError(alerts, e);
      return;
    }
    const event = view.event;
    opened = { user: event.user, path: event.path, id: event.id };
    saveCard.hidden = false;
    saveCard.dataset.event = String(event.id);
    document.getElementById("lf-save-title").textContent = `${event.user} — ${event.path}`;
    document.getElementById("lf-save-when").textContent = `saved ${new Date(event.timestamp).toLocaleString()}`;
    const error = document.getElementById("lf-save-error");
    error.hidden = !event.error;
    error.textContent = event.error || "";
    document.getElementById("lf-save-summary").href = `${pathJoin(base, "labfleet/workshop/summary")}?path=${encodeURIComponent(event.path)}`;
    renderTail(document.getElementById("lf-tail"), view.tail, event.omitted || view.problem || "No content.");
    renderChanges(document.getElementById("lf-changes"), view.changes, view.previous);
    const counts = view.summary;
    document.getElementById("lf-changes-count").textContent = counts ? `+${counts.added} −${counts.removed} ~${counts.edited}` : "";
    document.getElementById("lf-notebook").src = event.has_content ? pathJoin(base, "labfleet/workshop/saves", event.id, "html") : "about:blank";
  }

  for (const tab of saveCard.querySelectorAll("[data-lf-tab]")) {
    tab.addEventListener("click", () => {
      for (const other of saveCard.querySelectorAll("[data-lf-tab]")) other.classList.toggle("active", other === tab);
      for (const pane of saveCard.querySelectorAll("[data-lf-pane]")) pane.hidden = pane.dataset.lfPane !== tab.dataset.lfTab;
    });
  }
  document.getElementById("lf-save-close").addEventListener("click", () => { saveCard.hidden = true; opened = null; });

  const reloadGrid = debounced(loadGrid, 300);
  follow((event) => {
    if (event.type !== "save") return;
    fresh.add(`${event.user}\n${event.path}`);
    reloadGrid();
    if (opened && opened.user === event.user && opened.path === event.path) openSave(event.id);
  }, reloadGrid);
  loadGrid();

  // -- handing out material ------------------------------------------------------------

  const form = document.getElementById("lf-handout");
  const filesInput = document.getElementById("lf-handout-files");
  document.getElementById("lf-handout-directory").addEventListener("change", (e) => {
    filesInput.webkitdirectory = e.target.checked;
  });

  function base64Of(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
  }

  function resultTable(material) {
    const table = el("table", { class: "table table-sm mb-2" },
      el("thead", {}, el("tr", {}, el("th", { text: "Participant" }), el("th", { text: "Status" }), el("th", { text: "Files" }))));
    const body = el("tbody");
    for (const result of material.results) {
      const files = result.files.map((f) => f.beside ? `${f.path}: theirs kept, the new version beside it as ${f.beside}` : `${f.path}: ${f.outcome}`).join("; ");
      body.append(el("tr", { "data-user": result.user, "data-status": result.status },
        el("td", { text: result.user }),
        el("td", { text: result.status === "waiting" ? "waiting: delivered when the server starts" : result.status }),
        el("td", { class: "small", text: files || result.reason })));
    }
    table.append(body);
    return table;
  }

  async function loadHandouts() {
    try {
      const data = await get(api("workshop/material"));
      const list = document.getElementById("lf-handouts");
      list.replaceChildren();
      if (!data.material.length) list.append(el("p", { class: "text-body-secondary small", text: "Nothing handed out yet." }));
      for (const material of data.material) {
        const c = material.counts;
        const state = material.standing
          ? el("span", { class: "badge text-bg-info ms-1 lf-standing", text: "standing", title: "whoever joins later gets it" })
          : material.withdrawn ? el("span", { class: "badge text-bg-secondary ms-1", text: `withdrawn by ${material.withdrawn_by}` }) : null;
        const withdraw = material.standing
          ? el("button", { type: "button", class: "btn btn-sm btn-outline-danger mb-2 lf-withdraw", text: "Withdraw", title: "Nobody else gets it; what arrived stays in the homes", onclick: (e) => withdrawHandout(e.target, material.id) })
          : null;
        list.append(el("details", { class: "mb-2", "data-material": material.id },
          el("summary", {}, `${new Date(material.created).toLocaleString()}: ${plural(material.files.length, "file", "files")} into ${material.folder || "the home"} — ${c.delivered} delivered, ${c.waiting} waiting, ${c.failed} failed`, state),
          withdraw, resultTable(material)));
      }
    } catch (e) {
      showError(alerts, e);
    }
  }

  async function withdrawHandout(button, id) {
    setBusy(button, true);
    try {
      await request(api("workshop/material", id, "withdraw"), { method: "POST", xsrf, baseUrl: base });
      await loadHandouts();
    } catch (error) {
      showError(alerts, error);
      setBusy(button, false);
    }
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const button = form.querySelector("button[type=submit]");
    const result = document.getElementById("lf-handout-result");
    result.replaceChildren();
    if (!filesInput.files.length) {
      showAlert(result, "warning", "Choose the files (or a folder) to hand out.");
      return;
    }
    setBusy(button, true);
    try {
      const files = [];
      for (const file of filesInput.files) {
        // a chosen folder's files keep their place inside it
        const path = file.webkitRelativePath ? file.webkitRelativePath.split("/").slice(1).join("/") : file.name;
        files.push({ path, content: await base64Of(file) });
      }
      const to = form.elements.to.value;
      const body = { folder: form.elements.folder.value, files };
      if (to) body.recipients = { groups: [to] };
      const material = await request(api("workshop/material"), { method: "POST", body, xsrf, baseUrl: base });
      const c = material.counts;
      showAlert(result, c.failed ? "warning" : "success",
        `Handed out: ${c.delivered} delivered, ${c.waiting} waiting for their server to start, ${c.failed} failed. It stands for whoever joins later.`);
      result.append(resultTable(material));
      loadHandouts();
    } catch (error) {
      showError(result, error);
    } finally {
      setBusy(button, false);
    }
  });
  loadHandouts();

  // -- workshop mode: on or off in running servers too ---------------------------------

  const mode = document.getElementById("lf-mode");
  mode.addEventListener("change", async () => {
    const result = document.getElementById("lf-mode-result");
    result.replaceChildren();
    mode.disabled = true;
    try {
      const answer = await request(api("workshop/mode"), { method: "PUT", body: { enabled: mode.checked }, xsrf, baseUrl: base });
      const missed = answer.not_told.map((o) => `${o.user}: ${o.reason}`).join("; ");
      showAlert(result, missed ? "warning" : "success",
        `Workshop mode is ${answer.enabled ? "on" : "off"}: ${plural(answer.told, "running server follows", "running servers follow")} it now.${missed ? ` Not told: ${missed}.` : ""}`);
    } catch (error) {
      mode.checked = !mode.checked;
      showError(result, error);
    } finally {
      mode.disabled = false;
    }
  });

  // -- links that bring a git repository -------------------------------------------------

  const links = document.getElementById("lf-links");
  links.addEventListener("submit", async (e) => {
    e.preventDefault();
    const shown = document.getElementById("lf-links-result");
    const error = document.getElementById("lf-links-error");
    error.replaceChildren();
    const params = new URLSearchParams();
    for (const name of ["repo", "branch", "file", "env"]) {
      const value = links.elements[name].value.trim();
      if (value) params.set(name, value);
    }
    try {
      const answer = await get(`${api("workshop/links")}?${params}`);
      const absolute = (path) => new URL(path, window.location.origin).href;
      document.getElementById("lf-link-user").value = absolute(answer.link);
      const temporary = document.getElementById("lf-link-temporary");
      temporary.hidden = !answer.temporary_link;
      temporary.value = answer.temporary_link ? absolute(answer.temporary_link) : "";
      document.getElementById("lf-link-temporary-off").hidden = Boolean(answer.temporary_link);
      shown.hidden = false;
    } catch (failure) {
      shown.hidden = true;
      showError(error, failure);
    }
  });
  for (const input of document.querySelectorAll("#lf-links-result input")) {
    input.addEventListener("focus", () => input.select());
  }
})();
