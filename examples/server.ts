// The dev web UI started from a script, with your own hooks: `annotate(ctx)` draws on the
// live frames after the default annotation, `output(name, result)` formats each algorithm's
// panel. Open the printed URL, press Start (or pass --start), Ctrl-C stops everything.
//
//   deno run -A --unstable-worker-options examples/server.ts examples/pipeline.yaml --start
import { type AnnotateContext, serveDev } from "../mod.ts";

const config = Deno.args.find((a) => !a.startsWith("--")) ?? "examples/pipeline.yaml";

const server = serveDev({
  config,
  port: 8501,
  start: Deno.args.includes("--start"),
  // the original's annotate_frame: a banner with the motion score, bottom left
  annotate(ctx: AnnotateContext) {
    const motion = ctx.latest["motion"]?.result as { score?: number } | undefined;
    if (motion?.score === undefined) return;
    const text = `motion ${(motion.score * 100).toFixed(1)}%`;
    ctx.text(text, 8, ctx.frame.height - 12 * ctx.scale, { background: [0, 0, 0] });
  },
  // the original's output hook: what each algorithm's panel shows
  output(name, result) {
    if (name === "motion") {
      const r = result as { score: number; boxes: unknown[] };
      return `score ${r.score.toFixed(4)}, ${r.boxes.length} moving regions`;
    }
    return result; // shown as JSON
  },
});
console.log(`dev UI on ${server.url}`);
const stop = () => void server.shutdown();
Deno.addSignalListener("SIGINT", stop);
await server.finished;
Deno.removeSignalListener("SIGINT", stop);
