// Progress of a background job (common.jobs): polls the status URL while the job runs and shows the page
// again once it has finished (the server renders the result). Without JavaScript the page has a reload link.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector("[data-job-status-url]");
  if (!box) return;
  const bar = box.querySelector("progress");
  const text = box.querySelector("[data-job-progress]");
  const state = document.querySelector("[data-job-state]");
  const poll = async () => {
    try {
      const response = await fetch(box.dataset.jobStatusUrl, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const job = await response.json();
      if (job.finished) { window.location.reload(); return; }
      bar.value = job.progress.percent;
      bar.textContent = `${job.progress.percent}%`;
      const counts = job.progress.total ? `: ${job.progress.done} / ${job.progress.total}` : "";
      text.textContent = `${job.progress.phase || "処理を待っています"}${counts}`;
      if (state) state.textContent = job.state_label;
    } catch (error) {
      // A dropped connection: try again at the next tick.
    }
    window.setTimeout(poll, 1000);
  };
  window.setTimeout(poll, 1000);
});
