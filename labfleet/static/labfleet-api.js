/*
 * labfleet's client for the hub's pages: requests to labfleet's JSON API (/hub/api/labfleet,
 * see labfleet/openapi.yaml) and JupyterHub's, and the small UI kit the page scripts share.
 * Loaded first; each page then loads its own script (labfleet-panel.js, labfleet-logs.js,
 * labfleet-users.js, labfleet-groups.js, labfleet-environment.js: see labfleet_script() in
 * templates/labfleet_panel.html).
 *
 * Plain ES2017, no build step. Exposes window.labfleet:
 *
 *   labfleet.request(url, {method, body, xsrf, baseUrl}) -> Promise of the JSON answer;
 *     rejects with labfleet.ApiError (.status, .message); sends the XSRF header, and
 *     renews the token once if the hub's _xsrf cookie was replaced (see refreshXsrf)
 *   labfleet.showAlert(container, kind, message) / labfleet.showError(container, error)
 *   labfleet.formatBytes(n), labfleet.formatDuration(seconds)
 *   labfleet.start(element): starts the component of an element added later (a control
 *     panel, a log tail), once its page script has registered it (labfleet.register)
 *
 * Requests use the login cookie and always send X-XSRFToken (JupyterHub checks it on
 * fetch() requests, GET included). Errors answer {"status", "message"}: the message is the
 * ApiError's; an answer that is not JSON (an HTML error page) gets a readable one.
 */
(function () {
  "use strict";

  // -- requests -------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.name = "ApiError";
      this.status = status;
    }
  }

  function pathJoin(base, ...parts) {
    return base.replace(/\/+$/, "") + "/" + parts.map((p) => String(p).replace(/^\/+|\/+$/g, "")).join("/");
  }

  /** The page's XSRF token: the element's data-xsrf, else JupyterHub's jhdata. */
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
    // read as text: an HTML page (the proxy's or the hub's error page) is no JSON
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

  // -- elements and alerts --------------------------------------------------------------

  /** el("div", {class, text, onclick, other attributes}, ...children) */
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

  /** An alert at the end of container; options.icon: a Font Awesome icon, null for none. */
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

  function showError(container, error, options = {}) {
    const message = error instanceof Error ? error.message : String(error);
    return showAlert(container, "danger", message, options);
  }

  /** A form's one-line result (.lf-result): the element itself becomes a small alert. */
  function showResult(element, kind, message) {
    element.className = `lf-result small alert alert-${kind} py-1 px-2 mb-0`;
    element.textContent = message;
  }

  function modalOf(element) {
    return window.bootstrap && window.bootstrap.Modal ? window.bootstrap.Modal.getOrCreateInstance(element) : null;
  }

  /** Disables a button while it works, showing its spinner if it has one. */
  function setBusy(button, busy) {
    button.disabled = busy;
    const spinner = button.querySelector(".spinner-border");
    if (spinner) spinner.classList.toggle("d-none", !busy);
  }

  // -- text -----------------------------------------------------------------------------

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

  /** The lines of a text, trimmed, without the blank ones. */
  function lines(text) {
    return text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
  }

  /** NAME=value lines as {NAME: value}; throws on a line that is not one ("what: ..." if given). */
  function parseVariables(text, what) {
    const variables = {};
    for (const line of lines(text)) {
      const at = line.indexOf("=");
      if (at < 1) throw new Error(`${what ? `${what}: ` : ""}"${line}" is not NAME=value`);
      variables[line.slice(0, at).trim()] = line.slice(at + 1);
    }
    return variables;
  }

  // -- components: a page script registers its class for a selector; each matching
  // element of the page gets one instance (element.labfleet) -----------------------------

  const components = [];

  function onReady(callback) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", callback);
    else callback();
  }

  function start(element) {
    if (element.labfleet) return element.labfleet;
    const found = components.find(([selector]) => element.matches(selector));
    if (found) element.labfleet = new found[1](element);
    return element.labfleet;
  }

  function startAll(selector = components.map(([s]) => s).join(", ")) {
    if (!selector) return;
    for (const element of document.querySelectorAll(selector)) {
      try {
        start(element);
      } catch (e) {
        console.error("labfleet: cannot start", element, e);
      }
    }
  }

  function register(selector, Component) {
    components.push([selector, Component]);
    onReady(() => startAll(selector));
  }

  window.labfleet = Object.assign(window.labfleet || {}, {
    request,
    ApiError,
    refreshXsrf,
    xsrfToken,
    pathJoin,
    el,
    alertBox,
    showAlert,
    showError,
    showResult,
    modalOf,
    setBusy,
    formatBytes,
    formatDuration,
    formatClock,
    resourceCode,
    plural,
    lines,
    parseVariables,
    onReady,
    register,
    start,
    startAll,
  });
})();
