/*
 * labfleet People page (templates/labfleet/users.html), its forms: create users (a name that
 * looks like an e-mail address only once the admin confirms it), decide on sign-ups, through
 * labfleet's JSON API (the roster import is labfleet-roster.js). Requests go through
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

  /** A file's text as a spreadsheet may have saved it: UTF-16 (a byte order mark), else
   * UTF-8, else Windows-1252 (Excel's plain CSV on Windows), as the roster import reads. */
  function decodeText(buffer) {
    const bytes = new Uint8Array(buffer);
    if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le").decode(bytes);
    if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be").decode(bytes);
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch (e) {
      return new TextDecoder("windows-1252").decode(bytes);
    }
  }

  function readFileInto(input, textarea) {
    input.addEventListener("change", async () => {
      const file = input.files[0];
      if (file) textarea.value = decodeText(await file.arrayBuffer());
    });
  }

  readFileInto($("#lf-create-file"), $("#lf-create-names"));

  $("#lf-create-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const result = $("#lf-create-result");
    const usernames = lines($("#lf-create-names").value);
    if (!usernames.length) {
      result.replaceChildren(alertBox("warning", "Give at least one user name."));
      return;
    }
    const groups = [...$("#lf-create-groups").selectedOptions].map((option) => option.value);
    const body = { usernames, groups, must_change_password: $("#lf-create-must-change").checked, email_names: false };
    busy($("#lf-create-submit"), () => create(body));
  });

  /** Create users; names that look like e-mail addresses wait for the admin's word (what
   * was shown before, ``earlier``, stays: passwords are revealed once). */
  async function create(body, earlier = []) {
    const result = $("#lf-create-result");
    const answer = await call(`${api}/users`, { method: "POST", body });
    const credentials = await reveal(answer.created.map((c) => c.username));
    const asked = answer.rejected.filter((r) => r.looks_like_email);
    const refused = answer.rejected.filter((r) => !r.looks_like_email);
    const parts = [
      el("p", {
        class: "mb-1 lf-summary",
        text:
          `Created ${answer.created.length} user${answer.created.length === 1 ? "" : "s"}` +
          (refused.length ? `; ${refused.length} refused:` : "."),
      }),
    ];
    if (refused.length) parts.push(rejectedList(refused, (r) => `${r.username}: ${r.reason}`));
    if (asked.length) {
      const names = asked.map((r) => r.username);
      const box = alertBox(
        "warning",
        `${names.join(", ")} ${names.length === 1 ? "looks like an e-mail address" : "look like e-mail addresses"}. ` +
          "People type their user name at every login: a short name is easier. Create as written?",
        { dismissible: false },
      );
      box.classList.add("lf-email-names");
      const confirm = el("button", { type: "button", class: "btn btn-sm btn-warning ms-auto text-nowrap lf-confirm-emails", text: "Create them anyway" });
      confirm.addEventListener("click", () =>
        busy(confirm, () => create({ ...body, usernames: names, email_names: true }, [...earlier, ...parts.filter((part) => part !== box)])),
      );
      box.append(confirm);
      parts.push(box);
    }
    if (credentials.length) parts.push(credentialsTable(credentials));
    result.replaceChildren(...earlier, ...parts);
    if (answer.created.length || asked.length) $("#lf-create-names").value = "";
    changed();
  }

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
