#!/usr/bin/env python3
"""A small reward judge for trying and testing grao's remote rewards. Standard library only.

It speaks three protocols (see docs/rewards.md):
  POST /grao                  grao batch protocol: {"items": [...]} -> {"results": [...]}
  POST /get_reward            OpenRLHF: {"query", "prompts", "labels"} -> {"rewards": [...]}
  POST /v1/chat/completions   OpenAI-style chat; replies with the text after "judge-reply:" in the last message

Scores are deterministic: a completion that is a number scores that number; otherwise 1.0 when it equals the
reference (after trimming) and 0.0 when not.

Fault switches (counted down per scoring request, in this order), set by flags or POST /control with the same
names in JSON (dashes as underscores): --fail-400 N, --fail-429 N (with --retry-after S), --fail-500 N,
--echo-headers N (500 echoing the request headers, credentials included), --garbage N (200 with a non-JSON body), --nan N (NaN scores), --short N (one result too few), plus --delay-ms
(every scoring request; a request may also ask for its own with the X-Judge-Delay-Ms header) and --scalar
(OpenRLHF replies with a bare number when there is one item), and --require-bearer TOKEN (401 without it).

GET /stats reports {"total", "by_path", "in_flight", "max_in_flight", "connections"}; POST /control {"reset_stats": true} zeroes it.
On start it prints one JSON line {"port": N} (bind port 0 to let the system choose) and flushes stdout.
"""
import argparse
import json
import math
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = ("fail_400", "fail_429", "fail_500", "echo_headers", "garbage", "nan", "short")
SCORING_PATHS = ("/grao", "/get_reward", "/v1/chat/completions")


class State:
    """Switches and counters shared by the handler threads, guarded by one lock."""

    def __init__(self, args):
        self.lock = threading.Lock()
        self.delay_ms = args.delay_ms
        self.retry_after = args.retry_after
        self.scalar = args.scalar
        self.bearer = args.require_bearer
        self.faults = {name: getattr(args, name) for name in FAULTS}
        self.reset_stats()

    def reset_stats(self):
        self.total = 0
        self.by_path = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.connections = 0

    def connected(self):
        with self.lock:
            self.connections += 1

    def enter(self, path):
        with self.lock:
            self.total += 1
            self.by_path[path] = self.by_path.get(path, 0) + 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self):
        with self.lock:
            self.in_flight -= 1

    def take_fault(self):
        """The first fault with a count left, consumed; None when the request should succeed."""
        with self.lock:
            for name in FAULTS:
                if self.faults[name] > 0:
                    self.faults[name] -= 1
                    return name
        return None

    def control(self, body):
        with self.lock:
            for name in FAULTS:
                if name in body:
                    self.faults[name] = int(body[name])
            if "delay_ms" in body:
                self.delay_ms = float(body["delay_ms"])
            if "retry_after" in body:
                self.retry_after = body["retry_after"]
            if "scalar" in body:
                self.scalar = bool(body["scalar"])
            if body.get("reset_stats"):
                self.reset_stats()

    def stats(self):
        with self.lock:
            return {"total": self.total, "by_path": dict(self.by_path), "in_flight": self.in_flight,
                    "max_in_flight": self.max_in_flight, "connections": self.connections, "faults_left": dict(self.faults)}


def score_text(completion, reference):
    text = completion.strip()
    try:
        return float(text)
    except ValueError:
        pass
    if reference is None:
        return 0.0
    return 1.0 if text == reference.strip() else 0.0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so clients can reuse connections
    # http.server writes the head and the body in two sends; with Nagle on, the body waits for the client's
    # delayed ACK (~40 ms) on a reused connection.
    disable_nagle_algorithm = True
    state = None  # set in main

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        # One handler per TCP connection: counting them shows whether clients reuse connections.
        super().setup()
        self.state.connected()

    def reply(self, status, body, content_type="application/json", extra_headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra_headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def read_json(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length) if length > 0 else b""
        return json.loads(raw or b"{}")

    def do_GET(self):
        self.path = self.path.split("?", 1)[0]
        if self.path == "/stats":
            self.reply(200, self.state.stats())
        elif self.path == "/healthz":
            self.reply(200, {"ok": True})
        else:
            self.reply(404, {"error": "no such path"})

    def do_POST(self):
        # A query string is ignored, so load generators can make URLs distinct (/grao?17).
        self.path = self.path.split("?", 1)[0]
        try:
            body = self.read_json()
        except (ValueError, UnicodeDecodeError) as e:
            self.reply(400, {"error": f"bad JSON: {e}"})
            return
        if self.path == "/control":
            self.state.control(body)
            self.reply(200, self.state.stats())
            return
        if self.path not in SCORING_PATHS:
            self.reply(404, {"error": "no such path"})
            return
        token = self.state.bearer
        if token is not None and self.headers.get("Authorization") != f"Bearer {token}":
            self.reply(401, {"error": "missing or wrong bearer token"})
            return
        self.state.enter(self.path)
        try:
            self.score(body)
        finally:
            self.state.leave()

    def score(self, body):
        delay = self.headers.get("X-Judge-Delay-Ms")
        delay_ms = float(delay) if delay is not None else self.state.delay_ms
        if delay_ms > 0:
            time.sleep(delay_ms / 1000.0)
        fault = self.state.take_fault()
        if fault == "fail_400":
            self.reply(400, {"error": "injected 400"})
            return
        if fault == "fail_429":
            self.reply(429, {"error": "injected 429"}, extra_headers=[("Retry-After", str(self.state.retry_after))])
            return
        if fault == "fail_500":
            self.reply(500, {"error": "injected 500"})
            return
        if fault == "echo_headers":
            # A careless judge that echoes the request headers (credentials included) in its error body.
            self.reply(500, {"authorization": self.headers.get("Authorization"), "headers": dict(self.headers.items())})
            return
        if fault == "garbage":
            self.reply(200, b"this is not json {", content_type="text/plain")
            return
        try:
            if self.path == "/grao":
                out = self.grao(body, fault)
            elif self.path == "/get_reward":
                out = self.openrlhf(body, fault)
            else:
                out = self.chat(body, fault)
        except (KeyError, TypeError, AttributeError, ValueError) as e:
            self.reply(400, {"error": f"bad request: {e!r}"})
            return
        self.reply(200, json.dumps(out, allow_nan=True).encode())

    def grao(self, body, fault):
        results = []
        for item in body["items"]:
            if item["completion"] == "!error":
                results.append({"id": item["id"], "error": "judge refused this item"})
                continue
            value = math.nan if fault == "nan" else score_text(item["completion"], item.get("reference"))
            results.append({"id": item["id"], "score": value, "components": {"length": len(item["completion"])}})
        if fault == "short":
            results = results[:-1]
        return {"results": results}

    def openrlhf(self, body, fault):
        queries = body["query"]
        prompts = body.get("prompts") or [""] * len(queries)
        labels = body.get("labels") or [None] * len(queries)
        rewards = []
        for query, prompt, label in zip(queries, prompts, labels):
            completion = query[len(prompt):] if query.startswith(prompt) else query
            rewards.append(math.nan if fault == "nan" else score_text(completion, label))
        if fault == "short":
            rewards = rewards[:-1]
        if self.state.scalar and len(rewards) == 1:
            return {"rewards": rewards[0]}
        return {"rewards": rewards, "scores": rewards}

    def chat(self, body, fault):
        content = body["messages"][-1]["content"]
        answer = "0.5"
        for line in content.splitlines():
            if line.startswith("judge-reply:"):
                answer = line[len("judge-reply:"):].strip()
        if fault == "nan":
            answer = "NaN"
        return {"id": "chatcmpl-judge", "object": "chat.completion", "model": body.get("model", "judge"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": answer},
                             "finish_reason": "stop"}]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--retry-after", default="1")
    parser.add_argument("--scalar", action="store_true")
    parser.add_argument("--require-bearer", metavar="TOKEN", help="answer 401 unless Authorization: Bearer TOKEN")
    for name in FAULTS:
        parser.add_argument("--" + name.replace("_", "-"), type=int, default=0)
    parser.add_argument("--tls-cert", help="PEM certificate: serve https")
    parser.add_argument("--tls-key", help="PEM private key for --tls-cert")
    args = parser.parse_args()

    Handler.state = State(args)
    ThreadingHTTPServer.request_queue_size = 256
    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    try:
        server.serve_forever(poll_interval=0.05)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
