/*
 * labfleet control panel: restart, session time, volumes and logs of a user's server,
 * on the hub's pages (templates/labfleet_panel.html), through labfleet's JSON API
 * (/hub/api/labfleet, see labfleet/openapi.yaml) with labfleet-api.js, loaded before it.
 *
 * Plain ES2017, no build step. Starts every [data-labfleet-panel] element of the page;
 * a page that adds panels later starts them with labfleet.start(element). Every error is
 * shown as a dismissible alert in the panel.
 */
(function () {
  "use strict";

  const { request, xsrfToken, pathJoin, el, showAlert, showError, modalOf, setBusy } = window.labfleet;
  const { formatBytes, formatDuration, formatClock, resourceCode, plural } = window.labfleet;
  const USAGE_REFRESH_MS = 30 * 1000; // memory and processes are read again every 30 s

  /** "Memory: 120 MiB of 2.00 GiB · 14 processes of 1024 · Disk: 1.20 GiB of 4.86 GiB" from
   * GET .../usage; the disk (a group's disk_limit) is shown whether the server runs or not. */
  function usageText(usage) {
    const disk = usage.disk ? [`Disk: ${formatBytes(usage.disk.used_bytes)} of ${formatBytes(usage.disk.limit_bytes)}`] : [];
    if (!usage.running) return ["The server is stopped.", ...disk].join(" · ");
    if (usage.memory_bytes === null && usage.processes === null) return disk[0] || "Not measured on this hub.";
    const parts = [];
    if (usage.memory_bytes !== null) {
      const limit = usage.memory_limit_bytes === null ? " (no limit)" : ` of ${formatBytes(usage.memory_limit_bytes)}`;
      parts.push(`Memory: ${formatBytes(usage.memory_bytes)}${limit}`);
    }
    if (usage.processes !== null) {
      const limit = usage.processes_limit === null ? "" : ` of ${usage.processes_limit}`;
      parts.push(`${plural(usage.processes, "process", "processes")}${limit}`);
    }
    return [...parts, ...disk].join(" · ");
  }

  const WARNING_SECONDS = 10 * 60; // the API's `warning` threshold, also applied between fetches
  const TICK_MS = 60 * 1000; // the time left is redrawn each minute
  const SESSION_REFRESH_MS = 5 * 60 * 1000; // and fetched again every 5 minutes...
  const SESSION_REFRESH_WARNING_MS = 60 * 1000; // ...every minute once under the warning
  const STATE_POLL_MS = 1500; // while a server starts or stops
  const LOG_LINES = 500; // lines in the logs modal

  // -- the control panel ----------------------------------------------------------------

  const STATE_BADGES = {
    running: ["text-bg-success", "Running"],
    pending: ["text-bg-secondary", "Starting or stopping"],
    stopped: ["text-bg-light border", "Stopped"],
    restarting: ["text-bg-warning", "Restarting"],
  };

  class Panel {
    constructor(root) {
      this.root = root;
      this.name = root.dataset.user;
      this.key = root.dataset.key;
      this.baseUrl = root.dataset.baseUrl || (window.jhdata && window.jhdata.base_url) || "/hub/";
      this.prefix = root.dataset.prefix || (window.jhdata && window.jhdata.prefix) || "/";
      this.xsrf = xsrfToken(root);
      this.api = pathJoin(this.baseUrl, "api/labfleet/users", encodeURIComponent(this.name));
      this.hubUserApi = pathJoin(this.baseUrl, "api/users", encodeURIComponent(this.name));
      this.labUrl = root.dataset.labUrl || pathJoin(this.prefix, "user", encodeURIComponent(this.name), "lab");
      this.openLab = root.dataset.openLab !== "false";
      this.isSelf = root.dataset.self !== "false";
      this.state = root.dataset.state || "stopped";
      this.restarting = false;

      this.session = null;
      this.sessionFetchedAt = 0;
      this.sessionTimer = null;
      this.stateTimer = null;
      this.warningDismissed = false;
      this.volumes = [];
      this.justReset = new Set();
      this.volumesOpen = false;

      this.alerts = this.$(".lf-alerts");
      const target = root.dataset.warningTarget && document.querySelector(root.dataset.warningTarget);
      this.warningArea = target || this.alerts;
      this.warningBox = null;

      // modals live in <body>, away from the card's stacking context
      this.modals = {};
      for (const modal of root.querySelectorAll(".modal[data-lf-modal]")) {
        this.modals[modal.dataset.lfModal] = modal;
        document.body.append(modal);
      }

      this.bind();
      this.renderState();
      this.renderSession();
      this.loadSession();
      this.loadUsage();
      setInterval(() => this.renderSession(), TICK_MS);
      setInterval(() => {
        if (!document.hidden) this.loadUsage();
      }, USAGE_REFRESH_MS);
      document.addEventListener("visibilitychange", () => {
        if (!document.hidden && Date.now() - this.sessionFetchedAt > SESSION_REFRESH_WARNING_MS) this.refresh();
      });
      if (this.state === "pending") this.pollState();
    }

    $(selector) {
      return this.root.querySelector(selector);
    }

    modalPart(modal, selector) {
      return this.modals[modal].querySelector(selector);
    }

    bind() {
      this.$(".lf-restart-open").addEventListener("click", () => modalOf(this.modals.restart).show());
      this.modalPart("restart", ".lf-restart-confirm").addEventListener("click", () => this.restart());

      this.$(".lf-extend-form").addEventListener("submit", (event) => {
        event.preventDefault();
        this.extend(parseInt(this.$(".lf-extend-hours").value, 10));
      });

      this.$(".lf-volumes-toggle").addEventListener("click", () => this.toggleVolumes());
      this.$(".lf-volumes-refresh").addEventListener("click", () => this.loadVolumes());
      this.$(".lf-volumes-all").addEventListener("change", (event) => {
        for (const box of this.volumeBoxes()) box.checked = event.target.checked;
        this.renderSelection();
      });
      this.$(".lf-volumes-list").addEventListener("change", () => this.renderSelection());
      this.$(".lf-reset-open").addEventListener("click", () => this.openResetModal());
      this.modalPart("reset", ".lf-reset-confirm").addEventListener("click", () => this.resetVolumes());

      this.$(".lf-logs-open").addEventListener("click", () => this.openLogs());
      this.modalPart("logs", ".lf-logs-refresh").addEventListener("click", () => this.loadLogs());
      this.modals.logs.addEventListener("shown.bs.modal", () => this.scrollLogsToEnd());

      // the home page's own Stop button (JupyterHub's home.js) does not reload the page
      const stop = this.isSelf && document.getElementById("stop");
      if (stop) stop.addEventListener("click", () => this.setState("pending"));
      // the user starts through JupyterHub's spawn page (a link); an admin, through the API
      const start = this.$("button.lf-start");
      if (start) start.addEventListener("click", () => this.startOrStop("POST", start));
      this.$(".lf-stop").addEventListener("click", (event) => {
        if (stop) stop.click(); // the home page's buttons follow
        else this.startOrStop("DELETE", event.currentTarget);
      });
    }

    /** Start (POST) or stop (DELETE) the default server through JupyterHub's API. */
    async startOrStop(method, button) {
      button.disabled = true;
      try {
        await request(pathJoin(this.hubUserApi, "server"), { method, xsrf: this.xsrf, baseUrl: this.baseUrl });
        this.setState("pending");
      } catch (e) {
        showError(this.alerts, e);
      } finally {
        button.disabled = false;
      }
    }

    // -- server state -------------------------------------------------------------------

    setState(state) {
      if (state === this.state) return;
      const previous = this.state;
      this.state = state;
      this.renderState();
      if (state === "pending") this.pollState();
      if (previous !== "pending" || state !== "pending") this.loadSession();
      if (state === "stopped" && this.volumesOpen) this.loadVolumes();
    }

    renderState() {
      const shown = this.restarting ? "restarting" : this.state;
      this.root.dataset.state = this.state;
      const [style, text] = STATE_BADGES[shown] || STATE_BADGES.stopped;
      const badge = this.$(".lf-state-badge");
      badge.className = `badge lf-state-badge ${style}`;
      badge.textContent = text;
    }

    /** The default server's state from JupyterHub's own API. */
    async fetchState() {
      const user = await request(this.hubUserApi, { xsrf: this.xsrf, baseUrl: this.baseUrl });
      const server = (user.servers || {})[""];
      if (!server) return "stopped";
      return server.ready && !server.pending ? "running" : "pending";
    }

    async refreshState() {
      try {
        this.setState(await this.fetchState());
      } catch (e) {
        // the panel's other requests report errors; a failed state check is not worth one
        console.warn("labfleet: cannot read the server state", e);
      }
    }

    pollState() {
      clearTimeout(this.stateTimer);
      this.stateTimer = setTimeout(async () => {
        await this.refreshState();
        if (this.state === "pending") this.pollState();
      }, STATE_POLL_MS);
    }

    refresh() {
      this.refreshState();
      this.loadSession();
      this.loadUsage();
    }

    // -- resources ----------------------------------------------------------------------

    async loadUsage() {
      const summary = this.$(".lf-usage-summary");
      try {
        const usage = await request(pathJoin(this.api, "usage"), { xsrf: this.xsrf, baseUrl: this.baseUrl });
        summary.textContent = usageText(usage);
      } catch (e) {
        summary.textContent = `Resource use is not available: ${e.message}`;
      }
    }

    // -- restart ------------------------------------------------------------------------

    async restart() {
      modalOf(this.modals.restart).hide();
      const button = this.$(".lf-restart-open");
      const progress = this.$(".lf-restart-progress");
      const label = progress.querySelector("span:last-child");
      button.disabled = true;
      label.textContent = "Restarting…";
      progress.classList.remove("d-none");
      this.restarting = true;
      this.renderState();
      let navigating = false;
      try {
        const answer = await request(pathJoin(this.api, "restart"), { method: "POST", xsrf: this.xsrf, baseUrl: this.baseUrl });
        if (this.openLab) {
          navigating = true;
          label.textContent = "Restarted: opening the lab…";
          window.location.assign(answer.url || this.labUrl);
          return;
        }
        showAlert(this.alerts, "success", answer.message || "The server was restarted.");
      } catch (e) {
        showError(this.alerts, e);
        this.refreshState();
      } finally {
        if (!navigating) {
          this.restarting = false;
          button.disabled = false;
          progress.classList.add("d-none");
          this.renderState();
        }
      }
      this.loadSession();
    }

    // -- session time -------------------------------------------------------------------

    async loadSession() {
      clearTimeout(this.sessionTimer);
      try {
        const session = await request(pathJoin(this.api, "session"), { xsrf: this.xsrf, baseUrl: this.baseUrl });
        this.setSession(session);
        // the session says whether the server runs; JupyterHub's API says so precisely
        if (Boolean(session.running) !== (this.state === "running") && this.state !== "pending") this.refreshState();
      } catch (e) {
        showError(this.alerts, e);
        this.$(".lf-session-summary").textContent = "The session time is not available.";
      } finally {
        const soon = this.session && this.session.running && this.warningActive();
        clearTimeout(this.sessionTimer);
        this.sessionTimer = setTimeout(() => this.loadSession(), soon ? SESSION_REFRESH_WARNING_MS : SESSION_REFRESH_MS);
      }
    }

    setSession(session) {
      this.session = session;
      this.sessionFetchedAt = Date.now();
      this.renderSession();
    }

    secondsLeft() {
      const s = this.session;
      if (!s || s.seconds_left === null || s.seconds_left === undefined) return null;
      return Math.max(0, s.seconds_left - (Date.now() - this.sessionFetchedAt) / 1000);
    }

    warningActive() {
      const s = this.session;
      if (!s || !s.running || !s.culling) return false;
      const left = this.secondsLeft();
      return Boolean(s.warning) || (left !== null && left < WARNING_SECONDS);
    }

    renderSession() {
      const summary = this.$(".lf-session-summary");
      const form = this.$(".lf-extend-form");
      const s = this.session;
      if (!s) {
        form.classList.add("d-none");
        return;
      }
      summary.replaceChildren();
      summary.classList.add("text-body-secondary");
      if (!s.running) {
        summary.textContent = "The server is not running.";
        form.classList.add("d-none");
        this.renderWarning();
        return;
      }
      if (!s.culling) {
        summary.textContent = "Idle servers are not stopped automatically: the server runs until it is stopped.";
        form.classList.add("d-none");
        this.renderWarning();
        return;
      }
      summary.classList.remove("text-body-secondary");
      const left = this.secondsLeft();
      const warn = this.warningActive();
      const leftText = left === null ? "unknown" : left <= 0 ? "any moment now" : formatDuration(left);
      summary.append(
        el(
          "div",
          { class: "lf-time-left" + (warn ? " text-danger" : "") },
          el("i", { class: "fa fa-hourglass-half me-1", "aria-hidden": "true" }),
          el("span", { class: "lf-time-left-label" }, "Time left: "),
          el("strong", { class: "lf-time-left-value", text: leftText }),
        ),
      );
      const details = [];
      if (left !== null) details.push(`If it stays idle, it is stopped at about ${formatClock(new Date(Date.now() + left * 1000))}.`);
      if (s.idle_timeout) details.push(`Idle timeout: ${formatDuration(s.idle_timeout)}.`);
      if (s.extended_hours) details.push(`Extended by ${plural(s.extended_hours, "hour", "hours")} so far.`);
      details.push("Using the lab moves the deadline.");
      summary.append(el("div", { class: "small text-body-secondary", text: details.join(" ") }));

      // extend: whole hours, at most hours_addable
      form.classList.remove("d-none");
      const addable = Math.max(0, s.hours_addable || 0);
      const input = this.$(".lf-extend-hours");
      const submit = this.$(".lf-extend-submit");
      const help = this.$(".lf-extend-help");
      input.max = String(Math.max(1, addable));
      input.disabled = addable === 0;
      submit.disabled = addable === 0 || submit.dataset.busy === "true";
      if (parseInt(input.value, 10) > addable && addable > 0) input.value = String(addable);
      help.textContent =
        addable > 0
          ? `You can add up to ${plural(addable, "hour", "hours")}` +
            (s.max_extension_hours ? ` (at most ${plural(s.max_extension_hours, "hour", "hours")} in all).` : ".")
          : `No more hours can be added` + (s.max_extension_hours ? ` (the limit is ${plural(s.max_extension_hours, "hour", "hours")}).` : ".");
      this.renderWarning();
    }

    renderWarning() {
      const warn = this.warningActive();
      if (!warn) {
        this.warningDismissed = false;
        if (this.warningBox) this.warningBox.remove();
        this.warningBox = null;
        return;
      }
      if (this.warningDismissed) return;
      const left = this.secondsLeft();
      const whose = this.isSelf ? "Your server" : `${this.name}'s server`;
      const when = left === null || left <= 0 ? "any moment now" : `in ${formatDuration(left)}`;
      const addable = this.session.hours_addable || 0;
      if (!this.warningBox) {
        this.warningBox = el("div", {
          class: "alert alert-warning alert-dismissible fade show border-warning border-2 shadow-sm lf-session-warning",
          role: "alert",
        });
        this.warningBox.addEventListener("closed.bs.alert", () => {
          this.warningDismissed = true;
          this.warningBox = null;
        });
        this.warningArea.prepend(this.warningBox);
      }
      this.warningBox.replaceChildren(
        el(
          "div",
          { class: "d-flex flex-wrap align-items-center gap-3" },
          el("i", { class: "fa fa-clock fs-3", "aria-hidden": "true" }),
          el(
            "div",
            { class: "me-auto" },
            el("div", { class: "fs-5 fw-semibold lf-session-warning-title", text: `${whose} stops ${when}` }),
            el("div", {
              text:
                addable > 0
                  ? "Servers idle for too long are stopped: use it, or add time."
                  : "Servers idle for too long are stopped: use it to keep it running (no more hours can be added).",
            }),
          ),
          addable > 0
            ? el("button", {
                type: "button",
                class: "btn btn-warning lf-warning-extend",
                text: "Add 1 hour",
                onclick: (event) => {
                  event.currentTarget.disabled = true;
                  this.extend(1);
                },
              })
            : null,
        ),
        el("button", { type: "button", class: "btn-close", "data-bs-dismiss": "alert", "aria-label": "Close" }),
      );
    }

    async extend(hours) {
      const s = this.session || {};
      const addable = s.hours_addable || 0;
      if (!Number.isInteger(hours) || hours < 1) {
        showAlert(this.alerts, "danger", "Enter a whole number of hours, 1 or more.");
        return;
      }
      if (addable > 0 && hours > addable) {
        // the API truncates and says so; the form says it first
        this.$(".lf-extend-hours").value = String(addable);
      }
      const submit = this.$(".lf-extend-submit");
      submit.dataset.busy = "true";
      setBusy(submit, true);
      try {
        const answer = await request(pathJoin(this.api, "session/extend"), {
          method: "POST",
          body: { hours },
          xsrf: this.xsrf, baseUrl: this.baseUrl,
        });
        this.setSession(answer);
        const message =
          answer.message ||
          `Added ${plural(answer.added_hours !== undefined ? answer.added_hours : hours, "hour", "hours")}.`;
        showAlert(this.alerts, answer.truncated ? "warning" : "success", message);
      } catch (e) {
        showError(this.alerts, e);
        if (e.status === 409) this.refresh();
      } finally {
        submit.dataset.busy = "false";
        setBusy(submit, false);
        this.renderSession();
      }
    }

    // -- volumes ------------------------------------------------------------------------

    toggleVolumes() {
      this.volumesOpen = !this.volumesOpen;
      this.$(".lf-volumes-body").hidden = !this.volumesOpen;
      const toggle = this.$(".lf-volumes-toggle");
      toggle.setAttribute("aria-expanded", String(this.volumesOpen));
      toggle.classList.toggle("active", this.volumesOpen);
      if (this.volumesOpen) this.loadVolumes();
    }

    volumeBoxes() {
      return Array.from(this.root.querySelectorAll(".lf-volume-check:not(:disabled)"));
    }

    selectedVolumes() {
      const chosen = new Set(this.volumeBoxes().filter((box) => box.checked).map((box) => box.value));
      return this.volumes.filter((v) => chosen.has(v.name));
    }

    async loadVolumes() {
      const list = this.$(".lf-volumes-list");
      const refresh = this.$(".lf-volumes-refresh");
      refresh.disabled = true;
      const previous = new Set(this.selectedVolumes().map((v) => v.name));
      try {
        const answer = await request(pathJoin(this.api, "volumes"), { xsrf: this.xsrf, baseUrl: this.baseUrl });
        this.volumes = answer.volumes || [];
        this.renderVolumes(previous);
        if (answer.server_running && this.state === "stopped") this.refreshState();
      } catch (e) {
        showError(this.alerts, e);
        if (!this.volumes.length) {
          list.replaceChildren(el("tr", {}, el("td", { colspan: "4", class: "text-body-secondary", text: "The volumes are not available." })));
        }
      } finally {
        refresh.disabled = false;
      }
    }

    renderVolumes(selected = new Set()) {
      const list = this.$(".lf-volumes-list");
      if (!this.volumes.length) {
        list.replaceChildren(el("tr", {}, el("td", { colspan: "4", class: "text-body-secondary", text: "No volumes." })));
        this.renderSelection();
        return;
      }
      list.replaceChildren(
        ...this.volumes.map((v) => {
          const id = `${this.key}-volume-${v.name}`;
          let size;
          if (!v.exists) {
            size = el(
              "span",
              { class: "text-body-secondary" },
              "empty",
              el("span", { class: "d-block small", text: "not created yet" }),
            );
          } else {
            size = el("span", { text: formatBytes(v.size_bytes) });
          }
          return el(
            "tr",
            { class: "lf-volume-row", "data-volume": v.name },
            el(
              "td",
              { class: "lf-col-check" },
              el("input", {
                class: "form-check-input lf-volume-check",
                type: "checkbox",
                id,
                value: v.name,
                checked: selected.has(v.name) && v.resettable,
                disabled: !v.resettable,
                "aria-describedby": `${id}-description`,
              }),
            ),
            el(
              "td",
              {},
              el(
                "label",
                { class: "fw-semibold lf-volume-label", for: id },
                v.label || v.name,
                this.justReset.has(v.name) ? el("span", { class: "badge text-bg-info ms-2 lf-volume-reset", text: "reset" }) : null,
              ),
              el("div", { class: "small text-body-secondary", id: `${id}-description`, text: v.description || "" }),
              v.resettable ? null : el("div", { class: "small text-body-secondary lf-volume-locked", text: "Only an admin can reset it." }),
              v.resource ? el("div", { class: "small" }, resourceCode(v.resource, "lf-volume-resource")) : null,
            ),
            el("td", { class: "small" }, el("code", { text: v.mount ? `~/${v.mount}` : "~ (home)" })),
            el("td", { class: "text-end text-nowrap lf-volume-size" }, size),
          );
        }),
      );
      this.renderSelection();
    }

    renderSelection() {
      const chosen = this.selectedVolumes();
      const button = this.$(".lf-reset-open");
      button.disabled = chosen.length === 0 || this.state !== "stopped";
      button.textContent = chosen.length ? `Reset selected (${chosen.length})` : "Reset selected";
      const all = this.$(".lf-volumes-all");
      const resettable = this.volumeBoxes().length;
      all.checked = chosen.length > 0 && chosen.length === resettable;
      all.indeterminate = chosen.length > 0 && chosen.length < resettable;
    }

    openResetModal() {
      const chosen = this.selectedVolumes();
      if (!chosen.length) return;
      const names = new Set(chosen.map((v) => v.name));
      const kept = this.volumes.filter((v) => !names.has(v.name));
      const item = (v) =>
        el(
          "li",
          { class: "lf-reset-item", "data-volume": v.name },
          el("strong", { text: v.label || v.name }),
          " — ",
          v.resource ? resourceCode(v.resource) : el("code", { text: v.mount ? `~/${v.mount}` : "~ (home)" }),
        );
      this.modalPart("reset", ".lf-reset-delete-list").replaceChildren(...chosen.map(item));
      this.modalPart("reset", ".lf-reset-keep-list").replaceChildren(...kept.map(item));
      this.modalPart("reset", ".lf-reset-keep").hidden = kept.length === 0;
      const whose = this.isSelf ? "" : ` of ${this.name}`;
      this.modalPart("reset", ".modal-title").textContent = `Reset ${plural(chosen.length, "volume", "volumes")}${whose}?`;
      this.modalPart("reset", ".lf-reset-confirm").textContent = `Delete ${plural(chosen.length, "volume", "volumes")}`;
      this.pendingReset = chosen.map((v) => v.name);
      modalOf(this.modals.reset).show();
    }

    async resetVolumes() {
      const names = this.pendingReset || [];
      const confirm = this.modalPart("reset", ".lf-reset-confirm");
      if (!names.length) return;
      confirm.disabled = true;
      modalOf(this.modals.reset).hide();
      const button = this.$(".lf-reset-open");
      button.disabled = true;
      try {
        const answer = await request(pathJoin(this.api, "volumes"), {
          method: "DELETE",
          body: { volumes: names },
          xsrf: this.xsrf, baseUrl: this.baseUrl,
        });
        const reset = answer.reset || names;
        this.justReset = new Set(reset);
        const labels = this.volumes.filter((v) => this.justReset.has(v.name)).map((v) => v.label || v.name);
        showAlert(this.alerts, "success", answer.message || `Reset: ${labels.join(", ")}.`);
        for (const box of this.volumeBoxes()) box.checked = false;
      } catch (e) {
        showError(this.alerts, e);
        if (e.status === 409) this.refreshState();
      } finally {
        confirm.disabled = false;
        this.pendingReset = null;
        await this.loadVolumes();
      }
    }

    // -- logs ---------------------------------------------------------------------------

    openLogs() {
      modalOf(this.modals.logs).show();
      this.loadLogs();
    }

    async loadLogs() {
      const output = this.modalPart("logs", ".lf-logs-output");
      const status = this.modalPart("logs", ".lf-logs-status");
      const button = this.modalPart("logs", ".lf-logs-refresh");
      setBusy(button, true);
      try {
        const answer = await request(`${pathJoin(this.api, "logs")}?tail=${LOG_LINES}`, { xsrf: this.xsrf, baseUrl: this.baseUrl });
        const lines = answer.lines || [];
        output.textContent = lines.length ? lines.join("\n") : answer.raw ? "(the server has printed nothing yet)" : "(nothing to report yet)";
        const what = answer.raw ? `Last ${plural(lines.length, "line", "lines")} (at most ${LOG_LINES})` : "What your server reported (an admin can read its full log)";
        status.textContent = `${what}, read at ${new Date().toLocaleTimeString()}.`;
        this.scrollLogsToEnd();
      } catch (e) {
        showError(this.modalPart("logs", ".lf-logs-alerts"), e);
        if (output.textContent === "Loading…") output.textContent = "";
      } finally {
        setBusy(button, false);
      }
    }

    scrollLogsToEnd() {
      const output = this.modalPart("logs", ".lf-logs-output");
      output.scrollTop = output.scrollHeight;
    }
  }

  window.labfleet.Panel = Panel;
  window.labfleet.register("[data-labfleet-panel]", Panel);
})();
