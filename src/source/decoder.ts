/**
 * {@link LibavDecoder}: one file's video stream decoded in this process with libavformat and
 * libavcodec (see `libav.ts`), a picture at a time. What a picture becomes (its size and pixel
 * format) is the scaler's business (`swscale.ts`).
 *
 * @module
 */
import { AVERROR_EAGAIN, AVERROR_EOF, errorText, type Libav, openLibav } from "./libav.ts";

const AVMEDIA_TYPE_VIDEO = 0;
const AV_NOPTS_VALUE = -(2n ** 63n);
const AV_TIME_BASE = 1_000_000;
const AVCOL_RANGE_JPEG = 2;
const AV_FRAME_FLAG_CORRUPT = 1;

/** A pointer held in a one-element array, for the `T **` arguments. */
function slot(pointer: Deno.PointerValue): BigUint64Array {
  return new BigUint64Array([BigInt(Deno.UnsafePointer.value(pointer))]);
}

const cString = (text: string) => new TextEncoder().encode(`${text}\0`);

/** The decoded picture the decoder holds, as libswscale takes it. */
export interface Picture {
  /** `AVFrame.data`: the planes' pointers (8 of them). */
  planes: Deno.PointerObject;
  /** `AVFrame.linesize`: the planes' strides (8 int32). */
  strides: Deno.PointerObject;
  width: number;
  height: number;
  /** The `AVPixelFormat` it is in. */
  format: number;
  /** Whether its samples are full range (JPEG) rather than limited. */
  fullRange: boolean;
  /** Seconds from the start of the file (its pts, as ffmpeg's command line counts it). */
  time: number;
}

/**
 * Demuxes and decodes one file's best video stream, a picture at a time. Opening runs off the
 * main thread; decoding a picture blocks it while the decoder's threads (one per core) finish
 * it, which costs less than handing each call to another thread.
 *
 * @example
 * ```ts ignore
 * import { LibavDecoder } from "./decoder.ts";
 * const decoder = await LibavDecoder.open("clip.mp4");
 * if (decoder) {
 *   while (decoder.next()) console.log(decoder.picture().time);
 *   decoder.close();
 * }
 * ```
 */
export class LibavDecoder {
  readonly #libav: Libav;
  readonly #formatSlot: BigUint64Array;
  readonly #format: Deno.PointerObject;
  readonly #stream: number;
  readonly #timeBase: number;
  readonly #startTime: number;
  readonly #codecpar: Deno.PointerValue;
  #codec: Deno.PointerValue = null;
  readonly #packet: Deno.PointerObject;
  readonly #packetView: Deno.UnsafePointerView;
  readonly #frame: Deno.PointerObject;
  readonly #frameView: Deno.UnsafePointerView;
  readonly #planes: Deno.PointerObject; // AVFrame.data
  readonly #strides: Deno.PointerObject; // AVFrame.linesize
  #held = false;
  #draining = false;
  #ended = false;
  /** What went wrong while reading or decoding (damaged data), in order, without repeats. */
  readonly errors: string[] = [];

  private constructor(libav: Libav, formatSlot: BigUint64Array, stream: number) {
    this.#libav = libav;
    this.#formatSlot = formatSlot;
    this.#format = Deno.UnsafePointer.create(formatSlot[0])!;
    this.#stream = stream;
    const { layout } = libav;
    const view = new Deno.UnsafePointerView(this.#format);
    const start = view.getBigInt64(layout.formatStartTime);
    this.#startTime = start === AV_NOPTS_VALUE ? 0 : Number(start) / AV_TIME_BASE;
    const streams = view.getPointer(layout.formatStreams)!;
    const streamView = new Deno.UnsafePointerView(
      new Deno.UnsafePointerView(streams).getPointer(stream * 8)!,
    );
    if (streamView.getInt32(layout.streamIndex) !== stream) {
      throw new Error("libavformat's AVStream is not laid out as expected");
    }
    const num = streamView.getInt32(layout.streamTimeBase);
    const den = streamView.getInt32(layout.streamTimeBase + 4);
    this.#timeBase = den > 0 ? num / den : 0;
    this.#codecpar = streamView.getPointer(layout.streamCodecpar);
    this.#packet = libav.codec.av_packet_alloc()!;
    this.#packetView = new Deno.UnsafePointerView(this.#packet);
    this.#frame = libav.util.av_frame_alloc()!;
    this.#frameView = new Deno.UnsafePointerView(this.#frame);
    this.#planes = Deno.UnsafePointer.offset(this.#frame, layout.frameData)!;
    this.#strides = Deno.UnsafePointer.offset(this.#frame, layout.frameLinesize)!;
  }

  /**
   * Opens a file and its video decoder with `threads` threads (0, the default: one per core,
   * as ffmpeg's command line does). Returns `null` when the libraries are not usable here;
   * throws with libav's reason when the file cannot be opened or decoded.
   */
  static async open(path: string, threads = 0): Promise<LibavDecoder | null> {
    const libav = openLibav();
    if (!libav) return null;
    const formatSlot = new BigUint64Array(1);
    let decoder: LibavDecoder | undefined;
    try {
      const opened = await libav.format.avformat_open_input(formatSlot, cString(path), null, null);
      if (opened < 0) throw new Error(errorText(libav, opened));
      const format = Deno.UnsafePointer.create(formatSlot[0]);
      const found = await libav.format.avformat_find_stream_info(format, null);
      if (found < 0) throw new Error(errorText(libav, found));
      const codecSlot = new BigUint64Array(1);
      const stream = libav.format.av_find_best_stream(
        format,
        AVMEDIA_TYPE_VIDEO,
        -1,
        -1,
        codecSlot,
        0,
      );
      if (stream < 0) throw new Error(errorText(libav, stream));
      decoder = new LibavDecoder(libav, formatSlot, stream);
      decoder.#openCodec(Deno.UnsafePointer.create(codecSlot[0]), threads);
      return decoder;
    } catch (e) {
      if (decoder) decoder.close();
      else {
        if (formatSlot[0]) libav.format.avformat_close_input(formatSlot);
        libav.close();
      }
      throw e;
    }
  }

  #openCodec(codec: Deno.PointerValue, threads: number): void {
    const { codec: lib, util } = this.#libav;
    this.#codec = lib.avcodec_alloc_context3(codec);
    if (!this.#codec) throw new Error("cannot allocate a decoder");
    const copied = lib.avcodec_parameters_to_context(this.#codec, this.#codecpar);
    if (copied < 0) throw new Error(errorText(this.#libav, copied));
    util.av_opt_set_int(this.#codec, cString("threads"), BigInt(threads), 0);
    const opened = lib.avcodec_open2(this.#codec, codec, null);
    if (opened < 0) throw new Error(`cannot open the decoder: ${errorText(this.#libav, opened)}`);
  }

  /**
   * Seeks to the last key frame at or before `seconds` (from the start of the file). The
   * pictures before `seconds` still come out of {@link next}: drop them by their time, as
   * ffmpeg's accurate seek does.
   */
  seek(seconds: number): void {
    const ts = BigInt(Math.round((this.#startTime + seconds) * AV_TIME_BASE));
    const min = -(2n ** 63n);
    const sought = this.#libav.format.avformat_seek_file(this.#format, -1, min, ts, ts, 0);
    if (sought < 0) this.#note(sought);
  }

  /** Decodes the next picture; `false` at the end of the stream. Blocks while the decoder's
   * threads finish it (a few milliseconds). */
  next(): boolean {
    const { codec, util, format, layout } = this.#libav;
    if (this.#held) {
      util.av_frame_unref(this.#frame);
      this.#held = false;
    }
    while (!this.#ended) {
      const received = codec.avcodec_receive_frame(this.#codec, this.#frame);
      if (received === 0) {
        this.#held = true;
        const flags = this.#frameView.getInt32(layout.frameFlags);
        const errors = this.#frameView.getInt32(layout.frameDecodeErrorFlags);
        if (flags & AV_FRAME_FLAG_CORRUPT || errors) {
          this.#noteText("a picture decoded with errors");
        }
        return true;
      }
      if (received === AVERROR_EOF) {
        this.#ended = true;
        break;
      }
      if (received !== AVERROR_EAGAIN) {
        this.#note(received); // a damaged picture: go on with the next packet
      }
      if (this.#draining) {
        if (received !== AVERROR_EAGAIN) continue;
        this.#ended = true; // a decoder that neither ends nor gives: nothing more will come
        break;
      }
      // feed the decoder the next packet of this stream, or the end of the stream
      let fed = false;
      while (!fed) {
        const read = format.av_read_frame(this.#format, this.#packet);
        if (read < 0) {
          if (read !== AVERROR_EOF) this.#note(read);
          this.#draining = true;
          codec.avcodec_send_packet(this.#codec, null);
          break;
        }
        if (this.#packetView.getInt32(layout.packetStreamIndex) === this.#stream) {
          const sent = codec.avcodec_send_packet(this.#codec, this.#packet);
          if (sent < 0 && sent !== AVERROR_EAGAIN) this.#note(sent);
          fed = true;
        }
        codec.av_packet_unref(this.#packet);
      }
    }
    return false;
  }

  /** The picture {@link next} decoded; valid until the next call to {@link next}. */
  picture(): Picture {
    if (!this.#held) throw new Error("no picture: call next() first");
    const view = this.#frameView, { layout } = this.#libav;
    const pts = view.getBigInt64(layout.frameBestEffortTimestamp);
    return {
      planes: this.#planes,
      strides: this.#strides,
      width: view.getInt32(layout.frameWidth),
      height: view.getInt32(layout.frameHeight),
      format: view.getInt32(layout.frameFormat),
      fullRange: view.getInt32(layout.frameColorRange) === AVCOL_RANGE_JPEG,
      time: pts === AV_NOPTS_VALUE ? NaN : Number(pts) * this.#timeBase - this.#startTime,
    };
  }

  #note(code: number): void {
    this.#noteText(errorText(this.#libav, code));
  }

  #noteText(text: string): void {
    if (this.errors.at(-1) !== text) this.errors.push(text);
  }

  /** Frees the decoder, the file and the libraries' handles. */
  close(): void {
    const { codec, util, format } = this.#libav;
    util.av_frame_free(slot(this.#frame)); // unrefs it too
    codec.av_packet_free(slot(this.#packet));
    if (this.#codec) codec.avcodec_free_context(slot(this.#codec));
    format.avformat_close_input(this.#formatSlot);
    this.#libav.close();
  }
}
