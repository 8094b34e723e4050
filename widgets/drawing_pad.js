// Drawing pad (anywidget): the page draws the ink under the pen at once; when the pen lifts it
// sends the whole stroke to the kernel in one custom message:
//   {type: "stroke", points: [[x, y], ...], width}     (pad pixels, 0.1 px; the brush's width)
// The kernel owns the drawing: `drawing` ([{points, width}, ...]) is what it has, `received` how
// many stroke messages it has taken. Strokes sent but not yet in `drawing` stay drawn (in order)
// until the kernel's answer counts them, so a slow kernel never makes ink vanish.

const round = (v) => Math.round(v * 10) / 10;

function render({ model, el }) {
  const canvas = document.createElement("canvas");
  canvas.className = "mlexp-pad";
  el.appendChild(canvas);
  const ctx = canvas.getContext("2d");
  let size = 0;
  let current = null;  // the stroke under the pen: {id, points, width}
  let pending = [];    // sent, not yet counted by the kernel: {points, width, seq}

  const pen = (width) => {
    ctx.strokeStyle = ctx.fillStyle = model.get("ink");
    ctx.lineWidth = width;
    ctx.lineCap = ctx.lineJoin = "round";
  };
  const dot = ([x, y], width) => {
    pen(width);
    ctx.beginPath();
    ctx.arc(x, y, width / 2, 0, 2 * Math.PI);
    ctx.fill();
  };
  const line = (points, width) => {
    dot(points[0], width);
    if (points.length < 2) return;
    ctx.beginPath();
    ctx.moveTo(...points[0]);
    for (const p of points.slice(1)) ctx.lineTo(...p);
    ctx.stroke();
  };
  const redraw = () => {
    const ratio = window.devicePixelRatio || 1;
    size = model.get("size");
    if (canvas.width !== Math.round(size * ratio)) {  // sharp on any screen; pad pixels outside
      canvas.width = canvas.height = Math.round(size * ratio);
      canvas.style.width = canvas.style.height = `${size}px`;
    }
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.fillStyle = model.get("paper");
    ctx.fillRect(0, 0, size, size);
    for (const stroke of [...model.get("drawing"), ...pending]) line(stroke.points, stroke.width);
    if (current) line(current.points, current.width);
  };

  const at = (event) => {  // pad pixels, whatever the canvas's shown size
    const box = canvas.getBoundingClientRect();
    const x = (event.clientX - box.left - canvas.clientLeft) * size / canvas.clientWidth;
    const y = (event.clientY - box.top - canvas.clientTop) * size / canvas.clientHeight;
    return [round(x), round(y)];
  };
  const down = (event) => {
    if (current || (event.pointerType === "mouse" && event.button !== 0)) return;
    event.preventDefault();
    if (canvas.hasPointerCapture(event.pointerId)) canvas.releasePointerCapture(event.pointerId);  // touch: leaving ends it too
    current = { id: event.pointerId, points: [at(event)], width: model.get("brush") };
    dot(current.points[0], current.width);
  };
  const move = (event) => {
    if (!current || event.pointerId !== current.id) return;
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    pen(current.width);
    ctx.beginPath();
    ctx.moveTo(...current.points[current.points.length - 1]);
    for (const e of events.length ? events : [event]) {
      const p = at(e);
      const last = current.points[current.points.length - 1];
      if (p[0] === last[0] && p[1] === last[1]) continue;
      current.points.push(p);
      ctx.lineTo(...p);
    }
    ctx.stroke();
  };
  const up = (event) => {
    if (!current || event.pointerId !== current.id) return;
    const { points, width } = current;
    current = null;
    const last = pending.length ? pending[pending.length - 1].seq : model.get("received");
    pending.push({ points, width, seq: last + 1 });
    model.send({ type: "stroke", points, width });
  };
  canvas.addEventListener("pointerdown", down);
  canvas.addEventListener("pointermove", move);
  for (const name of ["pointerup", "pointercancel", "pointerleave"]) canvas.addEventListener(name, up);
  canvas.addEventListener("contextmenu", (event) => event.preventDefault());  // a long touch is no menu

  const changed = () => {  // the kernel's drawing: drop what it has counted, draw it all again
    const received = model.get("received");
    pending = pending.filter((stroke) => stroke.seq > received);
    redraw();
  };
  model.on("change:drawing", changed);
  model.on("change:received", changed);
  for (const name of ["size", "ink", "paper"]) model.on(`change:${name}`, redraw);
  redraw();  // anywidget lets go of this view's model.on listeners when the view goes
}

export default { render };
