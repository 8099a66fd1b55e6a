/*
 * labfleet notifications page (templates/labfleet/notifications.html): the form posts to
 * POST /hub/api/labfleet/notifications through labfleet.request (labfleet-api.js, loaded
 * before it) and shows the result for every recipient; the history is read page by page
 * from GET /hub/api/labfleet/notifications, a broadcast's results from GET .../{id}, and
 * a scheduled one is cancelled with DELETE .../{id}.
 */
(function () {
  "use strict";

  const { request, el, showAlert, showError, setBusy, pathJoin, plural } = window.labfleet;
  const page = document.querySelector(".labfleet-notifications");
  const xsrf = page.dataset.xsrf;
  const api = pathJoin(page.dataset.baseUrl, "api/labfleet/notifications");
  const form = document.getElementById("lf-broadcast");
  const result = document.getElementById("lf-broadcast-result");
  const PAGE = 20;
  let offset = 0;

  const message = form.elements.message;
  const count = document.getElementById("lf-count");
  message.addEventListener("input", () => {
    count.textContent = String(message.value.length);
  });

  function recipients() {
    const to = form.elements.to.value;
    if (to === "groups") {
      return { groups: Array.from(form.elements.groups.selectedOptions, (o) => o.value) };
    }
    if (to === "users") {
      return { users: form.elements.users.value.split(",").map((n) => n.trim()).filter(Boolean) };
    }
    return { all: true };
  }

  function body() {
    const out = {
      message: message.value,
      type: form.elements.type.value,
      auto_close: form.elements.auto_close.checked,
      recipients: recipients(),
    };
    if (form.elements.link.value.trim()) out.link = form.elements.link.value.trim();
    // the field holds the admin's local time (as the browser's clock has it); sent as UTC
    if (form.elements.at.value) out.at = new Date(form.elements.at.value).toISOString();
    return out;
  }

  function resultsTable(results) {
    return el(
      "table",
      { class: "table table-sm mb-0 lf-results" },
      el("thead", {}, el("tr", {}, el("th", { text: "User" }), el("th", { text: "Result" }), el("th", { text: "Seconds" }))),
      el(
        "tbody",
        {},
        ...results.map((r) =>
          el(
            "tr",
            { class: r.delivered ? "" : "table-warning", "data-user": r.username },
            el("td", { text: r.username }),
            el("td", { text: r.delivered ? "delivered" : `failed: ${r.reason}` }),
            el("td", { text: r.seconds.toFixed(3) }),
          ),
        ),
      ),
    );
  }

  /** An ISO time of the API (UTC) in the admin's local time: 2026-01-31 14:05. */
  function localTime(iso) {
    const at = new Date(iso);
    const two = (n) => String(n).padStart(2, "0");
    return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${two(at.getHours())}:${two(at.getMinutes())}`;
  }

  function summary(broadcast) {
    if (broadcast.status === "scheduled") return `Scheduled for ${localTime(broadcast.scheduled_for)} (your time).`;
    const total = broadcast.delivered + broadcast.failed;
    if (!total) return "No recipient has a running server: nothing was sent.";
    return `Delivered to ${broadcast.delivered} of ${plural(total, "recipient", "recipients")} in ${(broadcast.seconds || 0).toFixed(2)} s.`;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = document.getElementById("lf-send");
    setBusy(button, true);
    result.replaceChildren();
    try {
      const sent = await request(api, { method: "POST", body: body(), xsrf });
      const kind = sent.failed ? "warning" : "success";
      showAlert(result, kind, summary(sent), { dismissible: false });
      if (sent.results && sent.results.length) result.append(resultsTable(sent.results));
      loadHistory(0);
    } catch (error) {
      showError(result, error);
    } finally {
      setBusy(button, false);
    }
  });

  function recipientsText(spec) {
    if (spec.all) return "all running";
    return [...(spec.groups || []).map((g) => `group ${g}`), ...(spec.users || [])].join(", ");
  }

  async function toggleDetails(row, broadcast) {
    const next = row.nextElementSibling;
    if (next && next.classList.contains("lf-details")) return next.remove();
    const cell = el("td", { colspan: "7" });
    row.after(el("tr", { class: "lf-details" }, cell));
    try {
      const full = await request(`${api}/${broadcast.id}`, { xsrf });
      cell.append(full.results.length ? resultsTable(full.results) : "No recipients.");
    } catch (error) {
      showError(cell, error);
    }
  }

  async function cancel(broadcast) {
    try {
      await request(`${api}/${broadcast.id}`, { method: "DELETE", xsrf });
      loadHistory(offset);
    } catch (error) {
      showError(document.getElementById("lf-history-alerts"), error);
    }
  }

  function historyRow(b) {
    const row = el(
      "tr",
      { "data-id": String(b.id), class: "lf-broadcast" },
      el("td", { text: localTime(b.sent || b.scheduled_for || b.created) }),
      el("td", { text: b.actor }),
      el("td", {}, el("span", { class: `badge text-bg-light me-1`, text: b.type }), b.message),
      el("td", { text: recipientsText(b.recipients) }),
      el("td", { text: b.kind === "cull-warning" ? `${b.status} (idle warning)` : b.status }),
      el("td", { text: b.status === "sent" ? `${b.delivered} / ${b.delivered + b.failed}` : "" }),
    );
    const actions = el("td", { class: "text-end" });
    if (b.status === "scheduled") {
      actions.append(el("button", { type: "button", class: "btn btn-outline-danger btn-sm", text: "Cancel", onclick: () => cancel(b) }));
    } else {
      actions.append(el("button", { type: "button", class: "btn btn-link btn-sm", text: "Results", onclick: () => toggleDetails(row, b) }));
    }
    row.append(actions);
    return row;
  }

  async function loadHistory(at) {
    const alerts = document.getElementById("lf-history-alerts");
    try {
      const answer = await request(`${api}?limit=${PAGE}&offset=${at}`, { xsrf });
      offset = at;
      document.querySelector("#lf-history tbody").replaceChildren(...answer.broadcasts.map(historyRow));
      const shown = answer.broadcasts.length;
      document.getElementById("lf-history-count").textContent = answer.total
        ? `${at + 1}–${at + shown} of ${answer.total}`
        : "No broadcasts yet";
      document.getElementById("lf-newer").disabled = at === 0;
      document.getElementById("lf-older").disabled = at + shown >= answer.total;
      alerts.replaceChildren();
    } catch (error) {
      showError(alerts, error);
    }
  }

  document.getElementById("lf-newer").addEventListener("click", () => loadHistory(Math.max(0, offset - PAGE)));
  document.getElementById("lf-older").addEventListener("click", () => loadHistory(offset + PAGE));
  loadHistory(0);
})();
