#!/usr/bin/env python3
"""The Python original's every-frame loop, for bench/offline_throughput.ts.

Decodes a clip in-process with cv2.VideoCapture (OpenCV's FFmpeg backend, BGR frames),
resizes each frame with cv2.resize (INTER_LINEAR, OpenCV's default) when the output size
differs, converts to RGB when asked (cv2.cvtColor), and hands every frame to a no-op.
Prints one JSON line: {"frames": n, "seconds": wall seconds from opening the capture to the
last frame, "cpu": CPU seconds of this process (all threads) over the same span, "open": seconds
to open the capture}. Python's start-up and the cv2 import are outside both.

Usage: opencv_baseline.py CLIP WIDTH HEIGHT [bgr24|rgb24]
"""
import json
import sys
import time

import cv2


def noop(frame):
    return frame.shape


def main():
    clip, width, height = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    fmt = sys.argv[4] if len(sys.argv) > 4 else "bgr24"
    if fmt not in ("bgr24", "rgb24"):
        raise SystemExit(f"format must be bgr24 or rgb24 (got {fmt})")
    began = time.perf_counter()
    cpu = time.process_time()
    cap = cv2.VideoCapture(clip)
    if not cap.isOpened():
        raise SystemExit(f"cannot open {clip}")
    opened = time.perf_counter()
    frames = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if frame.shape[1] != width or frame.shape[0] != height:
            frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_LINEAR)
        if fmt == "rgb24":
            frame = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        noop(frame)
        frames += 1
    cap.release()
    ended = time.perf_counter()
    used = time.process_time() - cpu
    print(json.dumps({"frames": frames, "seconds": ended - began, "cpu": used,
                      "open": opened - began}))


if __name__ == "__main__":
    main()
