/*
 * labfleet control panel: restart, session time, volumes and logs of a user's server,
 * on the hub's pages (templates/labfleet_panel.html), through labfleet's JSON API
 * (/hub/api/labfleet, see labfleet/openapi.yaml).
 *
 * Plain ES2017, no build step. Starts every [data-labfleet-panel] and
 * [data-labfleet-logtail] element of the page; exposes window.labfleet for pages that
 * add panels later (labfleet.start(element)) and for other hub pages:
 *
 *   labfleet.request(url, {method, body, xsrf, baseUrl}) -> Promise of the JSON answer;
 *     rejects with labfleet.ApiError (.status, .message); sends the XSRF header, and
 *     renews the token once if the hub's _xsrf cookie was replaced (see refreshXsrf)
 *   labfleet.showAlert(container, kind, message) / labfleet.showError(container, error)
 *   labfleet.formatBytes(n), labfleet.formatDuration(seconds)
 *
 * Requests use the login cookie and always send X-XSRFToken (JupyterHub checks it on
 * fetch() requests, GET included). Errors answer {"status", "message"}; every one is
 * shown as a dismissible alert.
 */
(function () {
  "use strict";

  const WARNING_SECONDS = 10 * 60; // the API's `warning` threshold, also applied between fetches
  const TICK_MS = 60 * 1000; // the time left is redrawn each minute
  const SESSION_REFRESH_MS = 5 * 60 * 1000; // and fetched again every 5 minutes...
  const SESSION_REFRESH_WARNING_MS = 60 * 1000; // ...every minute once under the warning
  const STATE_POLL_MS = 1500; // while a server starts or stops
  const LOG_LINES = 500; // lines in the logs modal

  // -- helpers --------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  function pathJoin(base, ...parts) {
    return base.replace(/\/+$/, "") + "/" + parts.map((p) => String(p).replace(/^\/+|\/+$/g, "")).join("/");
  }

  function xsrfToken(element) {
    return (element && element.dataset.xsrf) || (window.jhdata && window.jhdata.xsrf_token) || "";
  }

  // The hub's _xsrf cookie can be replaced behind the page's back: the proxy answers a
  // request it could not forward (a server restarting, say) with the hub's error page,
  // whose anonymous _xsrf cookie (path /hub/) then replaces the user's. The token in the
  // page no longer matches it and every API call answers 403. The hub sets a fresh cookie
  // on any navigation to one of its pages, so a hidden frame loads one (the hub forbids
  // framing, so it is not shown; the cookie is set all the same) and requests use the
  // new cookie's value, which is the token (the _xsrf cookie is readable by scripts).
  let freshXsrf = null;
  let refreshingXsrf = null;

  function readCookie(name) {
    for (const part of document.cookie.split(";")) {
      const [key, ...value] = part.trim().split("=");
      if (key === name) return decodeURIComponent(value.join("="));
    }
    return null;
  }

  function refreshXsrf(baseUrl) {
    if (refreshingXsrf) return refreshingXsrf;
    const before = readCookie("_xsrf");
    refreshingXsrf = new Promise((resolve, reject) => {
      const frame = document.createElement("iframe");
      frame.hidden = true;
      frame.tabIndex = -1;
      frame.setAttribute("aria-hidden", "true");
      frame.title = "labfleet: renews the page's security token";
      const started = Date.now();
      const check = () => {
        const now = readCookie("_xsrf");
        if (now && now !== before) finish(null, now);
        else if (Date.now() - started > 15000) finish(new Error("the hub set no new token"));
      };
      const poll = setInterval(check, 200);
      function finish(error, token) {
        clearInterval(poll);
        frame.remove();
        refreshingXsrf = null;
        if (error) return reject(error);
        freshXsrf = token;
        if (window.jhdata) window.jhdata.xsrf_token = token;
        resolve(token);
      }
      frame.addEventListener("load", check);
      frame.src = pathJoin(baseUrl, "token");
      document.body.append(frame);
    });
    return refreshingXsrf;
  }

  /** fetch() a JSON API; resolves to the parsed answer, rejects with ApiError(status, message). */
  async function request(url, { method = "GET", body, xsrf = "", baseUrl, retried = false } = {}) {
    const headers = { Accept: "application/json", "X-XSRFToken": freshXsrf || xsrf };
    const init = { method, headers, credentials: "same-origin", cache: "no-store" };
    if (body === undefined && method !== "GET" && method !== "HEAD") body = {};
    if (body !== undefined) {
      // JupyterHub refuses cookie-authenticated POSTs that are not JSON (a browser may
      // label an empty body as a form), so every request that changes state sends JSON
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (e) {
      throw new ApiError(0, `The hub cannot be reached (${e.message}).`);
    }
    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (e) {
        data = null;
      }
    }
    if (!response.ok) {
      const message =
        (data && typeof data.message === "string" && data.message) ||
        `${method} ${url} failed: ${response.status} ${response.statusText || ""}`.trim();
      if (response.status === 403 && /xsrf/i.test(message) && !retried) {
        let renewed = false;
        try {
          await refreshXsrf(baseUrl || (window.jhdata && window.jhdata.base_url) || "/hub/");
          renewed = true;
        } catch (e) {
          console.warn("labfleet: cannot renew the XSRF token", e);
        }
        if (renewed) return request(url, { method, body, xsrf, baseUrl, retried: true });
        throw new ApiError(403, `${message} (reload the page to renew it)`);
      }
      throw new ApiError(response.status, message);
    }
    return data || {};
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** A Bootstrap alert; dismissible unless told otherwise. */
  function alertBox(kind, message, { dismissible = true, icon } = {}) {
    const box = el(
      "div",
      {
        class: `alert alert-${kind} d-flex align-items-start gap-2 lf-alert` + (dismissible ? " alert-dismissible fade show" : ""),
        role: kind === "danger" || kind === "warning" ? "alert" : "status",
      },
      icon ? el("i", { class: `fa ${icon} mt-1`, "aria-hidden": "true" }) : null,
      el("div", { class: "lf-alert-message", text: message }),
    );
    if (dismissible) {
      box.append(el("button", { type: "button", class: "btn-close", "data-bs-dismiss": "alert", "aria-label": "Close" }));
    }
    return box;
  }

  function showAlert(container, kind, message, options = {}) {
    // the same message again (a periodic request failing) replaces its alert, not piles up
    for (const old of container.querySelectorAll(".lf-alert")) {
      const text = old.querySelector(".lf-alert-message");
      if (text && text.textContent === message) old.remove();
    }
    const icon = options.icon || { danger: "fa-circle-exclamation", warning: "fa-triangle-exclamation", success: "fa-check" }[kind];
    const box = alertBox(kind, message, Object.assign({ icon }, options));
    container.append(box);
    return box;
  }

  function showError(container, error) {
    const message = error instanceof ApiError || error instanceof Error ? error.message : String(error);
    return showAlert(container, "danger", message);
  }

  function formatBytes(bytes) {
    if (bytes === null || bytes === undefined) return "unknown";
    const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
    return `${value.toFixed(digits)} ${units[unit]}`;
  }

  function formatDuration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    if (seconds < 60) return "less than a minute";
    const minutes = Math.floor(seconds / 60);
    const days = Math.floor(minutes / 1440);
    const hours = Math.floor((minutes % 1440) / 60);
    const mins = minutes % 60;
    const parts = [];
    if (days) parts.push(`${days} d`);
    if (hours) parts.push(`${hours} h`);
    if (mins && !days) parts.push(`${mins} min`);
    return parts.join(" ") || "0 min";
  }

  function formatClock(date) {
    const now = new Date();
    const time = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    if (date.toDateString() === now.toDateString()) return time;
    return `${date.toLocaleDateString([], { weekday: "short", day: "numeric", month: "short" })} ${time}`;
  }

  /** A resource name (a path, a volume name) in <code>, breakable after each "/". */
  function resourceCode(resource, className) {
    const code = el("code", { class: className, title: resource });
    const parts = String(resource || "").split("/");
    parts.forEach((part, i) => {
      if (i > 0) code.append("/", document.createElement("wbr"));
      code.append(part);
    });
    return code;
  }

  function plural(count, one, many) {
    return `${count} ${count === 1 ? one : many}`;
  }

  function modalOf(element) {
    return window.bootstrap && window.bootstrap.Modal ? window.bootstrap.Modal.getOrCreateInstance(element) : null;
  }

  function setBusy(button, busy) {
    button.disabled = busy;
    const spinner = button.querySelector(".spinner-border");
    if (spinner) spinner.classList.toggle("d-none", !busy);
  }

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
      setInterval(() => this.renderSession(), TICK_MS);
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
      return Array.from(this.root.querySelectorAll(".lf-volume-check"));
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
                checked: selected.has(v.name),
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
              el("div", { class: "small" }, resourceCode(v.resource, "lf-volume-resource")),
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
      all.checked = chosen.length > 0 && chosen.length === this.volumes.length;
      all.indeterminate = chosen.length > 0 && chosen.length < this.volumes.length;
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
          resourceCode(v.resource),
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
        output.textContent = lines.length ? lines.join("\n") : "(the server has printed nothing yet)";
        status.textContent = `Last ${plural(lines.length, "line", "lines")} (at most ${LOG_LINES}), read at ${new Date().toLocaleTimeString()}.`;
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

  // -- the live server output (spawn pending page) -----------------------------------------

  class LogTail {
    constructor(root) {
      this.root = root;
      const name = root.dataset.user;
      const baseUrl = root.dataset.baseUrl || (window.jhdata && window.jhdata.base_url) || "/hub/";
      this.baseUrl = baseUrl;
      this.url = `${pathJoin(baseUrl, "api/labfleet/users", encodeURIComponent(name), "logs")}?tail=${parseInt(root.dataset.tail, 10) || 50}`;
      this.interval = parseInt(root.dataset.interval, 10) || 2000;
      this.xsrf = xsrfToken(root);
      this.output = root.querySelector(".lf-logtail-output");
      this.alerts = root.querySelector(".lf-logtail-alerts");
      this.status = root.querySelector(".lf-logtail-status");
      this.errorBox = null;
      this.lastText = null;
      this.poll();
    }

    async poll() {
      if (!document.hidden) await this.load();
      this.timer = setTimeout(() => this.poll(), this.interval);
    }

    async load() {
      try {
        const answer = await request(this.url, { xsrf: this.xsrf, baseUrl: this.baseUrl });
        if (this.errorBox) {
          this.errorBox.remove();
          this.errorBox = null;
        }
        const lines = answer.lines || [];
        const text = lines.length ? lines.join("\n") : "(the server has printed nothing yet)";
        if (text !== this.lastText) {
          // follow the end, unless the reader scrolled up
          const first = this.lastText === null;
          const atEnd = this.output.scrollHeight - this.output.scrollTop - this.output.clientHeight < 24;
          this.output.textContent = text;
          this.lastText = text;
          if (first || atEnd) this.output.scrollTop = this.output.scrollHeight;
        }
        this.status.textContent = `Updated ${new Date().toLocaleTimeString()}`;
      } catch (e) {
        // one alert at a time, replaced while the error lasts (the poll goes on)
        if (this.errorBox && this.errorBox.isConnected) {
          this.errorBox.querySelector(".lf-alert-message").textContent = e.message;
        } else {
          this.errorBox = showError(this.alerts, e);
        }
      }
    }
  }

  // -- start ---------------------------------------------------------------------------

  function start(element) {
    if (element.labfleet) return element.labfleet;
    if (element.hasAttribute("data-labfleet-panel")) element.labfleet = new Panel(element);
    else if (element.hasAttribute("data-labfleet-logtail")) element.labfleet = new LogTail(element);
    return element.labfleet;
  }

  function startAll() {
    for (const element of document.querySelectorAll("[data-labfleet-panel], [data-labfleet-logtail]")) {
      try {
        start(element);
      } catch (e) {
        console.error("labfleet: cannot start", element, e);
      }
    }
  }

  window.labfleet = {
    start,
    startAll,
    request,
    ApiError,
    showAlert,
    showError,
    formatBytes,
    formatDuration,
    Panel,
    LogTail,
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", startAll);
  else startAll();
})();
