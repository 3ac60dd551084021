// Live progress of running backups and restores on the BCP dashboard (issue 5 §7).
// Polls bcp:progress every 2 seconds; the page works without it (it shows the state when it was loaded).
(function () {
  "use strict";
  const POLL_MS = 2000;

  function jobElement(container, job) {
    let item = container.querySelector(`[data-job="${CSS.escape(job.id)}"]`);
    if (item) return item;
    item = document.createElement("div");
    item.className = "bcp-job";
    item.dataset.job = job.id;
    const label = document.createElement("label");
    label.htmlFor = `job-${job.id}`;
    label.textContent = job.label;
    const bar = document.createElement("progress");
    bar.id = `job-${job.id}`;
    bar.max = 100;
    const status = document.createElement("span");
    status.className = "bcp-job__status";
    item.append(label, bar, status);
    container.insertBefore(item, container.querySelector("[data-bcp-idle]"));
    return item;
  }

  function render(container, jobs) {
    const seen = new Set();
    jobs.forEach((job) => {
      seen.add(job.id);
      const item = jobElement(container, job);
      const bar = item.querySelector("progress");
      bar.value = job.progress;
      bar.textContent = `${job.progress}%`;
      item.querySelector(".bcp-job__status").textContent = `${job.status_label} ${job.progress}%`;
      item.classList.remove("bcp-job--done");
    });
    container.querySelectorAll("[data-job]").forEach((item) => {
      if (seen.has(item.dataset.job) || item.classList.contains("bcp-job--done")) return;
      // Finished (or failed): the result shows in the grid after a reload.
      item.classList.add("bcp-job--done");
      item.querySelector(".bcp-job__status").textContent = "終了しました(結果は再読み込みで表示されます)";
    });
    const idle = container.querySelector("[data-bcp-idle]");
    if (idle) idle.hidden = container.querySelectorAll("[data-job]").length > 0;
  }

  function poll(container) {
    fetch(container.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((data) => render(container, data.jobs || []))
      .catch(() => { /* keep the last state; the next poll retries */ })
      .finally(() => window.setTimeout(() => poll(container), POLL_MS));
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-bcp-progress]").forEach((container) => {
      window.setTimeout(() => poll(container), POLL_MS);
    });
  });
})();
