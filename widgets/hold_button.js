// Hold button (anywidget): `pressed` is true while a pointer or the space/enter key holds it down.
// Pointer capture keeps the release even when the pointer leaves the button; losing focus releases.

function render({ model, el }) {
  const button = document.createElement("button");
  button.className = "mlexp-hold-button";
  button.type = "button";
  el.appendChild(button);

  const show = () => {
    button.textContent = model.get("label");
    button.disabled = model.get("disabled");
    button.classList.toggle("mlexp-held", model.get("pressed"));
  };
  const set = (pressed) => {
    if (model.get("pressed") === pressed || (pressed && model.get("disabled"))) return;
    model.set("pressed", pressed);
    model.save_changes();
  };

  button.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    button.setPointerCapture(event.pointerId);
    set(true);
  });
  for (const name of ["pointerup", "pointercancel", "lostpointercapture"]) {
    button.addEventListener(name, () => set(false));
  }
  button.addEventListener("contextmenu", (event) => event.preventDefault());  // a long touch is no menu
  button.addEventListener("keydown", (event) => {
    if ((event.key === " " || event.key === "Enter") && !event.repeat) {
      event.preventDefault();
      set(true);
    }
  });
  button.addEventListener("keyup", (event) => {
    if (event.key === " " || event.key === "Enter") set(false);
  });
  button.addEventListener("blur", () => set(false));
  model.on("change:label", show);
  model.on("change:disabled", show);
  model.on("change:pressed", show);
  show();
  return () => set(false);  // the view removed while held: stop recording
}

export default { render };
