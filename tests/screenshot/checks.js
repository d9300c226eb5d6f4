// Run in the JupyterLab page with Selenium's execute_async_script(screenshot_base64).
// For every output image of the notebook, compares the pixels that the screenshot shows
// where the <img> sits with the <img>'s own pixels drawn at the same size: a small mean
// difference means the screenshot really shows that picture there.
const shot = arguments[0];
const done = arguments[arguments.length - 1];
const imgs = Array.from(document.querySelectorAll(".jp-OutputArea-output img"));
const page = new Image();
page.onerror = () => done({ error: "the screenshot does not decode as an image" });
page.onload = () => {
  const full = document.createElement("canvas");
  full.width = page.naturalWidth;
  full.height = page.naturalHeight;
  const fctx = full.getContext("2d", { willReadFrequently: true });
  fctx.drawImage(page, 0, 0);
  const results = imgs.map((img) => {
    const r = img.getBoundingClientRect();
    const x0 = Math.max(0, Math.round(r.left)), y0 = Math.max(0, Math.round(r.top));
    const x1 = Math.min(full.width, Math.round(r.right)), y1 = Math.min(full.height, Math.round(r.bottom));
    const out = { natural: [img.naturalWidth, img.naturalHeight], shown: [r.width, r.height],
                  visible: [Math.max(0, x1 - x0), Math.max(0, y1 - y0)] };
    if (x1 - x0 < 10 || y1 - y0 < 10) return out;
    const own = document.createElement("canvas");
    own.width = Math.round(r.width);
    own.height = Math.round(r.height);
    const octx = own.getContext("2d", { willReadFrequently: true });
    octx.fillStyle = "white";
    octx.fillRect(0, 0, own.width, own.height);
    octx.drawImage(img, 0, 0, own.width, own.height);
    const a = fctx.getImageData(x0, y0, x1 - x0, y1 - y0).data;
    const b = octx.getImageData(x0 - Math.round(r.left), y0 - Math.round(r.top), x1 - x0, y1 - y0).data;
    let diff = 0, dark = 0;
    const colours = new Set();
    for (let i = 0; i < a.length; i += 4) {
      diff += Math.abs(a[i] - b[i]) + Math.abs(a[i + 1] - b[i + 1]) + Math.abs(a[i + 2] - b[i + 2]);
      if (a[i] + a[i + 1] + a[i + 2] < 600) dark += 1;
      if (colours.size < 1000) colours.add((a[i] << 16) | (a[i + 1] << 8) | a[i + 2]);
    }
    const n = a.length / 4;
    out.mean_abs_diff = diff / (3 * n);
    out.non_white_fraction = dark / n;
    out.colours = colours.size;
    return out;
  });
  done({ screenshot: [full.width, full.height], images: results });
};
page.src = "data:image/png;base64," + shot;
