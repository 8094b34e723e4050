// Photo picker (anywidget): a button that opens the file chooser, and a zone a file can be dropped on.
// The file's size is checked here (over max_bytes: refused, nothing sent); the bytes go to Python in
// pieces of piece_bytes, each the binary buffer of a custom message. See photo_picker.py.

function make(tag, className, parent) {
  const node = document.createElement(tag);
  node.className = className;
  parent.appendChild(node);
  return node;
}

function render({ model, el }) {
  el.classList.add("mlexp-photo-picker");
  const input = make("input", "mlexp-photo-picker-input", el);
  input.type = "file";
  input.style.display = "none";
  const button = make("button", "mlexp-photo-picker-button", el);
  const hint = make("span", "mlexp-photo-picker-hint", el);
  let nextId = Math.floor(Math.random() * 1e9);

  const show = () => {
    button.textContent = model.get("label");
    input.accept = model.get("accept");
    input.multiple = model.get("multiple");
    hint.textContent = model.get("multiple") ? "or drop them here" : "or drop one here";
  };

  async function send(file) {
    if (!file) return;
    if (file.size > model.get("max_bytes")) {
      model.send({ type: "refused", name: file.name, size: file.size });
      return;
    }
    let data;
    try {
      data = await file.arrayBuffer();
    } catch (error) {
      model.send({ type: "unreadable", name: file.name });
      return;
    }
    const id = nextId++, piece = Math.max(1, model.get("piece_bytes"));
    const count = Math.max(1, Math.ceil(data.byteLength / piece));
    hint.textContent = `sending ${file.name}...`;
    for (let index = 0; index < count; index++) {
      const part = data.slice(index * piece, (index + 1) * piece);
      model.send({ type: "piece", id, name: file.name, size: file.size, index, count }, undefined, [part]);
    }
  }

  // Several files go one after the other, so that their pieces never interleave.
  async function sendAll(files) {
    const chosen = Array.from(files || []);
    for (const file of model.get("multiple") ? chosen : chosen.slice(0, 1)) await send(file);
  }

  button.addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    sendAll(input.files).then(() => { input.value = ""; });  // the same file chosen again is a new choice
  });
  el.addEventListener("dragover", (event) => {
    event.preventDefault();
    el.classList.add("mlexp-drop-here");
  });
  el.addEventListener("dragleave", () => el.classList.remove("mlexp-drop-here"));
  el.addEventListener("drop", (event) => {
    event.preventDefault();
    el.classList.remove("mlexp-drop-here");
    sendAll(event.dataTransfer && event.dataTransfer.files);
  });
  model.on("change:label", show);
  model.on("change:accept", show);
  model.on("change:multiple", show);
  model.on("change:received", show);  // the file arrived: the hint returns
  show();
}

export default { render };
