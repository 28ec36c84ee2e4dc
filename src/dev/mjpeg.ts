/**
 * The live view's transport: a `multipart/x-mixed-replace` (MJPEG) HTTP response that an
 * `<img>` shows as it comes. The body is pulled: the server asks for the next part only when
 * the previous one has gone out, and gets the newest image then, so a slow client skips
 * frames instead of queueing them. Closing the tab cancels the body, which stops the watcher.
 *
 * @module
 */
import type { Watcher } from "./frames.ts";

/** The part boundary of {@link mjpegResponse}. */
export const BOUNDARY = "stream-infer-frame";

const encoder = new TextEncoder();

/**
 * One part of the stream: headers, the JPEG, then the next boundary at once (a browser shows
 * an image when the boundary after it arrives, so it is sent with the image, not before the
 * next one).
 *
 * @example
 * ```ts
 * import { mjpegPart } from "./mjpeg.ts";
 * const part = mjpegPart(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]));
 * console.log(new TextDecoder().decode(part).startsWith("Content-Type: image/jpeg")); // true
 * ```
 */
export function mjpegPart(jpeg: Uint8Array): Uint8Array {
  const head = encoder.encode(
    `Content-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`,
  );
  const tail = encoder.encode(`\r\n--${BOUNDARY}\r\n`);
  const part = new Uint8Array(head.length + jpeg.length + tail.length);
  part.set(head);
  part.set(jpeg, head.length);
  part.set(tail, head.length + jpeg.length);
  return part;
}

/**
 * The MJPEG response of one watcher; it ends when the watcher is closed (the server shuts
 * down) and closes the watcher when the client goes away.
 *
 * @example
 * ```ts
 * import { FrameHub } from "./frames.ts";
 * import { mjpegResponse } from "./mjpeg.ts";
 * const hub = new FrameHub();
 * const response = mjpegResponse(hub.watch("main"));
 * console.log(response.headers.get("content-type")); // multipart/x-mixed-replace; boundary=stream-infer-frame
 * await response.body?.cancel();
 * ```
 */
export function mjpegResponse(watcher: Watcher): Response {
  let started = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(`--${BOUNDARY}\r\n`));
        return;
      }
      const image = await watcher.next();
      if (image === null) controller.close();
      else controller.enqueue(mjpegPart(image));
    },
    cancel() {
      watcher.close();
    },
  }, { highWaterMark: 0 });
  return new Response(body, {
    headers: {
      "content-type": `multipart/x-mixed-replace; boundary=${BOUNDARY}`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
