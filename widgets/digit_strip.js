// Digit strip (anywidget): a row of digits drawn as they are made. `sheet` is a PNG (data: URL)
// of `frames` rows by `count` columns of `cell`-pixel pictures; each row is one step of the
// making, the last row the finished digits. The strip plays the rows (`ms` each), then shows
// each digit's caption ([{text, right}]). A new sheet restarts the play; a sheet that arrives
// while an older one loads wins (the token), so a fast click never shows a stale row.

const make = (tag, className, parent) => parent.appendChild(Object.assign(document.createElement(tag), { className }));

function render({ model, el }) {
  el.classList.add("mlexp-digit-strip");
  const row = make("div", "mlexp-digit-row", el);
  let timer = null, token = 0;

  const show = () => {
    clearInterval(timer);
    const mine = ++token;
    const count = model.get("count"), frames = Math.max(1, model.get("frames"));
    const cell = model.get("cell"), scale = model.get("scale"), captions = model.get("captions");
    row.replaceChildren();
    if (!count || !model.get("sheet")) {
      make("span", "mlexp-digit-empty", row).textContent = model.get("empty");
      return;
    }
    const size = cell * scale;
    const items = [];
    for (let i = 0; i < count; i++) {
      const item = make("figure", "mlexp-digit", row);
      const picture = make("div", "mlexp-digit-picture", item);
      Object.assign(picture.style, {
        width: `${size}px`, height: `${size}px`, backgroundImage: `url(${model.get("sheet")})`,
        backgroundSize: `${count * size}px ${frames * size}px`,
      });
      make("figcaption", "", item);
      items.push(item);
    }
    const frame = (k) => items.forEach((item, i) => {
      item.firstChild.style.backgroundPosition = `${-i * size}px ${-k * size}px`;
    });
    const finish = () => items.forEach((item, i) => {
      const caption = captions[i] || { text: "", right: true };
      item.lastChild.textContent = caption.text;
      item.classList.toggle("mlexp-digit-wrong", !caption.right);
      item.classList.add("mlexp-digit-done");
    });
    const image = new Image();
    image.onload = () => {
      if (mine !== token) return;
      let k = 0;
      frame(0);
      if (frames === 1) return finish();
      timer = setInterval(() => {
        k += 1;
        frame(k);
        if (k >= frames - 1) {
          clearInterval(timer);
          finish();
        }
      }, model.get("ms"));
    };
    image.src = model.get("sheet");
  };
  for (const name of ["sheet", "captions", "empty"]) model.on(`change:${name}`, show);
  show();
  return () => clearInterval(timer);
}

export default { render };
