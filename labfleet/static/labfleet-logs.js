/*
 * labfleet's live server output (templates/labfleet_panel.html, labfleet_server_output;
 * the "server is starting" page): polls GET /hub/api/labfleet/users/{name}/logs?tail=N
 * while the page is open and shown, following the end unless the reader scrolled up. An
 * admin gets the lines as printed; the server's user, its progress and their errors in words.
 * Needs labfleet-api.js, loaded before it; starts every [data-labfleet-logtail] element.
 */
(function () {
  "use strict";

  const { request, xsrfToken, pathJoin, showError } = window.labfleet;

  class LogTail {
    constructor(root) {
      this.root = root;
      const name = root.dataset.user;
      const baseUrl = root.dataset.baseUrl || (window.jhdata && window.jhdata.base_url) || "/hub/";
      this.baseUrl = baseUrl;
      this.url = `${pathJoin(baseUrl, "api/labfleet/users", encodeURIComponent(name), "logs")}?tail=${parseInt(root.dataset.tail, 10) || 50}`;
      this.interval = parseInt(root.dataset.interval, 10) || 2000;
      this.xsrf = xsrfToken(root);
      this.output = root.querySelector(".lf-logtail-output");
      this.alerts = root.querySelector(".lf-logtail-alerts");
      this.status = root.querySelector(".lf-logtail-status");
      this.errorBox = null;
      this.lastText = null;
      this.poll();
    }

    async poll() {
      if (!document.hidden) await this.load();
      this.timer = setTimeout(() => this.poll(), this.interval);
    }

    async load() {
      try {
        const answer = await request(this.url, { xsrf: this.xsrf, baseUrl: this.baseUrl });
        if (this.errorBox) {
          this.errorBox.remove();
          this.errorBox = null;
        }
        const lines = answer.lines || [];
        // an admin reads the lines as printed; the server's user, its progress in words
        this.root.querySelector("summary").textContent = answer.raw ? "Server output" : "Your server's progress";
        const empty = answer.raw ? "(the server has printed nothing yet)" : "(nothing to report yet)";
        const text = lines.length ? lines.join("\n") : empty;
        if (text !== this.lastText) {
          // follow the end, unless the reader scrolled up
          const first = this.lastText === null;
          const atEnd = this.output.scrollHeight - this.output.scrollTop - this.output.clientHeight < 24;
          this.output.textContent = text;
          this.lastText = text;
          if (first || atEnd) this.output.scrollTop = this.output.scrollHeight;
        }
        this.status.textContent = `Updated ${new Date().toLocaleTimeString()}`;
      } catch (e) {
        // one alert at a time, replaced while the error lasts (the poll goes on)
        if (this.errorBox && this.errorBox.isConnected) {
          this.errorBox.querySelector(".lf-alert-message").textContent = e.message;
        } else {
          this.errorBox = showError(this.alerts, e);
        }
      }
    }
  }

  window.labfleet.LogTail = LogTail;
  window.labfleet.register("[data-labfleet-logtail]", LogTail);
})();
