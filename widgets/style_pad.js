// Style pad (anywidget): a square to drag a dot through; `x` and `y` (each -1..1, y up) follow
// the pointer, at most once an animation frame, and the kernel redraws the digit there.

const make = (tag, className, parent) => parent.appendChild(Object.assign(document.createElement(tag), { className }));

function render({ model, el }) {
  el.classList.add("mlexp-style-pad");
  const area = make("div", "mlexp-style-area", el);
  area.style.width = area.style.height = `${model.get("size")}px`;
  const dot = make("div", "mlexp-style-dot", area);
  const place = () => {
    dot.style.left = `${(model.get("x") + 1) * 50}%`;
    dot.style.top = `${(1 - model.get("y")) * 50}%`;
  };
  let pending = null;
  const send = () => {
    if (!pending) return;
    model.set("x", pending[0]);
    model.set("y", pending[1]);
    model.save_changes();
    pending = null;
  };
  const at = (event) => {
    const r = area.getBoundingClientRect();
    const clamp = (v) => Math.max(-1, Math.min(1, v));
    const first = pending === null;
    pending = [clamp(((event.clientX - r.left) / r.width) * 2 - 1), clamp(1 - ((event.clientY - r.top) / r.height) * 2)];
    dot.style.left = `${(pending[0] + 1) * 50}%`;
    dot.style.top = `${(1 - pending[1]) * 50}%`;
    if (first) requestAnimationFrame(send);
  };
  area.addEventListener("pointerdown", (event) => {
    area.setPointerCapture(event.pointerId);
    at(event);
  });
  area.addEventListener("pointermove", (event) => {
    if (area.hasPointerCapture(event.pointerId)) at(event);
  });
  area.style.touchAction = "none";  // a finger drags the dot, not the page
  model.on("change:x", place);
  model.on("change:y", place);
  place();
}

export default { render };
