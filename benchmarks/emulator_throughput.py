"""Emulator throughput and latency on loopback: non-streaming requests at concurrency 1 and 16.

The emulator runs as `python -m harness emulator` pinned to one core; the load generator is a
raw-socket asyncio client with keep-alive, pinned to the other core, so the figures measure the
emulator rather than an HTTP client library. Prints requests/s and p50/p99 latency for chat, then
embeddings (one input, 1536 dimensions) and the Responses API at concurrency 16. Embeddings are
measured twice: the same text every time (as a suite re-embedding its fixtures), and a new text on
every request, which no cache helps.

    python benchmarks/emulator_throughput.py [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHAT = "/openai/deployments/chat/chat/completions?api-version=2024-10-21"
CHAT_BODY = {"messages": [{"role": "user", "content": "benchmark request"}], "max_tokens": 32}
EMBEDDINGS = "/openai/deployments/embeddings/embeddings?api-version=2024-10-21"
RESPONSES = "/openai/responses?api-version=2025-04-01-preview"
# the default store=true: each answer is also kept for GET and previous_response_id
RESPONSES_BODY = {"model": "chat", "input": "benchmark request", "max_output_tokens": 32}


async def _worker(
    host: str, port: int, requests: list[bytes], start: int, stop_at: float, latencies: list[float]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    sent = start
    try:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            writer.write(requests[sent % len(requests)])
            sent += 1
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
            )
            body = await reader.readexactly(length)
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"benchmark: emulator answered {head.splitlines()[0]!r}: {body[:200]!r}")
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()


async def _run(host: str, port: int, requests: list[bytes], concurrency: int, seconds: float) -> list[float]:
    latencies: list[float] = []
    stop_at = time.perf_counter() + seconds
    share = max(1, len(requests) // concurrency)  # workers start far apart: a list of new texts never repeats
    await asyncio.gather(*(_worker(host, port, requests, i * share, stop_at, latencies) for i in range(concurrency)))
    return latencies


def _request(host: str, port: str, key: str, path: str, body: dict[str, object]) -> bytes:
    payload = json.dumps(body)
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\napi-key: {key}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(payload)}\r\n\r\n{payload}"
    ).encode()


def _report(name: str, host: str, port: int, requests: list[bytes], levels: tuple[int, ...], seconds: float) -> None:
    for concurrency in levels:
        latencies = sorted(asyncio.run(_run(host, port, requests, concurrency, seconds)))
        p50 = statistics.median(latencies) * 1000
        p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
        print(
            f"  {name:<22} concurrency {concurrency:>2}: {len(latencies) / seconds:8.0f} req/s   "
            f"p50 {p50:6.2f} ms   p99 {p99:6.2f} ms"
        )


def _pin(cpu: int) -> None:
    if hasattr(os, "sched_setaffinity") and cpu < (os.cpu_count() or 1):
        os.sched_setaffinity(0, {cpu})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os,sys; os.sched_setaffinity(0,{0}); from harness.cli import main; sys.exit(main(['emulator']))",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split()[-1]
        lines = [proc.stdout.readline() for _ in range(3)]
        key = next(line.split(": ", 1)[1].strip() for line in lines if "api-key:" in line)
        host, port = url.removeprefix("http://").rsplit(":", 1)
        _pin(1)
        chat = [_request(host, port, key, CHAT, CHAT_BODY)]
        same = [_request(host, port, key, EMBEDDINGS, {"input": "benchmark request"})]
        new = [_request(host, port, key, EMBEDDINGS, {"input": f"benchmark request {i}"}) for i in range(200_000)]
        responses = [_request(host, port, key, RESPONSES, RESPONSES_BODY)]
        asyncio.run(_run(host, int(port), chat + same + responses, 4, 1.0))  # warm-up (and the codebook)
        print(f"emulator benchmark: non-streaming, {args.seconds:.0f}s per level, emulator on 1 core")
        _report("chat", host, int(port), chat, (1, 16), args.seconds)
        _report("embeddings, same text", host, int(port), same, (16,), args.seconds)
        _report("embeddings, new text", host, int(port), new, (16,), args.seconds)
        _report("responses", host, int(port), responses, (16,), args.seconds)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
