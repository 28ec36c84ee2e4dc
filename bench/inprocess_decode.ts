/**
 * A feasibility probe for issue 13, not part of the library: how fast can this process decode
 * and convert every frame itself, calling ffmpeg's libraries through FFI as OpenCV does,
 * compared side by side with OpenCV's loop (bench/opencv_baseline.py)?
 *
 * The probe opens the clip with libavformat, decodes with libavcodec (its default threads),
 * converts (and resizes) each frame with libswscale into one bgr24/rgb24 buffer, and hands
 * nothing on: a bare loop, as OpenCV's is. It reads a few fields of ffmpeg's structs at fixed
 * offsets, valid for ffmpeg 5.1 only (libavformat 59, libavcodec 59, libavutil 57); elsewhere it
 * says so and exits. Both sides are timed from opening the clip to the last frame; every round
 * runs both for every size and format, alternating the order; ratios are medians of the
 * per-round ratios.
 *
 * Run: `deno task bench:inprocess` (`--write` rewrites its section of BENCHMARKS.md,
 * `--rounds=N`, default 3).
 *
 * @module
 */
import { locateFfmpeg } from "../mod.ts";
import { loadAverage, machine, median, writeSection } from "./report.ts";
import { carClip, findPython, opencvArgs, opencvResult, run } from "./tools.ts";

const SECTION = "## In-process decoding probe";
const COMMAND = "deno task bench:inprocess --write";
const SIZES: readonly [number, number][] = [[640, 360], [1280, 720], [1920, 1080]];
const FORMATS = ["bgr24", "rgb24"] as const;
type Format = typeof FORMATS[number];
let python: string | undefined;

function libraries() {
  const open = <S extends Deno.ForeignLibraryInterface>(name: string, symbols: S) => {
    try {
      return Deno.dlopen(name, symbols).symbols;
    } catch {
      throw new Error(`${name} not found: this probe needs ffmpeg 5.1's shared libraries`);
    }
  };
  const avformat = open("libavformat.so.59", {
    avformat_version: { parameters: [], result: "u32" },
    avformat_open_input: { parameters: ["buffer", "buffer", "pointer", "pointer"], result: "i32" },
    avformat_find_stream_info: { parameters: ["pointer", "pointer"], result: "i32" },
    av_find_best_stream: {
      parameters: ["pointer", "i32", "i32", "i32", "buffer", "i32"],
      result: "i32",
    },
    av_read_frame: { parameters: ["pointer", "pointer"], result: "i32" },
    avformat_close_input: { parameters: ["buffer"], result: "void" },
  });
  const avcodec = open("libavcodec.so.59", {
    avcodec_version: { parameters: [], result: "u32" },
    avcodec_alloc_context3: { parameters: ["pointer"], result: "pointer" },
    avcodec_free_context: { parameters: ["buffer"], result: "void" },
    avcodec_parameters_to_context: { parameters: ["pointer", "pointer"], result: "i32" },
    avcodec_open2: { parameters: ["pointer", "pointer", "pointer"], result: "i32" },
    av_packet_alloc: { parameters: [], result: "pointer" },
    av_packet_free: { parameters: ["buffer"], result: "void" },
    av_packet_unref: { parameters: ["pointer"], result: "void" },
    avcodec_send_packet: { parameters: ["pointer", "pointer"], result: "i32" },
    avcodec_receive_frame: { parameters: ["pointer", "pointer"], result: "i32" },
  });
  const avutil = open("libavutil.so.57", {
    av_frame_alloc: { parameters: [], result: "pointer" },
    av_frame_free: { parameters: ["buffer"], result: "void" },
    av_frame_unref: { parameters: ["pointer"], result: "void" },
    av_opt_set_int: { parameters: ["pointer", "buffer", "i64", "i32"], result: "i32" },
  });
  const swscale = open("libswscale.so.6", {
    sws_getContext: {
      parameters: [
        "i32",
        "i32",
        "i32",
        "i32",
        "i32",
        "i32",
        "i32",
        "pointer",
        "pointer",
        "pointer",
      ],
      result: "pointer",
    },
    sws_scale: {
      parameters: ["pointer", "pointer", "pointer", "i32", "i32", "pointer", "buffer"],
      result: "i32",
    },
    sws_freeContext: { parameters: ["pointer"], result: "void" },
  });
  const major = (v: number) => v >>> 16;
  if (major(avformat.avformat_version()) !== 59 || major(avcodec.avcodec_version()) !== 59) {
    throw new Error("this probe reads ffmpeg 5.1's structs (libavformat 59, libavcodec 59)");
  }
  return { avformat, avcodec, avutil, swscale };
}

type Libs = ReturnType<typeof libraries>;

/** A pointer held in a one-element array, for the `T **` arguments. */
function slot(pointer: Deno.PointerValue): BigUint64Array {
  return new BigUint64Array([BigInt(Deno.UnsafePointer.value(pointer))]);
}

/** Decodes every frame of `clip` into one `width`x`height` buffer; returns frames and seconds. */
function decode(libs: Libs, clip: string, width: number, height: number, format: Format) {
  const { avformat, avcodec, avutil, swscale } = libs;
  const began = performance.now();
  const fc = new BigUint64Array(1);
  if (avformat.avformat_open_input(fc, new TextEncoder().encode(`${clip}\0`), null, null) < 0) {
    throw new Error(`cannot open ${clip}`);
  }
  const ctxFormat = Deno.UnsafePointer.create(fc[0]);
  avformat.avformat_find_stream_info(ctxFormat, null);
  const decoder = new BigUint64Array(1);
  const index = avformat.av_find_best_stream(ctxFormat, 0, /* video */ -1, -1, decoder, 0);
  if (index < 0) throw new Error(`${clip}: no video stream`);
  // AVFormatContext.streams at 48; AVStream.index at 0, .codecpar at 208 (libavformat 59)
  const streams = new Deno.UnsafePointerView(ctxFormat!).getPointer(48)!;
  const stream = new Deno.UnsafePointerView(streams).getPointer(index * 8)!;
  const view = new Deno.UnsafePointerView(stream);
  if (view.getInt32(0) !== index) throw new Error("unexpected AVStream layout");
  const codec = Deno.UnsafePointer.create(decoder[0]);
  const ctx = avcodec.avcodec_alloc_context3(codec);
  avcodec.avcodec_parameters_to_context(ctx, view.getPointer(208));
  // threads: 0 is one per core, as ffmpeg's command line and OpenCV set it (the library's own
  // default is 1)
  avutil.av_opt_set_int(ctx, new TextEncoder().encode("threads\0"), 0n, 0);
  if (avcodec.avcodec_open2(ctx, codec, null) < 0) throw new Error("cannot open the decoder");
  const packet = avcodec.av_packet_alloc()!;
  const frame = avutil.av_frame_alloc()!;
  const frameView = new Deno.UnsafePointerView(frame);
  const out = new Uint8Array(width * height * 3);
  const dstPlanes = slot(Deno.UnsafePointer.of(out));
  const dst = Deno.UnsafePointer.of(dstPlanes);
  const dstStride = new Int32Array([width * 3, 0, 0, 0]);
  let sws: Deno.PointerValue = null;
  // a resize goes in two passes, in YUV and then an unscaled conversion: libswscale 6 has no
  // fast path for resizing straight into rgb24, and bgr24 gains too
  let toRgb: Deno.PointerValue = null;
  const yuv = new Uint8Array((width * height * 3) / 2);
  const yuvPlanes = slot(Deno.UnsafePointer.of(yuv));
  const yuvStrides = new Int32Array([width, width / 2, width / 2, 0]);
  const planes = new BigUint64Array([
    yuvPlanes[0],
    yuvPlanes[0] + BigInt(width * height),
    yuvPlanes[0] + BigInt((width * height * 5) / 4),
    0n,
  ]);
  let frames = 0;
  const drain = () => {
    while (avcodec.avcodec_receive_frame(ctx, frame) === 0) {
      // AVFrame: data[8] at 0, linesize[8] at 64, width 104, height 108, format 116
      const w = frameView.getInt32(104), h = frameView.getInt32(108);
      const twoPass = w !== width || h !== height;
      sws ??= swscale.sws_getContext(
        w,
        h,
        frameView.getInt32(116),
        width,
        height,
        twoPass ? 0 /* yuv420p */ : format === "rgb24" ? 2 : 3,
        2, // bilinear, as cv2.resize
        null,
        null,
        null,
      );
      const linesizes = Deno.UnsafePointer.offset(frame, 64);
      if (twoPass) {
        const rgb = format === "rgb24" ? 2 : 3;
        toRgb ??= swscale.sws_getContext(width, height, 0, width, height, rgb, 2, null, null, null);
        swscale.sws_scale(sws, frame, linesizes, 0, h, Deno.UnsafePointer.of(planes), yuvStrides);
        const p = Deno.UnsafePointer.of(planes), l = Deno.UnsafePointer.of(yuvStrides);
        swscale.sws_scale(toRgb, p, l, 0, height, dst, dstStride);
      } else swscale.sws_scale(sws, frame, linesizes, 0, h, dst, dstStride);
      frames++;
      avutil.av_frame_unref(frame);
    }
  };
  const packetView = new Deno.UnsafePointerView(packet);
  while (avformat.av_read_frame(ctxFormat, packet) >= 0) {
    // AVPacket.stream_index at 36
    if (packetView.getInt32(36) === index) {
      avcodec.avcodec_send_packet(ctx, packet);
      drain();
    }
    avcodec.av_packet_unref(packet);
  }
  avcodec.avcodec_send_packet(ctx, null);
  drain();
  const seconds = (performance.now() - began) / 1000;
  swscale.sws_freeContext(sws);
  swscale.sws_freeContext(toRgb);
  avutil.av_frame_free(slot(frame));
  avcodec.av_packet_free(slot(packet));
  avcodec.avcodec_free_context(slot(ctx));
  avformat.avformat_close_input(fc);
  return { frames, seconds };
}

async function opencv(clip: string, size: readonly [number, number], format: Format) {
  python ??= await findPython();
  if (!python) throw new Error("no Python with OpenCV (apt-get install python3-opencv)");
  return opencvResult(await run(python, opencvArgs(clip, size, format)));
}

async function main(): Promise<void> {
  const write = Deno.args.includes("--write");
  const rounds = Number(Deno.args.find((a) => a.startsWith("--rounds="))?.slice(9) ?? 3);
  const libs = libraries();
  const ffmpeg = locateFfmpeg();
  const clip = await carClip(ffmpeg, 1920, 1080, 25);
  decode(libs, clip, 640, 360, "bgr24"); // warm up
  await opencv(clip, [640, 360], "bgr24");
  const fps = new Map<string, { ours: number[]; cv: number[]; ratio: number[] }>();
  const loadBefore = loadAverage();
  for (let round = 0; round < rounds; round++) {
    const tasks = SIZES.flatMap((size) => FORMATS.map((format) => ({ size, format })));
    for (const { size, format } of round % 2 ? tasks.reverse() : tasks) {
      const key = `${size[0]}x${size[1]} ${format}`;
      const swap = round % 2 === 1;
      const a = swap ? await opencv(clip, size, format) : decode(libs, clip, ...size, format);
      const b = swap ? decode(libs, clip, ...size, format) : await opencv(clip, size, format);
      const [ours, cv] = swap ? [b, a] : [a, b];
      if (ours.frames !== cv.frames) throw new Error(`${key}: ${ours.frames} vs ${cv.frames}`);
      const entry = fps.get(key) ?? { ours: [], cv: [], ratio: [] };
      entry.ours.push(ours.frames / ours.seconds);
      entry.cv.push(cv.frames / cv.seconds);
      entry.ratio.push(cv.seconds / ours.seconds);
      fps.set(key, entry);
      console.error(
        `round ${round + 1}/${rounds} ${key}: ${entry.ours.at(-1)!.toFixed(0)} ` +
          `against ${entry.cv.at(-1)!.toFixed(0)} frames/s`,
      );
    }
  }
  const table = [
    "| output | format | in-process probe, frames/s | opencv, frames/s | ratio |",
    "| --- | --- | --: | --: | --: |",
    ...[...fps].map(([key, e]) => {
      const [size, format] = key.split(" ");
      return `| ${size} | ${format} | ${median(e.ours).toFixed(0)} | ${
        median(e.cv).toFixed(0)
      } | ` +
        `**${median(e.ratio).toFixed(2)}×** |`;
    }),
  ];
  console.log(table.join("\n"));
  if (!write) return;
  await writeSection(
    SECTION,
    [
      SECTION,
      "",
      "```sh",
      COMMAND,
      "```",
      "",
      `Measured ${new Date().toISOString().slice(0, 10)} on:`,
      "",
      ...(await machine(ffmpeg)),
      `- 1-minute load average before: ${loadBefore.toFixed(2)}; ${rounds} rounds`,
      "",
      "A probe for issue 13, not a feature: bench/inprocess_decode.ts decodes the 1920x1080 car " +
      "clip (754 frames) in this process through FFI to ffmpeg 5.1's libavformat, libavcodec " +
      "and libswscale (struct fields at fixed offsets), converting and resizing every frame into " +
      "one buffer and handing nothing on, against OpenCV's loop (bench/opencv_baseline.py). Both " +
      "are timed from opening the clip to the last frame, in alternating order; ratios are " +
      "medians of the per-round ratios. The decoder runs one thread per core (`threads` 0, as " +
      "ffmpeg's command line and OpenCV do; libavcodec's own default is 1), and a resize goes in " +
      "two libswscale passes, in YUV and then an unscaled conversion (one pass into rgb24 has no " +
      "fast path in libswscale 6).",
      "",
      table.join("\n"),
      "",
    ].join("\n"),
  );
  console.error("wrote BENCHMARKS.md");
}

if (import.meta.main) await main();
