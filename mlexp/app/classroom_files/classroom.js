// mlexp class: when a dashboard's kernel is stopped (culled when idle, stopped by the teacher, or
// the server restarted), the page says so in one sentence and offers to reload, instead of a
// dashboard that silently stops answering. Loaded before Voila's scripts: it watches the kernel
// websocket the page opens, and asks the server whether the kernel still exists once it closes.
(function () {
  const Native = window.WebSocket;
  let shown = false;

  function say(sentence) {
    if (shown) return;
    shown = true;
    const bar = document.createElement("div");
    bar.className = "mlexp-class-banner";
    bar.setAttribute("role", "alert");
    const text = document.createElement("span");
    text.textContent = sentence;
    const button = document.createElement("button");
    button.textContent = "Reload";
    button.onclick = () => location.reload();
    bar.append(text, button);
    document.body.prepend(bar);
  }

  async function check(url) {
    const match = url.match(/\/api\/kernels\/([0-9a-f-]+)\/channels/);
    if (!match) return;
    const base = url.slice(0, match.index).replace(/^ws/, "http");
    for (let attempt = 0; attempt < 5; attempt++) {  // a few tries: a network blip is not a stop
      let status = 0;
      try {
        status = (await fetch(`${base}/api/kernels/${match[1]}`, { credentials: "same-origin" })).status;
      } catch (error) {
        status = 0;  // the server cannot be reached
      }
      if (status === 404) {
        return say("This dashboard was stopped to free the class server (it was idle): reload to start it again.");
      }
      if (status === 403 || status === 401) {
        return say("The class password is needed again: reload and type it.");
      }
      if (status === 200) return;  // the kernel is alive: Voila reconnects
      await new Promise((done) => setTimeout(done, 2000));
    }
    say("The class server cannot be reached: check the network, then reload.");
  }

  window.WebSocket = function (url, protocols) {
    const socket = protocols === undefined ? new Native(url) : new Native(url, protocols);
    if (String(url).includes("/api/kernels/")) socket.addEventListener("close", () => check(String(url)));
    return socket;
  };
  window.WebSocket.prototype = Native.prototype;
  for (const key of ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]) window.WebSocket[key] = Native[key];
})();
