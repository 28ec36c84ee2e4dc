/// <reference lib="dom" />
/// <reference lib="deno.ns" />
/**
 * The dev web UI in real Chromium (Debian's /usr/bin/chromium driven by npm playwright-core;
 * no browser is downloaded). The server is the CLI's `serve` command in a subprocess. Checked
 * in the page: the live frame changes, a results panel fills, the chart and the metrics show,
 * the progress moves, stop works
 * and no ffmpeg is left; closing the tab ends its encoder; two sources show two live tiles, a
 * third is added and one removed while running; a line drawn on the frame shows on the live
 * overlay and is saved into the YAML with its comments kept, and its counter shows after the
 * next run; a missing file shows an error.
 * Screenshots go to out/ui/ (and docs/ui.png for the README, with STREAM_INFER_UI_SHOT=1).
 */
import assert from "node:assert/strict";
import { type Browser, chromium, type Page } from "playwright-core";
import { colorFor } from "../src/draw/color.ts";
import {
  assertOneLineError,
  cliArgs,
  ffmpeg,
  makeTestsrc,
  ROOT,
  runCli,
  withTempDir,
} from "./helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const haveChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();
if (!haveChromium) {
  console.warn(`dev_ui_test: skipped: ${CHROMIUM} is missing (apt-get install chromium)`);
}

const OUT = `${ROOT}/out/ui`;

interface Served {
  url: string;
  child: Deno.ChildProcess;
  stderr: string[];
}

/** `stream-infer serve CONFIG --port 0` as a subprocess; resolves with its URL. */
async function serve(config: string): Promise<Served> {
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs(["serve", config, "--port", "0", "--max-fps", "12"]),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const stderr: string[] = [];
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  let url: string | undefined;
  while (url === undefined) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`serve exited: ${buffered}`);
    buffered += value;
    const m = /dev UI on (http:\/\/\S+)/.exec(buffered);
    if (m) url = m[1];
  }
  stderr.push(buffered);
  (async () => {
    for (let r = await lines.read(); !r.done; r = await lines.read()) stderr.push(r.value);
  })();
  return { url, child, stderr };
}

/** ffmpeg processes whose parent is `pid`. */
async function ffmpegChildren(pid: number): Promise<string[]> {
  const out = await new Deno.Command("pgrep", {
    args: ["-a", "-P", String(pid), "ffmpeg"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.trim());
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 90_000) {
  const end = Date.now() + ms;
  while (true) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function base64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

async function launch(): Promise<Browser> {
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

/** How many images a tile's <img> has shown, seen as changes of its pixels. */
async function tileShot(page: Page, source: string): Promise<Uint8Array> {
  return await page.locator(`.tile[data-source="${source}"] img.live`).screenshot();
}

async function liveTile(page: Page, source: string): Promise<void> {
  await until(`a live frame of ${source}`, () =>
    page.evaluate((id) => {
      const img = document.querySelector(`.tile[data-source="${id}"] img.live`) as
        | HTMLImageElement
        | null;
      return !!img && img.naturalWidth > 0;
    }, source));
}

async function stopServer(served: Served): Promise<void> {
  served.child.kill("SIGINT");
  const status = await served.child.status;
  assert.equal(status.code, 0, served.stderr.join(""));
}

const CONFIG = (clip: string) =>
  `# dev UI test pipeline: this comment stays
source: ${clip} # the generated clip
mode: realtime
algos:
  - plugin: motion # built-in motion detector
    name: motion
    interval: 0.2
    options: { width: 160, threshold: 20 }
    track: { type: iou } # lines count tracked boxes
sinks:
  - { type: jsonl, path: records.jsonl, overwrite: true } # keeps stdout quiet
`;

function clip(path: string, size: string, seconds: number): Promise<string> {
  const [width, height] = size.split("x").map(Number);
  return makeTestsrc(path, { width, height, fps: 25, seconds, preset: "ultrafast" });
}

Deno.test({
  name: "dev UI in Chromium: live frame, results, progress, line editor, stop, closing the tab",
  ignore: !haveChromium,
  sanitizeResources: false, // playwright keeps a pipe to the browser until it is closed
  sanitizeOps: false,
  async fn() {
    await Deno.mkdir(OUT, { recursive: true });
    await withTempDir(async (dir) => {
      const video = await clip(`${dir}/clip.mp4`, "640x360", 60);
      const config = `${dir}/pipeline.yaml`;
      await Deno.writeTextFile(config, CONFIG(video));
      const served = await serve(config);
      const browser = await launch();
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
        await page.goto(served.url);
        await page.fill("#sources", video);
        await page.click("#start");
        await until(
          "running",
          async () => (await page.textContent("#status"))?.startsWith("running"),
        );
        await liveTile(page, "main");
        // the frame image changes over time
        const first = await tileShot(page, "main");
        const changed = await until("another frame", async () => {
          const next = await tileShot(page, "main");
          return next.length !== first.length || next.some((b, i) => b !== first[i]);
        });
        assert.ok(changed);
        // a results panel fills
        const output = page.locator('.panel[data-algo="motion"] .output');
        await until("a result", async () => /score/.test((await output.textContent()) ?? ""));
        // the timeline chart (uPlot) and the metrics
        assert.equal(await page.locator('.panel[data-algo="motion"] .uplot canvas').count(), 1);
        await until(
          "metrics",
          async () => Number(await page.textContent('[data-metric="fps"]')) > 0,
        );
        // the progress moves
        const bar = page.locator('.tile[data-source="main"] progress');
        const p0 = Number(
          await bar.getAttribute("value") ??
            await bar.evaluate((e) => (e as HTMLProgressElement).value),
        );
        await until(
          "progress",
          async () => (await bar.evaluate((e) => (e as HTMLProgressElement).value)) > p0,
        );
        assert.match((await page.textContent('.tile[data-source="main"] .where')) ?? "", /\/ 1:00/);
        await page.screenshot({ path: `${OUT}/running.png` });

        // draw a line across the middle: shown on the live overlay, saved with the comments
        await page.fill("#shape-name", "gate");
        await page.fill("#shape-on", "motion");
        await page.click("#draw");
        const canvas = page.locator('.tile[data-source="main"] canvas');
        const box = (await canvas.boundingBox())!;
        await canvas.click({ position: { x: 2, y: box.height / 2 } });
        await canvas.click({ position: { x: box.width - 2, y: box.height / 2 } });
        await page.click("#preview");
        await page.click("#save");
        await until(
          "the shape saved",
          async () => /, saved\)/.test((await page.textContent("#shapes")) ?? ""),
        );
        const yaml = await Deno.readTextFile(config);
        for (
          const kept of [
            "# dev UI test pipeline: this comment stays",
            "# the generated clip",
            "# built-in motion detector",
            "# lines count tracked boxes",
            "# keeps stdout quiet",
          ]
        ) {
          assert.ok(yaml.includes(kept), `${kept} kept:\n${yaml}`);
        }
        assert.match(
          yaml,
          /analytics:\n\s+- type: line\n\s+name: gate\n\s+on: motion\n\s+points: \[ ?\[ ?\d+, 180 ?\], \[ ?\d+, 180 ?\] ?\]/,
        );
        // the line is in the live frames: its colour along the middle row of the tile
        const [r, g, b] = colorFor("gate");
        await until("the line on the overlay", async () => {
          const png = await tileShot(page, "main");
          const near = await page.evaluate(async ([data, color]) => {
            // the pixels the page shows, decoded here: the share of the middle row in the colour
            const img = new Image();
            img.src = `data:image/png;base64,${data}`;
            await img.decode();
            const c = document.createElement("canvas");
            c.width = img.width;
            c.height = img.height;
            const g2 = c.getContext("2d")!;
            g2.drawImage(img, 0, 0);
            const share = (y: number) => {
              const row = g2.getImageData(0, y, c.width, 1).data;
              let n = 0;
              for (let x = 0; x < c.width; x++) {
                const d = Math.abs(row[4 * x] - color[0]) + Math.abs(row[4 * x + 1] - color[1]) +
                  Math.abs(row[4 * x + 2] - color[2]);
                if (d < 100) n++;
              }
              return n / c.width;
            };
            // the background is vertical bars: the line's row has the colour where rows
            // above it have not
            const mid = Math.round(c.height / 2);
            let best = 0;
            for (let y = mid - 4; y <= mid + 4; y++) best = Math.max(best, share(y));
            return best - Math.max(share(mid - 24), share(mid + 24));
          }, [base64(png), [r, g, b]] as const);
          return near > 0.4;
        });
        await page.screenshot({ path: `${OUT}/line.png` });
        if (Deno.env.get("STREAM_INFER_UI_SHOT")) {
          // the README's picture: this screenshot, 1024 wide in a 128-colour palette (small)
          await ffmpeg([
            "-i",
            `${OUT}/line.png`,
            "-vf",
            "scale=1024:-1:flags=lanczos,split[a][b];[a]palettegen=max_colors=128[p];[b][p]paletteuse=dither=none",
            `${ROOT}/docs/ui.png`,
          ]);
        }

        // closing the tab ends its live view encoder (the player's ffmpeg goes on)
        const serverPid = served.child.pid;
        const other = await browser.newPage();
        await other.goto(served.url);
        await page.close();
        await until("one ffmpeg (the player's) once the tab is closed", async () => {
          const state = await (await fetch(`${served.url}/api/state`)).json();
          const left = await ffmpegChildren(serverPid);
          return state.sources[0].watchers === 1 && left.filter((l) =>
                /image2pipe/.test(l)
              ).length === 1 &&
            left;
        });
        // stop from the page: no ffmpeg left
        await other.click("#stop");
        await until("stopped", async () => (await other.textContent("#status")) === "stopped");
        await until("no ffmpeg left", async () => (await ffmpegChildren(serverPid)).length === 0);
        // the saved line counts from the next start: its counter shows once the run ends
        await other.click("#start");
        await until(
          "running again",
          async () => (await other.textContent("#status"))?.startsWith("running"),
        );
        const again = other.locator('.panel[data-algo="motion"] .output');
        await until("a result again", async () => /score/.test((await again.textContent()) ?? ""));
        await other.click("#stop");
        const counter = other.locator('.counter[data-analytics="gate"]');
        await until("the line's counter", async () => (await counter.count()) === 1);
        assert.match((await counter.textContent()) ?? "", /^gatein \d+ {2}out \d+$/);
        await until("no ffmpeg left", async () => (await ffmpegChildren(serverPid)).length === 0);
      } finally {
        await browser.close();
        await stopServer(served);
      }
    });
  },
});

Deno.test({
  name:
    "dev UI in Chromium: two sources show two live tiles; add and remove while running; a missing file shows an error",
  ignore: !haveChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await Deno.mkdir(OUT, { recursive: true });
    await withTempDir(async (dir) => {
      const a = await clip(`${dir}/a.mp4`, "320x240", 60);
      const b = await clip(`${dir}/b.mp4`, "320x240", 60);
      const config = `${dir}/pipeline.yaml`;
      await Deno.writeTextFile(config, CONFIG(a));
      const served = await serve(config);
      const browser = await launch();
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
        await page.goto(served.url);
        // a missing file: a readable error in the page, and the server keeps serving
        await page.fill("#sources", `${dir}/missing.mp4`);
        await page.click("#start");
        const error = page.locator("#error");
        await until(
          "the error",
          async () => /missing\.mp4/.test((await error.textContent()) ?? ""),
        );
        assert.ok(await error.isVisible());
        await page.screenshot({ path: `${OUT}/missing.png` });
        // two sources, two live tiles
        await page.fill("#sources", `left=${a}\nright=${b}`);
        await page.click("#start");
        await liveTile(page, "left");
        await liveTile(page, "right");
        assert.equal(await page.locator(".tile").count(), 2);
        assert.ok(!(await error.isVisible()));
        // add a third while running (through the control API), then remove one
        await page.fill("#add-id", "third");
        await page.fill("#add-url", a);
        await page.click("#add-source");
        await liveTile(page, "third");
        await page.screenshot({ path: `${OUT}/three.png` });
        await page.click('.tile[data-source="left"] .remove');
        await until("left removed", async () => (await page.locator(".tile").count()) === 2);
        assert.deepEqual(
          await page.locator(".tile").evaluateAll((els) =>
            els.map((e) => (e as HTMLElement).dataset.source)
          ),
          ["right", "third"],
        );
        await page.click("#stop");
        await until("stopped", async () => (await page.textContent("#status")) === "stopped");
        await until(
          "no ffmpeg left",
          async () => (await ffmpegChildren(served.child.pid)).length === 0,
        );
      } finally {
        await browser.close();
        await stopServer(served);
      }
    });
  },
});

Deno.test("serve: --help, and bad arguments as one-line errors (exit 2)", async () => {
  const help = await runCli(["serve", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: stream-infer serve \[CONFIG\.yaml\]/);
  assert.match(help.stdout, /--token T/);
  assert.match((await runCli(["help"])).stdout, /stream-infer serve \[CONFIG\.yaml\]/);
  const cases: [string[], RegExp][] = [
    [
      ["serve", "--host", "0.0.0.0", "--port", "0"],
      /non-loopback address requires a token \(--token\)/,
    ],
    [["serve", "--port", "http"], /--port must be an integer/],
    [["serve", "--start"], /--start needs a CONFIG\.yaml/],
    [["serve", "/nonexistent/p.yaml"], /nonexistent\/p\.yaml/],
    [["serve", "a.yaml", "b.yaml"], /at most one CONFIG\.yaml/],
    [["serve", "--max-fps", "0"], /--max-fps must be a number > 0/],
  ];
  for (const [args, message] of cases) {
    const out = await runCli(args);
    assert.equal(out.code, 2, `${args.join(" ")}: ${out.stderr}`);
    assert.match(assertOneLineError(out), message);
  }
});
