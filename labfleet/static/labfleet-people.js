/*
 * labfleet People page (templates/labfleet/users.html), its list: everyone, found, filtered
 * and paged by the hub (GET /hub/api/labfleet/users?search&group&state&offset&limit), with
 * each person's account and server; actions on one person, and on the people ticked (on
 * any page), one request each through the API that does it for one, a few at a time; their
 * report counts what was done, what was left as it was, and what failed.
 * The list is live: read again every few seconds while the page is in view, and drawn
 * again when it changed (people log in, change passwords, servers start and stop).
 * Loaded after labfleet-users.js, whose helpers it takes from window.labfleet.peoplePage.
 */
(function () {
  "use strict";

  const { el, modalOf, formatDuration, formatBytes } = window.labfleet;
  const { page, api, baseUrl, enc, call, say, busy, onRowAction, fromTemplate, timeOf, reveal, credentialsTable, accountUrl, changed } =
    window.labfleet.peoplePage;
  const $ = (selector, root = page) => root.querySelector(selector);
  const me = page.dataset.me;
  const PAGE_SIZE = 50;
  const AT_ONCE = 4; // requests of a bulk action in flight together
  const LIVE_SECONDS = 5; // the list is read again this often while the page is in view
  const WAIT_SECONDS = 600; // a bulk start or stop follows each server this long at most
  const serverUrl = (name) => `${baseUrl}api/users/${enc(name)}/server`;

  let shown = []; // the people of this page
  let total = 0;
  let offset = 0;
  let drawn = ""; // the answer the list shows, to draw it again only when it changed
  let reading = 0; // the latest read of the list: an older answer is not drawn
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
    if (account.disk) {
      // a disk of their own (a group's disk_limit): what their volumes hold against it
      const { used_bytes: used, limit_bytes: limit } = account.disk;
      const full = used >= 0.9 * limit;
      $(".lf-server", row).append(
        el("div", { class: `lf-disk ${full ? "text-danger" : "text-body-secondary"}`, text: `Disk: ${formatBytes(used)} of ${formatBytes(limit)}` }),
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

  /** Read the list and draw it; ``quiet``: a live update, drawn only if something changed,
   * its errors not shown (the next one tries again). */
  async function refresh({ quiet = false } = {}) {
    const mine = ++reading;
    try {
      const answer = await call(query({ offset, limit: PAGE_SIZE }));
      if (mine !== reading) return undefined;
      if (answer.users.length === 0 && offset > 0 && answer.total > 0) {
        offset = Math.max(0, Math.floor((answer.total - 1) / PAGE_SIZE) * PAGE_SIZE);
        return refresh({ quiet });
      }
      const seen = JSON.stringify(answer);
      if (quiet && seen === drawn) return undefined;
      drawn = seen;
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
      if (!quiet) say("danger", error.message);
    }
    return undefined;
  }

  /** Keep the list live, a read every LIVE_SECONDS while the page is in view and no menu
   * of a row is open. */
  function follow() {
    setTimeout(async () => {
      if (document.visibilityState === "visible" && !$("#lf-user-rows .dropdown-menu.show")) {
        await refresh({ quiet: true });
      }
      follow();
    }, LIVE_SECONDS * 1000);
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

  /** Run work(name) for every name, AT_ONCE at a time. work answers a string when it left
   * that person as they were (why), anything else when it did its part. What became of
   * them: how many were done, and "name: why" of those left as they were and of those it
   * failed for. */
  async function each(names, work) {
    const outcome = { done: 0, left: [], failed: [] };
    const queue = [...names];
    async function worker() {
      while (queue.length) {
        const name = queue.shift();
        try {
          const why = await work(name);
          if (typeof why === "string") outcome.left.push(`${name}: ${why}`);
          else outcome.done += 1;
        } catch (error) {
          outcome.failed.push(`${name}: ${error.message}`);
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(AT_ONCE, names.length) }, worker));
    return outcome;
  }

  function report(done, { left, failed }) {
    const parts = [done];
    if (left.length) parts.push(`${left.length} left as ${left.length === 1 ? "it was" : "they were"}`);
    if (failed.length) parts.push(`${failed.length} failed`);
    const box = say(failed.length ? "warning" : "success", parts.join("; ") + (left.length || failed.length ? ":" : "."));
    const lists = [
      [left, "lf-left text-body-secondary"],
      [failed, "lf-failures"],
    ];
    for (const [items, kind] of lists) {
      if (items.length) $(".lf-alert-message", box).append(el("ul", { class: `mb-0 small ${kind}` }, ...items.map((text) => el("li", { text }))));
    }
  }

  const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

  /** The default server of ``name`` as JupyterHub's API has it (undefined: none). */
  async function serverOf(name) {
    return (await call(`${baseUrl}api/users/${enc(name)}`)).servers[""];
  }

  /** Wait until ``name``'s server is ``wanted`` (ready, or gone: stopped or failed to start). */
  async function waitFor(name, wanted) {
    for (let waited = 0; waited < WAIT_SECONDS; waited += 1) {
      const server = await serverOf(name);
      if (wanted === "ready" ? server && server.ready : !server) return;
      if (wanted === "ready" && !server) throw new Error("the server did not start: see its logs");
      await sleep(1);
    }
    throw new Error(`still not ${wanted === "ready" ? "started" : "stopped"} after ${formatDuration(WAIT_SECONDS)}`);
  }

  async function startOne(name) {
    const server = await serverOf(name);
    if (server) return server.ready ? "running already" : "starting or stopping already";
    await call(serverUrl(name), { method: "POST" });
    await waitFor(name, "ready");
    return undefined;
  }

  async function stopOne(name) {
    if (!(await serverOf(name))) return "not running";
    await call(serverUrl(name), { method: "DELETE" });
    await waitFor(name, "gone");
    return undefined;
  }

  /** The names of the people listed in ``state`` (every page). */
  async function namesIn(state) {
    return new Set((await call(`${api}/users?state=${state}`)).users.map((account) => account.name));
  }

  const notMe = (work) => (name) => (name === me ? "that is you" : work(name));

  const PLURALS = { person: "people" };
  const plural = (n, word) => `${n} ${n === 1 ? word : PLURALS[word] || `${word}s`}`;

  const BULK = {
    start: {
      run: (names) => each(names, startOne),
      done: (n) => `Started ${plural(n, "server")}`,
    },
    stop: {
      run: (names) => each(names, stopOne),
      done: (n) => `Stopped ${plural(n, "server")}`,
    },
    restart: {
      // in place, one request a server: an admin's restarts of others' servers are not rate limited
      confirm: (n) => [`Restart ${plural(n, "server")}?`, "Each running server restarts in place: its kernels stop, files and open tabs stay.", "Restart"],
      run: (names) => each(names, (name) => call(`${api}/users/${enc(name)}/restart`, { method: "POST" })),
      done: (n) => `Restarted ${plural(n, "server")}`,
    },
    reset: {
      confirm: (n) => [`Reset the passwords of ${plural(n, "person")}?`, "Their current passwords stop working; new ones are generated and shown to you once.", "Reset passwords"],
      run: async (names) => {
        const reset = [];
        const outcome = await each(names, async (name) => {
          await call(`${api}/users/${enc(name)}/password`, { method: "POST", body: {} });
          reset.push(name);
        });
        const credentials = await reveal(reset);
        if (credentials.length) $("#lf-bulk-result").replaceChildren(credentialsTable(credentials));
        return outcome;
      },
      done: (n) => `Reset ${plural(n, "password")}`,
    },
    suspend: {
      confirm: (n) => [`Suspend ${plural(n, "person")}?`, "They are logged out everywhere, their tokens stop working and running servers are stopped; logins are refused until you restore them.", "Suspend"],
      run: async (names) => {
        const suspended = await namesIn("suspended");
        return each(
          names,
          notMe(async (name) => {
            if (suspended.has(name)) return "suspended already";
            await call(accountUrl(name), { method: "PATCH", body: { approved: false } });
            return undefined;
          }),
        );
      },
      done: (n) => `Suspended ${plural(n, "person")}`,
    },
    delete: {
      confirm: (n) => [`Delete ${plural(n, "person")}?`, "Their accounts and servers go; running servers are stopped first.", "Delete", true],
      run: (names) => {
        const volumes = $("#lf-bulk-volumes").checked;
        return each(
          names,
          notMe(async (name) => {
            await call(accountUrl(name), { method: "DELETE", body: { delete_volumes: volumes } });
          }),
        );
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

  /** Add (POST) or remove (DELETE) hub users of ``names`` to the chosen group: one request
   * for those not in it (POST) or in it (DELETE). */
  async function groupMembers(method, names) {
    const group = $("#lf-bulk-group").value;
    if (!group) throw new Error("Choose a group first.");
    const url = `${baseUrl}api/groups/${enc(group)}`;
    const members = new Set((await call(url)).users);
    const adding = method === "POST";
    const changing = names.filter((name) => members.has(name) !== adding);
    if (changing.length) await call(`${url}/users`, { method, body: { users: changing } });
    const why = adding ? "in the group already" : "not in the group";
    return { done: changing.length, left: names.filter((name) => !changing.includes(name)).map((name) => `${name}: ${why}`), failed: [] };
  }

  async function runBulk(action) {
    const names = [...selected];
    const spec = BULK[action];
    const outcome = await spec.run(names);
    report(spec.done(outcome.done), outcome);
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
    confirm.className = `btn ${["reset", "restart"].includes(action) ? "btn-primary" : "btn-danger"}`;
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

  page.addEventListener("labfleet:people-changed", () => refresh());
  refresh();
  follow();
})();
