/*
 * labfleet groups page (templates/labfleet/groups.html): each editable group's form is
 * saved with PUT /hub/api/labfleet/groups/{name} through labfleet.request (labfleet-api.js,
 * loaded before it); the answer's message, or the hub's reason for refusing, is shown
 * beside the form's Save button. A group is deleted, once confirmed in a modal, with
 * JupyterHub's DELETE /hub/api/groups/{name} (labfleet's version: not one of labfleet.yaml).
 */
(function () {
  "use strict";

  const { request, showResult, showAlert, lines, parseVariables, modalOf } = window.labfleet;
  const page = document.querySelector(".labfleet-groups");

  /** host:folder:ro|rw lines as [{host, path, mode}]; the mode is optional. */
  function parseMounts(text) {
    return lines(text).map((line) => {
      const parts = line.split(":");
      const mode = ["ro", "rw"].includes(parts[parts.length - 1]) && parts.length > 2 ? parts.pop() : undefined;
      if (parts.length !== 2) throw new Error(`mounts: "${line}" is not host:folder:ro|rw`);
      return mode ? { host: parts[0], path: parts[1], mode } : { host: parts[0], path: parts[1] };
    });
  }

  /** The form's properties, as the API takes them: empty fields are left out. */
  function properties(form) {
    // a field the hub does not apply (disabled on the page) is never saved
    const value = (name) => (form.elements[name].disabled ? "" : form.elements[name].value.trim());
    const out = {};
    if (value("priority") !== "") out.priority = Number(value("priority"));
    if (value("cpu_limit") !== "") out.cpu_limit = Number(value("cpu_limit"));
    if (value("mem_limit") !== "") out.mem_limit = value("mem_limit");
    if (value("disk_limit") !== "") out.disk_limit = value("disk_limit");
    if (form.elements.gpu.checked) out.gpu = true;
    if (form.elements.user_environment.checked) out.user_environment = true;
    const environment = parseVariables(form.elements.environment.value, "environment");
    if (Object.keys(environment).length) out.environment = environment;
    const mounts = parseMounts(form.elements.mounts.value);
    if (mounts.length) out.mounts = mounts;
    const images = lines(form.elements.images.value);
    if (images.length) out.images = images;
    return out;
  }

  async function save(form) {
    const card = form.closest(".lf-group");
    const result = form.querySelector(".lf-result");
    const button = form.querySelector(".lf-save");
    let body;
    try {
      body = properties(form);
    } catch (error) {
      showResult(result, "danger", error.message);
      return;
    }
    button.disabled = true;
    try {
      const url = `${page.dataset.baseUrl}api/labfleet/groups/${encodeURIComponent(card.dataset.group)}`;
      const answer = await request(url, { method: "PUT", body, xsrf: page.dataset.xsrf, baseUrl: page.dataset.baseUrl });
      showResult(result, "success", answer.message);
    } catch (error) {
      // the hub's reason as it gives it; anything else says that nothing was saved
      showResult(result, "danger", error.status ? error.message : `Not saved: ${error.message}`);
    } finally {
      button.disabled = false;
    }
  }

  for (const form of page.querySelectorAll(".lf-group-form")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      save(form);
    });
  }

  // -- deleting a group: asked first, through JupyterHub's own route -----------------------

  const deleteModal = document.getElementById("lf-delete-group-modal");
  let deleting = null;

  for (const button of page.querySelectorAll(".lf-delete-group")) {
    button.addEventListener("click", () => {
      deleting = button.closest(".lf-group");
      deleteModal.querySelector(".lf-target").textContent = deleting.dataset.group;
      deleteModal.querySelector(".lf-modal-error").hidden = true;
      modalOf(deleteModal).show();
    });
  }

  document.getElementById("lf-delete-group-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const submit = deleteModal.querySelector("[type=submit]");
    const error = deleteModal.querySelector(".lf-modal-error");
    const name = deleting.dataset.group;
    submit.disabled = true;
    try {
      const url = `${page.dataset.baseUrl}api/groups/${encodeURIComponent(name)}`;
      await request(url, { method: "DELETE", xsrf: page.dataset.xsrf, baseUrl: page.dataset.baseUrl });
      modalOf(deleteModal).hide();
      deleting.remove();
      showAlert(page.querySelector(".lf-alerts"), "success", `Deleted the group ${name}; its members keep their accounts.`);
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });
})();
