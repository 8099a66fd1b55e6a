/*
 * labfleet users page (templates/labfleet/users.html): create users, import a roster,
 * approve sign-ups, reset passwords, rename and delete, through labfleet's JSON API.
 * Requests go through labfleet.request (labfleet-api.js, loaded before it): login cookie,
 * X-XSRFToken, errors as {"status", "message"}. Generated passwords are revealed once
 * and offered as one CSV file; the page keeps them only while it is open.
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
      await refresh();
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
      await refresh();
    });
  });

  // -- accounts list ------------------------------------------------------------------------

  let accounts = [];

  function badges(account) {
    const list = [];
    if (account.admin) list.push(["dark", "admin"]);
    if (!account.has_password) list.push(["warning", "no password"]);
    else if (account.suspended) list.push(["danger", "suspended"]);
    else if (!account.approved) list.push(["danger", "waiting for approval"]);
    else list.push(["success", "active"]);
    if (account.locked_seconds > 0) list.push(["danger", `locked ${Math.ceil(account.locked_seconds / 60)} min`]);
    if (account.must_change_password) list.push(["warning", "must change password"]);
    if (account.reveal_until) list.push(["info", `password revealable until ${timeOf(account.reveal_until)}`]);
    return list.map(([kind, text]) => el("span", { class: `badge text-bg-${kind} me-1`, text }));
  }

  function userRow(account) {
    const row = fromTemplate("lf-user-row");
    row.dataset.name = account.name;
    $(".lf-name", row).textContent = account.name;
    $(".lf-groups", row).textContent = account.groups.join(", ");
    $(".lf-badges", row).append(...badges(account));
    $(".lf-server", row).textContent = account.server || "";
    $(".lf-panel-link", row).href = `${baseUrl}labfleet/users/${enc(account.name)}/panel`;
    const show = {
      reveal: Boolean(account.reveal_until),
      force: account.has_password && !account.must_change_password,
      unforce: account.must_change_password,
      unlock: account.locked_seconds > 0 || account.failed_logins > 0,
      approve: account.has_password && !account.approved,
      suspend: account.approved && account.name !== page.dataset.me,
      delete: account.name !== page.dataset.me,
    };
    for (const [action, visible] of Object.entries(show)) {
      if (!visible) $(`[data-action="${action}"]`, row).closest("li").remove();
    }
    return row;
  }

  function signupRow(account) {
    const row = fromTemplate("lf-signup-row");
    row.dataset.name = account.name;
    $(".lf-name", row).textContent = account.name;
    $(".lf-asked", row).textContent = account.signed_up ? new Date(account.signed_up).toLocaleString() : "";
    return row;
  }

  function render() {
    const filter = $("#lf-filter").value.trim().toLowerCase();
    const pending = accounts.filter((a) => !a.hub_user && !a.approved);
    const users = accounts.filter(
      (a) => (a.hub_user || a.approved) && a.name.toLowerCase().includes(filter)
    );
    $("#lf-signups").hidden = !pending.length;
    $("#lf-signup-rows").replaceChildren(...pending.map(signupRow));
    $("#lf-user-rows").replaceChildren(...users.map(userRow));
  }

  async function refresh() {
    try {
      accounts = (await call(`${api}/users`)).users;
      render();
    } catch (error) {
      say("danger", error.message);
    }
  }

  $("#lf-filter").addEventListener("input", render);

  // -- actions on one account ---------------------------------------------------------------

  const accountUrl = (name) => `${api}/users/${enc(name)}/account`;

  const ACTIONS = {
    async approve(name) {
      await call(accountUrl(name), { method: "PATCH", body: { approved: true } });
      say("success", `${name} may log in now.`);
    },
    suspend(name) {
      openModal("lf-suspend-modal", name);
    },
    async reject(name) {
      await call(accountUrl(name), { method: "DELETE", body: { delete_volumes: false } });
      say("success", `Rejected the sign-up of ${name}.`);
    },
    async force(name) {
      await call(accountUrl(name), { method: "PATCH", body: { must_change_password: true } });
      say("success", `${name} must choose a new password before starting a server.`);
    },
    async unforce(name) {
      await call(accountUrl(name), { method: "PATCH", body: { must_change_password: false } });
      say("success", `${name} no longer has to change their password.`);
    },
    async unlock(name) {
      await call(accountUrl(name), { method: "PATCH", body: { locked: false } });
      say("success", `Unlocked ${name}.`);
    },
    reset(name) {
      openModal("lf-reset-modal", name);
    },
    async reveal(name) {
      const credentials = await reveal([name]);
      if (!credentials.length) {
        say("warning", `The password of ${name} can no longer be revealed: reset it for a new one.`);
        return;
      }
      const box = say("info", `New password of ${name} (shown once): `);
      $(".lf-alert-message", box).append(el("code", { class: "lf-password user-select-all", text: credentials[0].password }));
    },
    rename(name) {
      openModal("lf-rename-modal", name);
      $("#lf-rename-name").value = name;
    },
    delete(name) {
      openModal("lf-delete-modal", name);
      $("#lf-delete-volumes").checked = false;
    },
  };

  page.addEventListener("click", (event) => {
    const button = event.target.closest("[data-action]");
    const row = button && button.closest("tr[data-name]");
    if (!row) return;
    busy(button, async () => {
      await ACTIONS[button.dataset.action](row.dataset.name);
      if (!["rename", "delete", "reveal", "reset", "suspend"].includes(button.dataset.action)) await refresh();
    });
  });

  // -- confirmed in a modal: reset, suspend, rename, delete ----------------------------------

  let modalTarget = null;

  function openModal(id, name) {
    modalTarget = name;
    const element = document.getElementById(id);
    $(".lf-target", element).textContent = name;
    $(".lf-modal-error", element).hidden = true;
    modalOf(element).show();
  }

  function confirmIn(id, work) {
    const element = document.getElementById(id);
    element.querySelector("form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const submit = element.querySelector("[type=submit]");
      const error = $(".lf-modal-error", element);
      submit.disabled = true;
      try {
        await work(modalTarget);
        modalOf(element).hide();
        await refresh();
      } catch (e) {
        error.textContent = e.message;
        error.hidden = false;
      } finally {
        submit.disabled = false;
      }
    });
  }

  confirmIn("lf-reset-modal", async (name) => {
    await call(`${api}/users/${enc(name)}/password`, { method: "POST", body: {} });
    await ACTIONS.reveal(name);
  });

  confirmIn("lf-suspend-modal", async (name) => {
    await call(accountUrl(name), { method: "PATCH", body: { approved: false } });
    say("success", `Suspended ${name}: logged out, server stopped, logins refused.`);
  });

  confirmIn("lf-rename-modal", async (name) => {
    const newName = $("#lf-rename-name").value.trim();
    const answer = await call(`${baseUrl}api/users/${enc(name)}`, { method: "PATCH", body: { name: newName } });
    say("success", `Renamed ${name} to ${answer.name}.`);
  });

  confirmIn("lf-delete-modal", async (name) => {
    const deleteVolumes = $("#lf-delete-volumes").checked;
    const answer = await call(accountUrl(name), { method: "DELETE", body: { delete_volumes: deleteVolumes } });
    say("success", answer.message);
  });

  refresh();
})();
