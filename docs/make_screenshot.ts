/**
 * `deno task docs:screenshot`: makes docs/annotated.png, the README's annotated frame. It
 * generates a clip with ffmpeg (lavfi: two shaded squares moving over colour bars), runs the motion
 * plugin on it offline, annotates one frame (motion boxes, a zone, a line, the overlay and an
 * `annotate(ctx)` hook) and encodes that frame as PNG with ffmpeg from raw rgb24 on a pipe.
 *
 * @module
 */
import {
  type AlgoRecord,
  Annotator,
  FFmpegProducer,
  type Frame,
  Inference,
  LatestRecords,
  locateFfmpeg,
  Player,
  runTool,
} from "../mod.ts";
import MotionDetector, { type MotionResult } from "../plugins/motion.ts";

const OUT = new URL("./annotated.png", import.meta.url).pathname;
const [WIDTH, HEIGHT, FPS, AT] = [640, 360, 25, 30]; // AT: the played frame to keep

const ffmpeg = locateFfmpeg();
const dir = await Deno.makeTempDir({ prefix: "stream-infer-screenshot-" });
try {
  const clip = `${dir}/scene.mp4`;
  // Two squares with a brightness ramp along the way they move, fast enough that every pixel
  // of each changes between frames: each is one motion region.
  const scene = `smptehdbars=s=${WIDTH}x${HEIGHT}:r=${FPS}:d=3[bg];` +
    "color=s=70x70:r=25:d=3,format=rgb24,geq=r='X*255/70':g='X*255/70':b='X*255/70'[a];" +
    "color=s=50x50:r=25:d=3,format=rgb24,geq=r='128+Y*127/50':g='Y*255/50':b=0[b];" +
    "[bg][a]overlay=x='20+t*275':y=80:shortest=1[t];" +
    "[t][b]overlay=x=520:y='180+70*sin(t*6)':shortest=1";
  const made = await runTool(ffmpeg, [
    ...["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", scene],
    ...["-c:v", "libx264", "-pix_fmt", "yuv420p", "-y", clip],
  ]);
  if (made.code !== 0) throw new Error(`could not generate the clip: ${made.stderr}`);

  const annotator = new Annotator({
    textScale: 2,
    zones: [{ points: [[460, 110], [620, 110], [620, 320], [460, 320]], label: "zone A" }],
    lines: [{ points: [[60, 230], [400, 300]], label: "line 1", color: [255, 255, 0] }],
    annotate(ctx) {
      const motion = ctx.latest["motion"]?.result as MotionResult | undefined;
      if (!motion) return;
      const y = ctx.frame.height - 24;
      ctx.canvas.fillRect(8, y, 8 + Math.round(motion.score * 2000), y + 12, [255, 80, 80], 0.8);
      ctx.text(`motion ${(motion.score * 100).toFixed(1)}%`, 12, y - 20);
    },
  });
  const latest = new LatestRecords();
  let kept: Frame | undefined;
  const inference = new Inference(undefined, {
    process({ frame, ran }: { frame: Frame; ran: readonly AlgoRecord[] }) {
      for (const r of ran) latest.onRecord(r);
      if (frame.index === AT) kept = annotator.draw(frame, latest.of(frame.source), { fps: FPS });
    },
  });
  await inference.loadAlgo(new MotionDetector(), {
    name: "motion",
    frameCount: 1,
    frameStep: 0,
    interval: 1 / FPS,
    options: { width: 160, threshold: 25 },
  });
  const producer = new FFmpegProducer({ width: WIDTH, height: HEIGHT, format: "rgb24" });
  await inference.start(new Player(producer, clip), { fps: FPS, mode: "offline" });
  await inference.dispose();
  if (!kept) throw new Error(`frame ${AT} was not played`);

  const png = new Deno.Command(ffmpeg, {
    args: [
      ...["-hide_banner", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24"],
      ...["-s", `${WIDTH}x${HEIGHT}`, "-i", "pipe:0", "-frames:v", "1", "-y", OUT],
    ],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const writer = png.stdin.getWriter();
  await writer.write(kept.data);
  await writer.close();
  const done = await png.output();
  if (!done.success) {
    throw new Error(`ffmpeg could not write ${OUT}: ${new TextDecoder().decode(done.stderr)}`);
  }
  console.log(`wrote ${OUT} (${(await Deno.stat(OUT)).size} bytes)`);
} finally {
  await Deno.remove(dir, { recursive: true });
}
