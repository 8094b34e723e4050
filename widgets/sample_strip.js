// Sample strip (anywidget): thumbnails with a remove button each, the count, and paging.
// Python sends the page being shown; paging sets `offset`; removing sends {type: "remove", id}.

const make = (tag, className, parent) => parent.appendChild(Object.assign(document.createElement(tag), { className }));

function render({ model, el }) {
  el.classList.add("mlexp-samples");
  const head = make("div", "mlexp-samples-head", el);
  const count = make("span", "mlexp-samples-count", head);
  const newer = make("button", "mlexp-samples-newer", head);
  const older = make("button", "mlexp-samples-older", head);
  newer.textContent = "newer";
  older.textContent = "older";
  const strip = make("div", "mlexp-samples-strip", el);

  const page = () => Math.max(1, model.get("page"));
  const go = (offset) => {
    model.set("offset", Math.max(0, Math.min(offset, Math.max(0, model.get("count") - 1))));
    model.save_changes();
  };
  newer.addEventListener("click", () => go(model.get("offset") - page()));
  older.addEventListener("click", () => go(model.get("offset") + page()));

  const show = () => {
    const n = model.get("count"), offset = model.get("offset");
    count.textContent = n === 1 ? "1 sample" : n ? `${n} samples` : "";  // none: the empty line says it
    newer.style.display = offset > 0 ? "" : "none";
    older.style.display = offset + page() < n ? "" : "none";
    strip.replaceChildren();
    if (!n) make("span", "mlexp-samples-empty", strip).textContent = model.get("empty");
    for (const { id, src, title } of model.get("thumbnails")) {
      const item = make("span", "mlexp-sample", strip);
      const img = make("img", "", item);
      img.src = src;
      img.title = img.alt = title || "";
      const remove = make("button", "mlexp-sample-remove", item);
      remove.textContent = "\u00d7";
      remove.title = "Remove this sample";
      remove.addEventListener("click", () => model.send({ type: "remove", id }));
    }
  };
  for (const name of ["thumbnails", "count", "offset", "page", "empty"]) model.on(`change:${name}`, show);
  show();
}

export default { render };
