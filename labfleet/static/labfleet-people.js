/*
 * labfleet People page (templates/labfleet/users.html), its list: everyone, found, filtered
 * and paged by the hub (GET /hub/api/labfleet/users?search&group&state&offset&limit), with
 * each person's account and server; actions on one person, and on the people ticked (on
 * any page), one request each through the API that does it for one, a few at a time.
 * Loaded after labfleet-users.js, whose helpers it takes from window.labfleet.peoplePage.
 */
(function () {
  "use strict";

  const { el, modalOf, formatDuration } = window.labfleet;
  const { page, api, baseUrl, enc, call, say, busy, onRowAction, fromTemplate, timeOf, reveal, credentialsTable, accountUrl, changed } =
    window.labfleet.peoplePage;
  const $ = (selector, root = page) => root.querySelector(selector);
  const me = page.dataset.me;
  const PAGE_SIZE = 50;
  const AT_ONCE = 4; // requests of a bulk action in flight together
  const serverUrl = (name) => `${baseUrl}api/users/${enc(name)}/server`;

  let shown = []; // the people of this page
  let total = 0;
  let offset = 0;
  const selected = new Set();

  // -- what a row shows ------------------------------------------------------------------

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

  const SERVER_BADGES = { running: "text-bg-success", pending: "text-bg-warning", stopped: "text-bg-secondary" };

  function ago(iso) {
    if (!iso) return "never active";
    const seconds = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
    return seconds < 60 ? "active just now" : `active ${formatDuration(seconds)} ago`;
  }

  function personRow(account) {
    const row = fromTemplate("lf-user-row");
    row.dataset.name = account.name;
    const box = $(".lf-select", row);
    box.checked = selected.has(account.name);
    box.setAttribute("aria-label", `Select ${account.name}`);
    $(".lf-name", row).textContent = account.name;
    $(".lf-groups", row).textContent = account.groups.join(", ");
    $(".lf-badges", row).append(...badges(account));
    if (account.server) {
      $(".lf-server", row).append(
        el("span", { class: `badge ${SERVER_BADGES[account.server]} me-1 lf-server-state`, text: account.server }),
        el("span", { class: "text-body-secondary", text: ago(account.last_activity) }),
      );
    }
    $(".lf-panel-link", row).href = `${baseUrl}labfleet/users/${enc(account.name)}/panel`;
    const show = {
      start: account.server === "stopped" && account.approved,
      stop: account.server === "running",
      reveal: Boolean(account.reveal_until),
      force: account.has_password && !account.must_change_password,
      unforce: account.must_change_password,
      unlock: account.locked_seconds > 0 || account.failed_logins > 0,
      approve: account.has_password && !account.approved,
      suspend: account.approved && account.hub_user && account.name !== me,
      rename: account.hub_user,
      delete: account.name !== me,
    };
    for (const [action, visible] of Object.entries(show)) {
      if (visible) continue;
      const control = $(`[data-action="${action}"]`, row);
      (control.closest("li") || control).remove();
    }
    return row;
  }

  // -- the list: filters and pages -------------------------------------------------------

  function query(extra = {}) {
    const params = new URLSearchParams();
    const search = $("#lf-search").value.trim();
    if (search) params.set("search", search);
    if ($("#lf-group-filter").value) params.set("group", $("#lf-group-filter").value);
    if ($("#lf-state-filter").value) params.set("state", $("#lf-state-filter").value);
    for (const [key, value] of Object.entries(extra)) params.set(key, value);
    return `${api}/users?${params}`;
  }

  function fillGroups(groups) {
    for (const select of [$("#lf-group-filter"), $("#lf-bulk-group")]) {
      const chosen = select.value;
      const first = select.options[0];
      select.replaceChildren(first, ...groups.map((g) => el("option", { value: g, text: g })));
      select.value = groups.includes(chosen) ? chosen : "";
    }
  }

  async function refresh() {
    try {
      const answer = await call(query({ offset, limit: PAGE_SIZE }));
      if (answer.users.length === 0 && offset > 0 && answer.total > 0) {
        offset = Math.max(0, Math.floor((answer.total - 1) / PAGE_SIZE) * PAGE_SIZE);
        return refresh();
      }
      shown = answer.users;
      total = answer.total;
      fillGroups(answer.groups);
      $("#lf-user-rows").replaceChildren(
        ...(shown.length
          ? shown.map(personRow)
          : [el("tr", {}, el("td", { colspan: "6", class: "text-body-secondary", text: "Nobody matches." }))]),
      );
      const last = Math.min(offset + PAGE_SIZE, total);
      $("#lf-range").textContent = total ? `${offset + 1}–${last} of ${total}` : "0 people";
      $("#lf-prev").disabled = offset === 0;
      $("#lf-next").disabled = last >= total;
      renderSelection();
    } catch (error) {
      say("danger", error.message);
    }
    return undefined;
  }

  let typing = null;
  $("#lf-search").addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      offset = 0;
      refresh();
    }, 250);
  });
  for (const id of ["#lf-group-filter", "#lf-state-filter"]) {
    $(id).addEventListener("change", () => {
      offset = 0;
      refresh();
    });
  }
  $("#lf-prev").addEventListener("click", () => {
    offset = Math.max(0, offset - PAGE_SIZE);
    refresh();
  });
  $("#lf-next").addEventListener("click", () => {
    offset += PAGE_SIZE;
    refresh();
  });

  // -- selection -------------------------------------------------------------------------

  function renderSelection() {
    const onPage = shown.filter((a) => selected.has(a.name)).length;
    const all = $("#lf-select-page");
    all.checked = shown.length > 0 && onPage === shown.length;
    all.indeterminate = onPage > 0 && onPage < shown.length;
    $("#lf-bulk").hidden = selected.size === 0;
    $("#lf-selected-count").textContent = `${selected.size} selected`;
    $("#lf-select-matching").hidden = !(all.checked && total > shown.length && selected.size < total);
    $("#lf-select-matching").textContent = `Select all ${total} matching`;
  }

  $("#lf-user-rows").addEventListener("change", (event) => {
    const box = event.target.closest(".lf-select");
    if (!box) return;
    const name = box.closest("tr[data-name]").dataset.name;
    if (box.checked) selected.add(name);
    else selected.delete(name);
    renderSelection();
  });

  $("#lf-select-page").addEventListener("change", (event) => {
    for (const account of shown) {
      if (event.target.checked) selected.add(account.name);
      else selected.delete(account.name);
    }
    for (const box of page.querySelectorAll("#lf-user-rows .lf-select")) box.checked = event.target.checked;
    renderSelection();
  });

  $("#lf-select-matching").addEventListener("click", () =>
    busy($("#lf-select-matching"), async () => {
      for (const account of (await call(query())).users) selected.add(account.name);
      renderSelection();
    }),
  );

  $("#lf-select-none").addEventListener("click", () => {
    selected.clear();
    for (const box of page.querySelectorAll("#lf-user-rows .lf-select")) box.checked = false;
    renderSelection();
  });

  // -- bulk actions: one request a person, a few at a time -------------------------------

  /** Run work(name) for every name, AT_ONCE at a time: the names it failed for, and why. */
  async function each(names, work) {
    const failed = [];
    const queue = [...names];
    async function worker() {
      while (queue.length) {
        const name = queue.shift();
        try {
          await work(name);
        } catch (error) {
          failed.push(`${name}: ${error.message}`);
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(AT_ONCE, names.length) }, worker));
    return failed;
  }

  function report(done, failed) {
    const box = say(failed.length ? "warning" : "success", failed.length ? `${done}; ${failed.length} failed:` : `${done}.`);
    if (failed.length) {
      $(".lf-alert-message", box).append(el("ul", { class: "mb-0 small lf-failures" }, ...failed.map((text) => el("li", { text }))));
    }
  }

  const PLURALS = { person: "people" };
  const plural = (n, word) => `${n} ${n === 1 ? word : PLURALS[word] || `${word}s`}`;

  const BULK = {
    start: {
      run: (names) => each(names, (name) => call(serverUrl(name), { method: "POST" })),
      done: (n) => `Started ${plural(n, "server")}`,
    },
    stop: {
      run: (names) => each(names, (name) => call(serverUrl(name), { method: "DELETE" })),
      done: (n) => `Stopped ${plural(n, "server")}`,
    },
    reset: {
      confirm: (n) => [`Reset the passwords of ${plural(n, "person")}?`, "Their current passwords stop working; new ones are generated and shown to you once.", "Reset passwords"],
      run: async (names) => {
        const failed = await each(names, (name) => call(`${api}/users/${enc(name)}/password`, { method: "POST", body: {} }));
        const credentials = await reveal(names.filter((name) => !failed.some((f) => f.startsWith(`${name}:`))));
        if (credentials.length) $("#lf-bulk-result").replaceChildren(credentialsTable(credentials));
        return failed;
      },
      done: (n) => `Reset ${plural(n, "password")}`,
    },
    suspend: {
      confirm: (n) => [`Suspend ${plural(n, "person")}?`, "They are logged out everywhere, their tokens stop working and running servers are stopped; logins are refused until you restore them.", "Suspend"],
      run: (names) => each(names.filter((name) => name !== me), (name) => call(accountUrl(name), { method: "PATCH", body: { approved: false } })),
      done: (n) => `Suspended ${plural(n, "person")}`,
    },
    delete: {
      confirm: (n) => [`Delete ${plural(n, "person")}?`, "Their accounts and servers go; running servers are stopped first.", "Delete", true],
      run: (names) => {
        const volumes = $("#lf-bulk-volumes").checked;
        return each(names.filter((name) => name !== me), (name) => call(accountUrl(name), { method: "DELETE", body: { delete_volumes: volumes } }));
      },
      done: (n) => `Deleted ${plural(n, "person")}`,
      after: (names) => names.forEach((name) => selected.delete(name)),
    },
    "group-add": {
      run: (names) => groupMembers("POST", names),
      done: (n) => `Added ${plural(n, "person")} to ${$("#lf-bulk-group").value}`,
    },
    "group-remove": {
      run: (names) => groupMembers("DELETE", names),
      done: (n) => `Removed ${plural(n, "person")} from ${$("#lf-bulk-group").value}`,
    },
  };

  /** Add (POST) or remove (DELETE) hub users of ``names`` to the chosen group: one request. */
  async function groupMembers(method, names) {
    const group = $("#lf-bulk-group").value;
    if (!group) throw new Error("Choose a group first.");
    await call(`${baseUrl}api/groups/${enc(group)}/users`, { method, body: { users: names } });
    return [];
  }

  async function runBulk(action) {
    const names = [...selected];
    const spec = BULK[action];
    const failed = await spec.run(names);
    report(spec.done(names.length - failed.length), failed);
    if (spec.after) spec.after(names);
    changed();
  }

  let pendingBulk = null;

  $("#lf-bulk").addEventListener("click", (event) => {
    const button = event.target.closest("[data-bulk]");
    if (!button) return;
    const action = button.dataset.bulk;
    const spec = BULK[action];
    if (!spec.confirm) {
      busy(button, () => runBulk(action));
      return;
    }
    const [title, body, label, volumes] = spec.confirm(selected.size);
    const modal = document.getElementById("lf-bulk-modal");
    $(".lf-bulk-title", modal).textContent = title;
    $(".lf-bulk-body", modal).textContent = body;
    $(".lf-bulk-volumes", modal).hidden = !volumes;
    $("#lf-bulk-volumes").checked = false;
    const confirm = $("[type=submit]", modal);
    confirm.textContent = label;
    confirm.className = `btn ${action === "reset" ? "btn-primary" : "btn-danger"}`;
    pendingBulk = action;
    modalOf(modal).show();
  });

  document.getElementById("lf-bulk-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const modal = document.getElementById("lf-bulk-modal");
    modalOf(modal).hide();
    const action = pendingBulk;
    busy($(`[data-bulk="${action}"]`), () => runBulk(action));
  });

  // -- groups: created here; what they grant is on the Groups page -----------------------

  $("#lf-group-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const name = $("#lf-group-name").value.trim();
    if (!name) return;
    busy($("#lf-group-submit"), async () => {
      await call(`${baseUrl}api/groups/${enc(name)}`, { method: "POST" });
      say("success", `Created the group ${name}: tick people and "Add to group" to fill it.`);
      $("#lf-group-name").value = "";
      await refresh();
      $("#lf-bulk-group").value = name;
    });
  });

  // -- actions on one person -------------------------------------------------------------

  const ACTIONS = {
    start: (name) => call(serverUrl(name), { method: "POST" }).then(() => say("success", `Starting ${name}'s server.`)),
    stop: (name) => call(serverUrl(name), { method: "DELETE" }).then(() => say("success", `Stopping ${name}'s server.`)),
    async approve(name) {
      await call(accountUrl(name), { method: "PATCH", body: { approved: true } });
      say("success", `${name} may log in now.`);
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
    async reveal(name) {
      const credentials = await reveal([name]);
      if (!credentials.length) {
        say("warning", `The password of ${name} can no longer be revealed: reset it for a new one.`);
        return;
      }
      const box = say("info", `New password of ${name} (shown once): `);
      $(".lf-alert-message", box).append(el("code", { class: "lf-password user-select-all", text: credentials[0].password }));
    },
    reset: (name) => openModal("lf-reset-modal", name),
    suspend: (name) => openModal("lf-suspend-modal", name),
    rename(name) {
      openModal("lf-rename-modal", name);
      $("#lf-rename-name").value = name;
    },
    delete(name) {
      openModal("lf-delete-modal", name);
      $("#lf-delete-volumes").checked = false;
    },
  };
  const IN_A_MODAL = ["reset", "suspend", "rename", "delete", "reveal"];

  onRowAction($("#lf-user-rows"), ACTIONS, (action) => {
    if (!IN_A_MODAL.includes(action)) changed();
  });

  // -- confirmed in a modal: reset, suspend, rename, delete ------------------------------

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
        changed();
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
    selected.delete(name);
    say("success", `Renamed ${name} to ${answer.name}.`);
  });

  confirmIn("lf-delete-modal", async (name) => {
    const deleteVolumes = $("#lf-delete-volumes").checked;
    const answer = await call(accountUrl(name), { method: "DELETE", body: { delete_volumes: deleteVolumes } });
    selected.delete(name);
    say("success", answer.message);
  });

  page.addEventListener("labfleet:people-changed", refresh);
  refresh();
})();
