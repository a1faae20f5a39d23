"""A scripted peer of the worker protocol for the worker's unit tests: it hands out the jobs it is given,
records every request, and answers heartbeats as a test tells it to. (The real server is exercised by
test/integration.test.ts; this one only lets the worker's reactions be tested one by one.)"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ProtocolPeer:
    def __init__(self):
        self.jobs = []
        self.requests = []  # (path, body)
        self.heartbeat_answer = lambda job_id, body: (200, {"leaseExpiresAt": "2099-01-01T00:00:00.000Z", "requested": None})
        self.changed = threading.Condition()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                with peer.changed:
                    peer.requests.append((self.path, body, self.headers.get("authorization")))
                    peer.changed.notify_all()
                status, answer = peer.answer(self.path, body)
                data = b"" if answer is None else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def add_job(self, job_id, function, args, checkpoint=None, heartbeat_ms=200):
        job = {"id": job_id, "namespace": "default", "function": function, "functionFull": function,
               "hash": "h" + job_id, "args": args, "checkpoint": checkpoint, "attempt": 1, "maxAttempts": 3,
               "leaseToken": "lease-" + job_id, "leaseExpiresAt": "2099-01-01T00:00:00.000Z",
               "heartbeatMs": heartbeat_ms}
        with self.changed:
            self.jobs.append(job)

    def answer(self, path, body):
        if path == "/api/v1/workers/claim":
            deadline = time.monotonic() + body.get("waitMs", 0) / 1000
            while time.monotonic() < deadline or self.jobs:
                with self.changed:
                    if self.jobs:
                        taken, self.jobs = self.jobs[: body["max"]], self.jobs[body["max"]:]
                        return 200, {"jobs": taken}
                time.sleep(0.02)
            return 204, None
        job_id, action = path.split("/")[-2:]
        if action == "heartbeat":
            return self.heartbeat_answer(job_id, body)
        if action == "fail":
            return 200, {"status": "queued" if body["retryable"] else "failed", "next": None}
        if action == "release":
            return 200, {"status": {"pause": "paused", "cancel": "failed", "shutdown": "queued"}[body["reason"]]}
        return 200, {"id": job_id, "status": "finished"}

    def wait_for(self, predicate, timeout=10.0):
        """The first recorded request (path, body, authorization) matching predicate(path, body)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for request in self.requests:
                    if predicate(request[0], request[1]):
                        return request
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no such request within {timeout} s; got {[r[0] for r in self.requests]}")
                self.changed.wait(left)

    def paths(self, job_id):
        return [p.split("/")[-1] for p, _, _ in self.requests if f"/computations/{job_id}/" in p]
