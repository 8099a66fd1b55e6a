/*
 * labfleet People page (templates/labfleet/users.html), its forms: create users, import a
 * roster, decide on sign-ups, through labfleet's JSON API. Requests go through
 * labfleet.request (labfleet-api.js, loaded before it): login cookie, X-XSRFToken, errors
 * as {"status", "message"}. Generated passwords are revealed once and offered as one CSV
 * file; the page keeps them only while it is open.
 *
 * What the list of people (labfleet-people.js, loaded after it) shares is in
 * window.labfleet.peoplePage; a change to the people dispatches "labfleet:people-changed"
 * on the page, and both parts refresh.
 */
(function () {
  "use strict";

  const { request, el, alertBox, showAlert, modalOf, setBusy, lines } = window.labfleet;
  const page = document.querySelector("[data-labfleet-users]");
  const baseUrl = page.dataset.baseUrl;
  const api = `${baseUrl}api/labfleet`;
  const enc = encodeURIComponent;
  const call = (url, options = {}) => request(url, { xsrf: page.dataset.xsrf, baseUrl, ...options });
  const $ = (selector, root = page) => root.querySelector(selector);

  // -- small helpers ------------------------------------------------------------------

  // this page's alerts carry no icon
  const PLAIN = { icon: null };

  function say(kind, message) {
    return showAlert($(".lf-alerts"), kind, message, PLAIN);
  }

  function fromTemplate(id) {
    return document.getElementById(id).content.firstElementChild.cloneNode(true);
  }

  function timeOf(iso) {
    return iso ? new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
  }

  async function busy(button, work) {
    setBusy(button, true);
    try {
      return await work();
    } catch (error) {
      say("danger", error.message);
      return undefined;
    } finally {
      setBusy(button, false);
    }
  }

  // -- credentials: revealed once, shown, downloadable as CSV --------------------------

  function csvField(value) {
    return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
  }

  function download(credentials) {
    const rows = [["username", "password"], ...credentials.map((c) => [c.username, c.password])];
    const text = rows.map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
    const link = el("a");
    link.href = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
    link.download = `labfleet-credentials-${new Date().toISOString().slice(0, 16).replace(/[:T]/g, "")}.csv`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }

  async function reveal(usernames) {
    if (!usernames.length) return [];
    const answer = await call(`${api}/credentials`, { method: "POST", body: { usernames } });
    return answer.credentials;
  }

  function credentialsTable(credentials) {
    const table = el("table", { class: "table table-sm table-bordered font-monospace mb-2" });
    const head = table.createTHead().insertRow();
    for (const title of ["username", "password"]) head.append(el("th", { text: title }));
    const body = table.createTBody();
    for (const { username, password } of credentials) {
      const row = body.insertRow();
      row.append(el("td", { text: username }), el("td", { class: "lf-password", text: password }));
    }
    return el(
      "div",
      { class: "lf-credentials mt-2" },
      el("p", {
        class: "small text-body-secondary mb-1",
        text: "Shown once: the hub does not keep these passwords. Download them now.",
      }),
      table,
      el("button", {
        type: "button",
        class: "btn btn-success btn-sm lf-download",
        text: "Download CSV",
        onclick: () => download(credentials),
      }),
    );
  }

  function rejectedList(items, describe) {
    return el("ul", { class: "lf-rejected small text-danger mb-2" }, ...items.map((item) => el("li", { text: describe(item) })));
  }

  // -- create ---------------------------------------------------------------------------

  function readFileInto(input, textarea) {
    input.addEventListener("change", async () => {
      const file = input.files[0];
      if (file) textarea.value = await file.text();
    });
  }

  readFileInto($("#lf-create-file"), $("#lf-create-names"));
  readFileInto($("#lf-import-file"), $("#lf-import-roster"));

  $("#lf-create-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const result = $("#lf-create-result");
    const usernames = lines($("#lf-create-names").value);
    if (!usernames.length) {
      result.replaceChildren(alertBox("warning", "Give at least one user name."));
      return;
    }
    const groups = [...$("#lf-create-groups").selectedOptions].map((option) => option.value);
    const body = { usernames, groups, must_change_password: $("#lf-create-must-change").checked };
    busy($("#lf-create-submit"), async () => {
      const answer = await call(`${api}/users`, { method: "POST", body });
      const credentials = await reveal(answer.created.map((c) => c.username));
      const parts = [
        el("p", {
          class: "mb-1 lf-summary",
          text:
            `Created ${answer.created.length} user${answer.created.length === 1 ? "" : "s"}` +
            (answer.rejected.length ? `; ${answer.rejected.length} refused:` : "."),
        }),
      ];
      if (answer.rejected.length) parts.push(rejectedList(answer.rejected, (r) => `${r.username}: ${r.reason}`));
      if (credentials.length) parts.push(credentialsTable(credentials));
      result.replaceChildren(...parts);
      if (answer.created.length) $("#lf-create-names").value = "";
      changed();
    });
  });

  // -- roster import ----------------------------------------------------------------------

  const STATUS_CLASS = { created: "success", updated: "primary", unchanged: "secondary", rejected: "danger" };

  $("#lf-import-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const result = $("#lf-import-result");
    const roster = $("#lf-import-roster").value;
    if (!lines(roster).length) {
      result.replaceChildren(alertBox("warning", "The roster is empty."));
      return;
    }
    busy($("#lf-import-submit"), async () => {
      const mustChange = $("#lf-import-must-change").checked;
      const answer = await call(`${api}/users/import`, {
        method: "POST",
        body: { roster, must_change_password: mustChange },
      });
      const credentials = await reveal(answer.generated);
      const summary = el("p", { class: "mb-2 lf-summary" });
      const rows = [];
      for (const status of ["created", "updated", "unchanged", "rejected"]) {
        summary.append(el("span", { class: `badge text-bg-${STATUS_CLASS[status]} me-1`, text: `${answer[status].length} ${status}` }));
        for (const item of answer[status]) {
          rows.push({ line: item.line, status, who: item.username || item.text, detail: item.detail || item.reason || "" });
        }
      }
      rows.sort((a, b) => a.line - b.line);
      const table = el("table", { class: "table table-sm mb-2 lf-report" });
      const head = table.createTHead().insertRow();
      for (const title of ["line", "user", "result", "detail"]) head.append(el("th", { text: title }));
      const body = table.createTBody();
      for (const row of rows) {
        const tr = body.insertRow();
        tr.className = `lf-${row.status}`;
        tr.append(
          el("td", { text: String(row.line) }),
          el("td", { class: "font-monospace", text: row.who }),
          el("td", {}, el("span", { class: `badge text-bg-${STATUS_CLASS[row.status]}`, text: row.status })),
          el("td", { class: "small", text: row.detail }),
        );
      }
      const parts = [summary, table];
      if (answer.groups_created.length) {
        parts.push(el("p", { class: "small lf-groups-created", text: `Created the group(s) ${answer.groups_created.join(", ")}.` }));
      }
      if (credentials.length) parts.push(credentialsTable(credentials));
      result.replaceChildren(...parts);
      changed();
    });
  });

  // -- sign-ups waiting for approval -------------------------------------------------

  function signupRow(account) {
    const row = fromTemplate("lf-signup-row");
    row.dataset.name = account.name;
    $(".lf-name", row).textContent = account.name;
    $(".lf-asked", row).textContent = account.signed_up ? new Date(account.signed_up).toLocaleString() : "";
    return row;
  }

  async function refreshSignups() {
    try {
      const waiting = (await call(`${api}/users?state=waiting`)).users;
      $("#lf-signups").hidden = !waiting.length;
      $("#lf-signup-rows").replaceChildren(...waiting.map(signupRow));
    } catch (error) {
      say("danger", error.message);
    }
  }

  const accountUrl = (name) => `${api}/users/${enc(name)}/account`;
  const SIGNUP_ACTIONS = {
    async approve(name) {
      await call(accountUrl(name), { method: "PATCH", body: { approved: true } });
      say("success", `${name} may log in now.`);
    },
    async reject(name) {
      await call(accountUrl(name), { method: "DELETE", body: { delete_volumes: false } });
      say("success", `Rejected the sign-up of ${name}.`);
    },
  };

  /** Clicks on a [data-action] button of a row (tr[data-name]) of ``rows`` run
   * ``actions[action](name)`` while the button is busy, then ``after(action)``. */
  function onRowAction(rows, actions, after) {
    rows.addEventListener("click", (event) => {
      const button = event.target.closest("[data-action]");
      const row = button && button.closest("tr[data-name]");
      if (!row) return;
      busy(button, async () => {
        await actions[button.dataset.action](row.dataset.name);
        after(button.dataset.action);
      });
    });
  }

  onRowAction($("#lf-signups"), SIGNUP_ACTIONS, changed);

  function changed() {
    page.dispatchEvent(new Event("labfleet:people-changed"));
  }

  page.addEventListener("labfleet:people-changed", refreshSignups);
  refreshSignups();

  window.labfleet.peoplePage = { page, api, baseUrl, enc, call, say, busy, onRowAction, fromTemplate, timeOf, reveal, credentialsTable, accountUrl, changed };
})();
