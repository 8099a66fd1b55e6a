/*
 * labfleet environment page (templates/labfleet/environment.html): a user's own
 * variables, saved with PUT {data-url} (/hub/api/labfleet/users/{name}/environment)
 * through labfleet.request (labfleet-api.js, loaded before it); the answer's message, or
 * the hub's reason for refusing, is shown beside the Save button.
 */
(function () {
  "use strict";

  const { request, showResult, parseVariables } = window.labfleet;
  const page = document.querySelector(".labfleet-environment");
  const form = page.querySelector(".lf-environment-form");
  const result = form.querySelector(".lf-result");
  const button = form.querySelector(".lf-save");

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let environment;
    try {
      environment = parseVariables(form.elements.environment.value);
    } catch (error) {
      showResult(result, "danger", error.message);
      return;
    }
    button.disabled = true;
    try {
      const answer = await request(page.dataset.url, {
        method: "PUT",
        body: { environment },
        xsrf: page.dataset.xsrf,
        baseUrl: page.dataset.baseUrl,
      });
      showResult(result, "success", answer.message);
    } catch (error) {
      // the hub's reason as it gives it; anything else says that nothing was saved
      showResult(result, "danger", error.status ? error.message : `Not saved: ${error.message}`);
    } finally {
      button.disabled = false;
    }
  });
})();
