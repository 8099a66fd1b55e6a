/*
 * labfleet People page (templates/labfleet/users.html), its roster import: a file (sent as
 * its bytes: the hub finds its encoding and delimiter) or pasted text is previewed first
 * (POST /hub/api/labfleet/users/import with "preview": true: nothing is created), with each
 * column's role, which the admin may change; then imported, and the import can be undone
 * (POST /hub/api/labfleet/users/imports/{id}/undo). Loaded after labfleet-users.js, whose
 * helpers it takes from window.labfleet.peoplePage.
 */
(function () {
  "use strict";

  const { el, alertBox, modalOf } = window.labfleet;
  const { page, api, call, say, busy, reveal, credentialsTable, changed } = window.labfleet.peoplePage;
  const $ = (selector, root = page) => root.querySelector(selector);

  const ROLES = [
    ["", "ignore"],
    ["username", "user name"],
    ["password", "password"],
    ["group", "groups"],
    ["email", "e-mail"],
    ["first_name", "first name"],
    ["last_name", "last name"],
    ["full_name", "full name"],
  ];
  const STATUS_CLASS = { created: "success", updated: "primary", unchanged: "secondary", rejected: "danger" };
  const plan = $("#lf-import-plan");
  const result = $("#lf-import-result");

  let file = null; // {file: base64, filename} of the chosen file, else the pasted text is used
  let options = {}; // columns, header, names_from_emails, email_names chosen on the preview

  function base64(buffer) {
    const bytes = new Uint8Array(buffer);
    let text = "";
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text);
  }

  function source() {
    return file || { roster: $("#lf-import-roster").value };
  }

  function body(extra = {}) {
    return { ...source(), email_names: false, ...options, ...extra };
  }

  // -- the preview ---------------------------------------------------------------------------

  function describeFile(answer) {
    const info = answer.file;
    const parts = [file ? `${file.filename}:` : "Pasted text:"];
    if (info.encoding) parts.push(`${info.encoding},`);
    parts.push(info.typed ? "typed lines (name[:password],groups…)." : `columns separated by ${info.delimiter === "tab" ? "tabs" : `${info.delimiter}s`}.`);
    if (info.ignored.length) parts.push(`Ignored columns: ${info.ignored.join(", ")}.`);
    return parts.join(" ");
  }

  function columnChoices(info) {
    return info.columns.map((column, index) => {
      const select = el("select", { class: "form-select form-select-sm lf-role", "aria-label": `Role of ${column.label}` });
      for (const [value, text] of ROLES) select.append(el("option", { value, text }));
      select.value = column.role;
      select.addEventListener("change", () => {
        options.columns = [...plan.querySelectorAll(".lf-role")].map((s) => s.value);
        preview();
      });
      return el(
        "div",
        { class: "col-sm-4 col-lg-3 lf-column", "data-column": String(index) },
        el("div", { class: "small fw-semibold text-truncate", text: column.label, title: column.label }),
        el("div", { class: "small text-body-secondary text-truncate", text: column.sample || "—" }),
        select,
      );
    });
  }

  function checkbox(id, label, checked, onChange) {
    const input = el("input", { class: "form-check-input", type: "checkbox", id });
    input.checked = checked;
    input.addEventListener("change", () => onChange(input.checked));
    return el("div", { class: "form-check mb-0" }, input, el("label", { class: "form-check-label", for: id, text: label }));
  }

  function previewRows(answer) {
    const rows = [
      ...answer.create.map((item) => ({ ...item, status: "new", kind: "success", detail: `password ${item.password}` })),
      ...answer.existing.map((item) => ({ ...item, status: "existing", kind: "secondary", detail: "kept; joins its groups" })),
      ...answer.rejected.map((item) => ({ line: item.line, username: item.text, status: "rejected", kind: "danger", detail: item.reason, groups: [] })),
    ].sort((a, b) => a.line - b.line);
    const table = el("table", { class: "table table-sm mb-2 lf-preview" });
    const head = table.createTHead().insertRow();
    for (const title of ["line", "user", "name", "groups", "", "detail"]) head.append(el("th", { text: title }));
    const tbody = table.createTBody();
    for (const row of rows) {
      const tr = tbody.insertRow();
      tr.className = `lf-${row.status}`;
      tr.append(
        el("td", { text: String(row.line) }),
        el("td", { class: "font-monospace", text: row.username }),
        el("td", { text: row.name || "" }),
        el("td", { class: "small", text: (row.groups || []).join(", ") }),
        el("td", {}, el("span", { class: `badge text-bg-${row.kind}`, text: row.status })),
        el("td", { class: "small", text: row.detail }),
      );
    }
    return el("div", { class: "table-responsive" }, table);
  }

  function showPlan(answer) {
    const info = answer.file;
    const parts = [el("p", { class: "small mb-2 lf-file", text: describeFile(answer) })];
    parts.push(
      checkbox("lf-import-header", "The first line names the columns", info.header, (checked) => {
        options = { ...options, header: checked, columns: undefined };
        preview();
      }),
    );
    if (info.typed) {
      // typed lines (name[:password],groups…) unless the admin reads them as columns
      parts.push(
        checkbox("lf-import-columns", "Read the lines as columns, and choose what each one holds", false, () => {
          options.columns = [];
          preview();
        }),
      );
    }
    if (info.columns.length) parts.push(el("div", { class: "row g-2 my-2 lf-columns" }, ...columnChoices(info)));
    if (info.problem) {
      const problem = alertBox("warning", `${info.problem[0].toUpperCase()}${info.problem.slice(1)}.`, { dismissible: false });
      problem.classList.add("lf-problem");
      parts.push(problem);
    }
    if (info.columns.some((c) => c.role === "email")) {
      parts.push(
        checkbox("lf-import-names-from-emails", "Make user names from the e-mail addresses (the part before @) where a line has none", Boolean(options.names_from_emails), (checked) => {
          options.names_from_emails = checked;
          preview();
        }),
      );
    }
    const emailLike = answer.rejected.filter((r) => r.looks_like_email);
    if (emailLike.length || options.email_names) {
      const box = alertBox(
        "warning",
        emailLike.length
          ? `${emailLike.length} user name(s) look like e-mail addresses (${emailLike.slice(0, 3).map((r) => r.text).join(", ")}${emailLike.length > 3 ? ", …" : ""}). People type their user name at every login.`
          : "User names that look like e-mail addresses are used as they are.",
        { dismissible: false },
      );
      box.classList.add("lf-email-names");
      $(".lf-alert-message", box).append(
        checkbox("lf-import-email-names", "Use them as user names", Boolean(options.email_names), (checked) => {
          options.email_names = checked;
          preview();
        }),
      );
      parts.push(box);
    }
    parts.push(previewRows(answer));
    if (answer.groups_created.length) {
      parts.push(el("p", { class: "small lf-groups-new", text: `Groups to create: ${answer.groups_created.join(", ")}.` }));
    }
    const count = answer.create.length + answer.existing.length;
    const submit = el("button", {
      type: "button",
      class: "btn btn-primary",
      id: "lf-import-submit",
      text: answer.create.length ? `Import: create ${answer.create.length} user${answer.create.length === 1 ? "" : "s"}` : "Import",
    });
    submit.disabled = count === 0;
    submit.addEventListener("click", () => busy(submit, apply));
    parts.push(el("div", { class: "d-flex gap-2 align-items-center" }, submit, el("span", { class: "small text-body-secondary", text: "Nothing is created before this." })));
    plan.replaceChildren(...parts);
    plan.hidden = false;
  }

  async function preview() {
    result.replaceChildren();
    if (!file && !$("#lf-import-roster").value.trim()) {
      plan.hidden = true;
      result.replaceChildren(alertBox("warning", "Choose a file or paste a roster first."));
      return;
    }
    await busy($("#lf-import-preview"), async () => showPlan(await call(`${api}/users/import`, { method: "POST", body: body({ preview: true }) })));
  }

  // -- the import, and its undo ----------------------------------------------------------------

  function report(answer) {
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
    const tbody = table.createTBody();
    for (const row of rows) {
      const tr = tbody.insertRow();
      tr.className = `lf-${row.status}`;
      tr.append(
        el("td", { text: String(row.line) }),
        el("td", { class: "font-monospace", text: row.who }),
        el("td", {}, el("span", { class: `badge text-bg-${STATUS_CLASS[row.status]}`, text: row.status })),
        el("td", { class: "small", text: row.detail }),
      );
    }
    return [summary, el("div", { class: "table-responsive" }, table)];
  }

  async function apply() {
    const mustChange = $("#lf-import-must-change").checked;
    const answer = await call(`${api}/users/import`, { method: "POST", body: body({ must_change_password: mustChange }) });
    const credentials = await reveal(answer.generated);
    const parts = report(answer);
    if (answer.groups_created.length) {
      parts.push(el("p", { class: "small lf-groups-created", text: `Created the group(s) ${answer.groups_created.join(", ")}.` }));
    }
    if (credentials.length) parts.push(credentialsTable(credentials));
    if (answer.import) {
      const undo = el("button", { type: "button", class: "btn btn-outline-danger btn-sm mt-2", id: "lf-import-undo", text: "Undo this import…" });
      undo.addEventListener("click", () => openUndo(answer.import));
      parts.push(undo);
    }
    plan.hidden = true;
    result.replaceChildren(...parts);
    changed();
  }

  let undoing = null;

  function openUndo(made) {
    undoing = made;
    const modal = document.getElementById("lf-undo-modal");
    $(".lf-undo-what", modal).textContent = `It deletes the ${made.users.length} user(s) and ${made.groups.length} group(s) this import created${made.users.length ? ` (${made.users.slice(0, 5).join(", ")}${made.users.length > 5 ? ", …" : ""})` : ""}, and nothing else: users it only updated stay as they are.`;
    $("#lf-undo-volumes").checked = false;
    $(".lf-modal-error", modal).hidden = true;
    modalOf(modal).show();
  }

  document.getElementById("lf-undo-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const modal = document.getElementById("lf-undo-modal");
    const submit = $("[type=submit]", modal);
    submit.disabled = true;
    try {
      const answer = await call(`${api}/users/imports/${undoing.id}/undo`, { method: "POST", body: { delete_volumes: $("#lf-undo-volumes").checked } });
      modalOf(modal).hide();
      result.replaceChildren(alertBox(answer.failed.length ? "warning" : "success", answer.message));
      changed();
    } catch (error) {
      $(".lf-modal-error", modal).textContent = error.message;
      $(".lf-modal-error", modal).hidden = false;
    } finally {
      submit.disabled = false;
    }
  });

  // -- the form ---------------------------------------------------------------------------------

  async function chooseFile() {
    const chosen = $("#lf-import-file").files[0];
    options = {};
    plan.hidden = true;
    file = chosen ? { file: base64(await chosen.arrayBuffer()), filename: chosen.name } : null;
    $("#lf-import-roster").disabled = Boolean(file);
    $("#lf-import-roster").placeholder = file ? `${chosen.name} is read: clear it to paste a roster instead` : "";
    $("#lf-import-clear").hidden = !file;
    if (file) preview();
  }

  $("#lf-import-file").addEventListener("change", chooseFile);
  $("#lf-import-clear").addEventListener("click", () => {
    $("#lf-import-file").value = "";
    chooseFile();
  });

  $("#lf-import-roster").addEventListener("input", () => {
    options = {};
    plan.hidden = true;
  });

  $("#lf-import-form").addEventListener("submit", (event) => {
    event.preventDefault();
    preview();
  });
})();
