"""The worker protocol's HTTP calls (docs/WORKER-PROTOCOL.md), over urllib."""

import json
import urllib.error
import urllib.parse
import urllib.request


class ProtocolError(Exception):
    """A response the worker did not expect: its status and the standard error body (when there is one)."""

    def __init__(self, status, body):
        code = body.get("code") if isinstance(body, dict) else None
        message = body.get("message") if isinstance(body, dict) else None
        super().__init__(f"HTTP {status} {code or ''} {message or ''}".strip())
        self.status = status
        self.code = code
        self.body = body


def authorization(token):
    """`Bearer <token>` for either credential, a JWT or an API key `cmk_…` (docs/WORKER-PROTOCOL.md)."""
    return f"Bearer {token}"


class Api:
    """POSTs JSON under `<base_url>/api/v1` with the worker's credential (a JWT or an API key)."""

    def __init__(self, base_url, token, timeout=30.0):
        self.base = base_url.rstrip("/") + "/api/v1"
        self.authorization = authorization(token)
        self.timeout = timeout

    def post(self, path, body, timeout=None):
        """(status, parsed body or None). 2xx only; anything else raises ProtocolError."""
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(body, separators=(",", ":"), allow_nan=False).encode("utf-8"),
            method="POST",
            headers={"content-type": "application/json", "authorization": self.authorization},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:
                return response.status, _json(response.read())
        except urllib.error.HTTPError as err:
            with err:
                raise ProtocolError(err.code, _json(err.read())) from None

    # ── the protocol's routes ──────────────────────────────────────────────────────────────────────

    def claim(self, worker_id, functions, max_jobs, wait_ms, lease_ms, **info):
        body = {"workerId": worker_id, "functions": functions, "max": max_jobs, "waitMs": wait_ms}
        body["leaseMs"] = lease_ms
        body.update({k: v for k, v in info.items() if v is not None})
        status, answer = self.post("/workers/claim", body, timeout=self.timeout + wait_ms / 1000)
        return [] if status == 204 or answer is None else answer["jobs"]

    def heartbeat(self, job_id, lease_token, progress=None, message=None, checkpoint=None):
        body = {"leaseToken": lease_token}
        if checkpoint is not None:
            body["checkpoint"] = checkpoint
        if progress is not None:
            body["progress"] = progress
        if message is not None:
            body["message"] = message
        return self.post(f"/computations/{_segment(job_id)}/heartbeat", body)[1]

    def complete(self, job_id, lease_token, result):
        body = {"leaseToken": lease_token, "result": result}
        return self.post(f"/computations/{_segment(job_id)}/complete", body)[1]

    def fail(self, job_id, lease_token, error, retryable):
        body = {"leaseToken": lease_token, "error": error, "retryable": retryable}
        return self.post(f"/computations/{_segment(job_id)}/fail", body)[1]

    def release(self, job_id, lease_token, reason, checkpoint=None):
        body = {"leaseToken": lease_token, "reason": reason}
        if checkpoint is not None:
            body["checkpoint"] = checkpoint
        return self.post(f"/computations/{_segment(job_id)}/release", body)[1]


def _segment(job_id):
    return urllib.parse.quote(str(job_id), safe="")


def _json(raw):
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return {"message": raw[:200].decode("utf-8", "replace")}
