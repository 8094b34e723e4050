// The teacher page: the class server's students, dashboards, CPU and memory, every 2 s.
const summary = document.getElementById("summary");
const rows = document.querySelector("#kernels tbody");
const stopped = document.getElementById("stopped");

function cell(text, number) {
  const td = document.createElement("td");
  td.textContent = text;
  if (number) td.className = "number";
  return td;
}

async function refresh() {
  let s;
  try {
    const reply = await fetch("teacher/status", { credentials: "same-origin" });
    if (!reply.ok) throw new Error(`the server answered ${reply.status}`);
    s = await reply.json();
  } catch (error) {
    summary.textContent = `The server cannot be read (${error.message}).`;
    return;
  }
  summary.textContent = `${s.students} students connected; ${s.in_use} dashboards open of ${s.most} ` +
    `(${s.ready} ready for arrivals); CPU ${s.cpu_percent.toFixed(0)}% of ${s.cpus} cores; memory ` +
    `${s.memory_used_mib} of ${s.memory_total_mib} MiB (server ${s.server_rss_mib.toFixed(0)}, ` +
    `kernels ${s.kernels_rss_mib.toFixed(0)} MiB)`;
  rows.replaceChildren(...s.kernels.map((k) => {
    const tr = document.createElement("tr");
    if (k.ready) tr.className = "ready";
    tr.append(cell(k.dashboard || "(starting)"), cell(k.ready ? "ready" : k.state),
              cell(k.connected ? "yes" : "no"), cell(`${Math.round(k.idle_s)} s`, true),
              cell(`${k.rss_mib.toFixed(0)} MiB`, true), cell(k.fps.toFixed(1), true));
    return tr;
  }));
}

document.getElementById("stop-idle").onclick = async () => {
  const reply = await fetch("teacher/stop-idle", {
    method: "POST", credentials: "same-origin", headers: { "X-XSRFToken": document.body.dataset.xsrf },
  });
  stopped.textContent = reply.ok ? `${(await reply.json()).stopped} stopped.` : `Refused (${reply.status}).`;
  refresh();
};

refresh();
setInterval(refresh, 2000);
