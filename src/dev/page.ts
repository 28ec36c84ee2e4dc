/**
 * The dev UI's page and assets, served as they are: `static/index.html`, `static/app.js`
 * and `static/app.css` of this folder, and the uPlot charting library (npm `uplot`: its
 * minified script and styles). They are imported as text, so `deno compile` and
 * `deno publish` carry them; nothing comes from a CDN.
 *
 * @module
 */
import uplotCss from "uplot/dist/uPlot.min.css" with { type: "text" };
import uplotJs from "uplot/dist/uPlot.iife.min.js" with { type: "text" };
import appCss from "./static/app.css" with { type: "text" };
import appJs from "./static/app.js" with { type: "text" };
import indexHtml from "./static/index.html" with { type: "text" };

/**
 * One served file.
 *
 * @example
 * ```ts
 * import type { Asset } from "./page.ts";
 * const a: Asset = { type: "text/css; charset=utf-8", body: "body { margin: 0 }" };
 * ```
 */
export interface Asset {
  /** Its `Content-Type`. */
  type: string;
  /** Its text. */
  body: string;
}

/**
 * The served files by path (`/index.html` is the page at `/`; the others under `/assets`).
 *
 * @example
 * ```ts
 * import { ASSETS } from "./page.ts";
 * console.log(Object.keys(ASSETS)); // ["/index.html", "/app.js", "/app.css", "/uplot.js", "/uplot.css"]
 * ```
 */
export const ASSETS: Readonly<Record<string, Asset>> = {
  "/index.html": { type: "text/html; charset=utf-8", body: indexHtml },
  "/app.js": { type: "text/javascript; charset=utf-8", body: appJs },
  "/app.css": { type: "text/css; charset=utf-8", body: appCss },
  "/uplot.js": { type: "text/javascript; charset=utf-8", body: uplotJs },
  "/uplot.css": { type: "text/css; charset=utf-8", body: uplotCss },
};
