// Camera widget (anywidget): a live <video> preview, JPEG frames sent to Python with flow control
// (at most one frame in flight: the next one leaves after Python's ack, and not faster than `fps`
// or the kernel's `rate`, from the trait or the ack), and an overlay drawn from data Python sets.
// See camera.py for the protocol.
const ACK_TIMEOUT_MS = 3000;     // no ack by then: send the next frame anyway
const SILENT_KERNEL_MS = 30000;  // no ack at all for this long: the kernel is gone, stop the camera
const HIDDEN_STOP_MS = 2000;     // page hidden this long: stop the camera (started again when shown)
const HIDDEN = "The camera is paused while this page is hidden: it starts again when you come back.";
const DISCONNECTED = "The camera was disconnected: reconnect it (or choose another) and press Retry.";
const SILENT = "Python stopped answering, so the camera was turned off: press Retry, " +
  "or reload the page if the kernel was shut down or restarted.";

// One sentence for each way getUserMedia fails.
function sentence(error) {
  switch (error && error.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "Camera permission was denied: allow the camera for this page (the icon in the address bar " +
        "or the browser's site settings), then press Retry.";
    case "NotFoundError":
    case "OverconstrainedError":
      return "No camera was found: connect one (or choose another) and press Retry.";
    case "NotReadableError":
    case "AbortError":
      return "The camera could not be started, perhaps another program is using it: close it and press Retry.";
    default:
      return `The camera could not be started (${(error && error.name) || error}): press Retry.`;
  }
}

function insecureSentence() {
  const port = location.port || (location.protocol === "https:" ? "443" : "80");
  return `Browsers allow the camera only on https or on localhost, and this page came over plain http from ` +
    `${location.hostname}: open it as http://localhost:${port}/... (from another computer, through an SSH ` +
    `tunnel: ssh -L ${port}:localhost:${port} ${location.hostname}), or put the server behind https.`;
}

// Per-frame timings the page can read (benchmarks): when each frame was drawn off the video, sent,
// and acknowledged; Python acknowledges after its callbacks ran, so acked - captured is frame -> result.
const TIMINGS_KEPT = 500;
function timing(entry) {
  const all = (window.mlexpCameraTimings = window.mlexpCameraTimings || []);
  all.push(entry);
  if (all.length > TIMINGS_KEPT) all.splice(0, all.length - TIMINGS_KEPT);
  return entry;
}

function make(tag, className, parent) {
  const node = document.createElement(tag);
  node.className = className;
  parent.appendChild(node);
  return node;
}

const display = (node, shown) => { node.style.display = shown ? "" : "none"; };  // whatever the page's CSS

function render({ model, el }) {
  el.classList.add("mlexp-camera");
  const stage = make("div", "mlexp-camera-stage", el);
  stage.style.position = "relative";  // the overlay lies exactly over the video
  const video = make("video", "mlexp-camera-video", stage);
  for (const name of ["playsinline", "muted", "autoplay"]) video.setAttribute(name, "");  // iOS needs these
  Object.assign(video, { muted: true, playsInline: true, autoplay: true });
  Object.assign(video.style, { display: "block", width: "100%" });
  const overlay = make("canvas", "mlexp-camera-overlay", stage);
  Object.assign(overlay.style, { position: "absolute", left: 0, top: 0, width: "100%", height: "100%",
                                 pointerEvents: "none" });
  const bar = make("div", "mlexp-camera-bar", el);
  const chooser = make("select", "mlexp-camera-chooser", bar);
  const flip = make("button", "mlexp-camera-flip", bar);
  flip.textContent = "Front / back";
  const retry = make("button", "mlexp-camera-retry", bar);
  retry.textContent = "Retry";
  const message = make("div", "mlexp-camera-message", el);
  const grab = document.createElement("canvas");  // offscreen: each frame is scaled here, then encoded

  let stream = null, generation = 0, mirrored = false;
  let timer = null, restartTimer = null, hiddenTimer = null, stoppedHidden = false;
  let inFlight = null, lastSent = -1e9, lastAck = 0;  // inFlight: {id, at} of the frame awaiting its ack
  let ackRate = Infinity;  // the rate the kernel allowed in its last ack (frames/s)
  let nextId = Math.floor(Math.random() * 1e9);     // ids differ between views of the same model

  const save = (changes) => {
    for (const [key, value] of Object.entries(changes)) model.set(key, value);
    try { model.save_changes(); } catch (error) {}  // the kernel is gone: the page still shows it
  };

  // The state and its sentence: an error, or a note (paused while hidden; Python's `notice`, such as
  // "nobody in view", while stopped) with a button to start again.
  function show(state, error = "", note = "") {
    if (model.get("state") !== state || model.get("error") !== error) save({ state, error });
    el.dataset.state = state;
    const notice = state === "stopped" ? model.get("notice") || "" : "";
    const text = error || note || notice;
    message.textContent = text;
    message.classList.toggle("mlexp-camera-note", !error);
    display(message, text);
    retry.textContent = notice && !error ? "Start again" : "Retry";
    display(retry, state === "error" || Boolean(notice));
    drawOverlay();
  }

  function stop() {
    generation++;  // a start still waiting for getUserMedia gives its stream up
    clearTimeout(timer);
    inFlight = null;
    if (stream) for (const track of stream.getTracks()) { track.onended = null; track.stop(); }
    stream = null;
    video.srcObject = null;
  }

  async function start() {
    stop();
    const mine = generation;
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return show("error", insecureSentence());
    }
    show("starting");
    const id = model.get("device_id");
    const choice = id ? { deviceId: { exact: id } } : { facingMode: model.get("facing_mode") };
    let got;
    try {
      got = await navigator.mediaDevices.getUserMedia(
        { audio: false, video: { ...choice, width: { ideal: 640 }, height: { ideal: 480 } } });
    } catch (error) {
      if (mine === generation) show("error", sentence(error));
      return;
    }
    if (mine !== generation) return got.getTracks().forEach((track) => track.stop());  // stopped meanwhile
    stream = got;
    const track = got.getVideoTracks()[0];
    track.onended = () => { stop(); show("error", DISCONNECTED); };
    mirrored = (track.getSettings().facingMode || model.get("facing_mode")) === "user";
    video.style.transform = mirrored ? "scaleX(-1)" : "";
    video.srcObject = got;
    video.play().catch(() => {});  // autoplay starts it too; play() rejects when interrupted
    show("live");  // also draws the overlay, now mirrored or not
    lastAck = performance.now();
    listDevices();
    if (document.hidden) onVisibility();  // started in a hidden page (a background tab): pause soon
    pump();
  }

  const restart = () => {  // several traits may change together: start once
    clearTimeout(restartTimer);
    restartTimer = setTimeout(() => model.get("running") && start(), 0);
  };
  const later = (ms) => { timer = setTimeout(pump, ms); };

  // The frames/s allowed now: the dashboard's fps, lowered by the kernel's rate (trait or ack).
  function allowed() {
    const rate = model.get("rate");
    return Math.max(Math.min(model.get("fps"), rate > 0 ? rate : Infinity, ackRate), 0.01);
  }

  // Send the next frame when allowed: visible, no frame in flight (or its ack overdue) and 1/rate elapsed.
  function pump() {
    clearTimeout(timer);
    if (!stream || document.hidden) return;  // hidden: nothing sent (onVisibility pumps again)
    const now = performance.now();
    if (inFlight && now - lastAck > SILENT_KERNEL_MS) { stop(); return show("error", SILENT); }
    if (inFlight && now - inFlight.at < ACK_TIMEOUT_MS) return later(inFlight.at + ACK_TIMEOUT_MS - now);
    const wait = lastSent + 1000 / allowed() - now;
    if (wait > 0) return later(wait);
    if (video.readyState < 2 || !video.videoWidth) return later(30);  // no picture yet
    capture(now);
  }

  function capture(now) {
    const width = Math.max(1, Math.min(model.get("max_width"), video.videoWidth));
    const height = Math.max(1, Math.round((video.videoHeight * width) / video.videoWidth));
    if (grab.width !== width || grab.height !== height) Object.assign(grab, { width, height });
    grab.getContext("2d").drawImage(video, 0, 0, width, height);
    const id = nextId++, mine = generation;
    inFlight = { id, at: now, timing: timing({ id, captured: now }) };
    lastSent = now;
    grab.toBlob(async (blob) => {
      const buffer = blob && (await blob.arrayBuffer());
      if (mine !== generation) return;  // stopped meanwhile
      if (!buffer) return (inFlight = null), later(0);
      try {
        model.send({ type: "frame", id, width, height }, undefined, [buffer]);  // buffers: the 3rd argument
        if (inFlight && inFlight.id === id) inFlight.timing.sent = performance.now();
      } catch (error) {  // the widget's comm is closed: the kernel is gone
        stop();
        return show("error", SILENT);
      }
      later(ACK_TIMEOUT_MS);
    }, "image/jpeg", model.get("quality"));
  }

  function onMessage(msg) {
    if (!msg || msg.type !== "ack") return;
    if (typeof msg.rate === "number" && msg.rate > 0) ackRate = msg.rate;
    if (!inFlight || msg.id !== inFlight.id) return;
    lastAck = inFlight.timing.acked = performance.now();
    inFlight.timing.rate = msg.rate;
    inFlight = null;
    pump();
  }

  async function listDevices() {
    let found;
    try {
      found = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "videoinput");
    } catch (error) {
      return;
    }
    const devices = found.map((d, i) => ({ id: d.deviceId, label: d.label || `Camera ${i + 1}` }));
    if (JSON.stringify(devices) !== JSON.stringify(model.get("devices"))) save({ devices });
    showDevices();
  }

  function showDevices() {
    const devices = model.get("devices") || [];
    chooser.replaceChildren(...devices.map((d) => new Option(d.label, d.id)));
    const track = stream && stream.getVideoTracks()[0];
    chooser.value = model.get("device_id") || (track && track.getSettings().deviceId) || "";
    display(chooser, devices.length > 1);
    display(flip, devices.length > 1);
  }

  // The overlay: Python's coordinates are 0-1 of the frame; x is mirrored like the preview,
  // but text is drawn the right way round.
  function drawOverlay() {
    const w = stage.clientWidth, h = stage.clientHeight, dpr = window.devicePixelRatio || 1;
    const [cw, ch] = [Math.round(w * dpr), Math.round(h * dpr)];
    if (overlay.width !== cw || overlay.height !== ch) Object.assign(overlay, { width: cw, height: ch });
    const ctx = overlay.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const data = model.get("overlay") || {};
    if (!w || !h || !stream) return;
    const X = (x) => (mirrored ? 1 - x : x) * w, Y = (y) => y * h;
    ctx.lineWidth = 2;
    ctx.font = "bold 14px sans-serif";
    ctx.textBaseline = "top";
    const label = (text, x, y, color) => {
      const tw = ctx.measureText(text).width + 8;
      ctx.fillStyle = color;
      ctx.fillRect(x, y, tw, 20);
      ctx.fillStyle = "#fff";
      ctx.fillText(text, x + 4, y + 3);
    };
    for (const b of data.boxes || []) {
      const [x1, y1, x2, y2] = b.box, color = b.color || "#1f6fc5";
      const left = Math.min(X(x1), X(x2)), top = Y(y1);
      ctx.strokeStyle = color;
      ctx.strokeRect(left, top, Math.abs(X(x2) - X(x1)), Y(y2) - top);
      const score = typeof b.score === "number" ? `${Math.round(b.score * 100)}%` : "";
      const text = [b.label, score].filter(Boolean).join(" ");
      if (text) label(text, left, Math.max(0, top - 20), color);
    }
    const points = data.points || [];
    ctx.strokeStyle = ctx.fillStyle = data.color || "#ffb000";
    for (const [i, j] of data.lines || []) {
      if (!points[i] || !points[j]) continue;
      ctx.beginPath();
      ctx.moveTo(X(points[i][0]), Y(points[i][1]));
      ctx.lineTo(X(points[j][0]), Y(points[j][1]));
      ctx.stroke();
    }
    for (const [x, y] of points) {
      ctx.beginPath();
      ctx.arc(X(x), Y(y), 3, 0, 2 * Math.PI);
      ctx.fill();
    }
    if (data.text) label(String(data.text), 0, h - 20, "rgba(0, 0, 0, 0.6)");
  }

  // Hidden: no frames are sent, and after HIDDEN_STOP_MS the camera is let go and the page says so
  // (the kernel, sent nothing, goes idle); shown again: it starts again.
  function onVisibility() {
    clearTimeout(hiddenTimer);
    if (document.hidden) {
      hiddenTimer = setTimeout(() => {
        if (stream && document.hidden) { stop(); stoppedHidden = true; show("paused", "", HIDDEN); }
      }, HIDDEN_STOP_MS);
    } else if (stoppedHidden) {
      stoppedHidden = false;
      restart();
    } else {
      pump();
    }
  }

  model.on("msg:custom", onMessage);
  model.on("change:running", () => (model.get("running") ? restart() : (stop(), show("stopped"))));
  model.on("change:facing_mode", restart);
  model.on("change:device_id", restart);
  model.on("change:overlay", drawOverlay);
  model.on("change:devices", showDevices);
  model.on("change:notice", () => show(el.dataset.state || "stopped", model.get("error")));
  model.on("destroy", stop);  // the kernel closed the widget
  flip.onclick = () => save({
    facing_mode: model.get("facing_mode") === "user" ? "environment" : "user", device_id: "" });
  chooser.onchange = () => save({ device_id: chooser.value });
  retry.onclick = () => (model.get("running") ? restart() : save({ running: true }));
  stage.onclick = () => { if (!model.get("running") && model.get("notice")) save({ running: true }); };
  const resized = new ResizeObserver(drawOverlay);
  resized.observe(stage);
  video.addEventListener("loadedmetadata", drawOverlay);
  document.addEventListener("visibilitychange", onVisibility);
  if (navigator.mediaDevices) navigator.mediaDevices.addEventListener("devicechange", listDevices);

  showDevices();
  if (model.get("running")) start();
  else show("stopped");

  return () => {  // the view is removed (or the model destroyed): let go of the camera
    stop();
    clearTimeout(restartTimer);
    clearTimeout(hiddenTimer);
    resized.disconnect();
    document.removeEventListener("visibilitychange", onVisibility);
    if (navigator.mediaDevices) navigator.mediaDevices.removeEventListener("devicechange", listDevices);
  };
}

export default { render };
