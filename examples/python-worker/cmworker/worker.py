"""A worker over the HTTP worker protocol: claim (long-poll), heartbeat, complete/fail, release.

Worker(api, {"name": fn}).run() claims jobs of those functions until SIGTERM/SIGINT, running up to
`concurrency` at once, each in a thread: `fn(ctx, *args)` with ctx a JobContext. On a stop signal it
stops claiming, gives running jobs `grace` seconds, then asks them to stop and hands them back
(release with reason "shutdown" and their checkpoint).
"""

import logging
import os
import re
import signal
import socket
import threading
import time
import traceback

from .canonical import ALGORITHMS, canonical, digest
from .codec import CodecError, decode, encode
from .context import Interrupted, JobContext
from .protocol import ProtocolError

log = logging.getLogger("cmworker")

#: Exceptions that running again will not fix: they fail the job for good (others are retried).
PERMANENT = (ValueError, TypeError, ArithmeticError, LookupError, NotImplementedError, CodecError)
MAX_TEXT = 64 * 1024
VERSION = "cmworker-python 0.1"


def default_worker_id():
    host = re.sub(r"[^A-Za-z0-9._:@-]", "-", socket.gethostname())[:80]
    return f"py-{host}-{os.getpid()}"


def error_body(err):
    """The protocol's `error` of a Python exception (name, message, stack; each within the limits)."""
    stack = "".join(traceback.format_exception(type(err), err, err.__traceback__))
    return {"name": type(err).__name__[:256], "message": str(err)[:MAX_TEXT], "stack": stack[-MAX_TEXT:]}


def key_check(job):
    """"reproduced" when the job's hash is core's hashKey of its call computed here, "differs" if not."""
    algorithm = job.get("hashAlgorithm", "sha256")
    if not isinstance(job.get("hash"), str) or algorithm not in ALGORITHMS:
        return "not checked"
    call = {"args": job.get("args"), "fn": job.get("functionFull") or job["function"]}
    if job.get("version") is not None:
        call["version"] = job["version"]
    try:
        return "reproduced" if digest(canonical(call), algorithm) == job["hash"] else "differs"
    except (CodecError, KeyError, TypeError):
        return "differs"


def retryable(err):
    flag = getattr(err, "retryable", None)
    return flag if isinstance(flag, bool) else not isinstance(err, PERMANENT)


class Worker:
    def __init__(self, api, functions, worker_id=None, concurrency=2, lease_ms=30000, wait_ms=10000,
                 grace=10.0, namespace=None):
        if not functions:
            raise ValueError("functions: give at least one job function")
        self.api = api
        self.functions = dict(functions)
        self.worker_id = worker_id or default_worker_id()
        self.concurrency = concurrency
        self.lease_ms = lease_ms
        self.wait_ms = wait_ms
        self.grace = grace
        self.namespace = namespace
        self.running = {}  # job id → JobContext
        self.stopping = threading.Event()
        self._slot = threading.Condition()

    # ── lifecycle ──────────────────────────────────────────────────────────────────────────────────

    def run(self):
        """Claims and runs jobs until stop() or SIGTERM/SIGINT; then shuts down gracefully."""
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: self.stop())
        claimer = threading.Thread(target=self._claim_loop, name="claim", daemon=True)
        claimer.start()
        log.info("worker %s: %s (concurrency %d)", self.worker_id, ", ".join(self.functions), self.concurrency)
        while not self.stopping.wait(0.5):
            pass
        self._shutdown(claimer)

    def stop(self):
        self.stopping.set()
        with self._slot:
            self._slot.notify_all()

    def _shutdown(self, claimer):
        log.info("worker %s: stopping (grace %.1f s for %d job(s))", self.worker_id, self.grace, len(self.running))
        # A claim in flight may still bring jobs: they are handed back as soon as they arrive.
        claimer.join(self.wait_ms / 1000 + self.api.timeout)
        deadline = time.monotonic() + self.grace
        for ctx in list(self.running.values()):
            ctx.done.wait(max(0.0, deadline - time.monotonic()))
        for ctx in list(self.running.values()):
            ctx.request_stop("shutdown")
        for ctx in list(self.running.values()):
            ctx.done.wait(5.0)  # the function notices at its next check(); its runner releases the job
        log.info("worker %s: stopped", self.worker_id)

    # ── claiming ───────────────────────────────────────────────────────────────────────────────────

    def _free_slots(self):
        with self._slot:
            while len(self.running) >= self.concurrency and not self.stopping.is_set():
                self._slot.wait(1.0)
            return self.concurrency - len(self.running)

    def _claim_loop(self):
        failures = 0
        while not self.stopping.is_set():
            free = self._free_slots()
            if self.stopping.is_set():
                return
            try:
                jobs = self.api.claim(self.worker_id, sorted(self.functions), free, self.wait_ms, self.lease_ms,
                                      namespace=self.namespace, host=socket.gethostname()[:256],
                                      pid=os.getpid(), version=VERSION, running=len(self.running))
                failures = 0
            except (ProtocolError, OSError) as err:
                failures += 1
                log.warning("claim failed (%s); retrying", err)
                self.stopping.wait(min(30.0, 0.5 * 2 ** min(failures, 6)))
                continue
            for job in jobs:
                if self.stopping.is_set():
                    self._release(job, JobContext(job, None), "shutdown")
                else:
                    self._start(job)

    def _start(self, job):
        try:
            checkpoint = decode(job.get("checkpoint")) if job.get("checkpoint") is not None else None
        except CodecError:
            checkpoint = None
        ctx = JobContext(job, checkpoint)
        with self._slot:
            self.running[job["id"]] = ctx
        threading.Thread(target=self._run, args=(job, ctx), name=f"job-{job['id']}", daemon=True).start()
        threading.Thread(target=self._heartbeat, args=(job, ctx), name=f"hb-{job['id']}", daemon=True).start()

    # ── one job ────────────────────────────────────────────────────────────────────────────────────

    def _run(self, job, ctx):
        log.info("job %s: %s (attempt %s), key %s %s", job["id"], job["function"], job.get("attempt"),
                 str(job.get("hash"))[:12], key_check(job))
        try:
            fn = self.functions.get(job["function"])
            if fn is None:
                raise LookupError(f"this worker has no function {job['function']!r}")
            args = decode(job["args"])
            result = fn(ctx, *(args if isinstance(args, list) else [args]))
        except Interrupted as stop:
            self._interrupted(job, ctx, stop.reason)
        except Exception as err:  # the function's failure is the job's failure
            if ctx.stop_reason is not None:
                self._interrupted(job, ctx, ctx.stop_reason)
            else:
                self._fail(job, err, retryable(err))
        else:
            if ctx.stop_reason in ("cancel", "lost"):
                log.info("job %s: result dropped (%s)", job["id"], ctx.stop_reason)
            else:
                self._complete(job, result)
        finally:
            ctx.done.set()
            with self._slot:
                self.running.pop(job["id"], None)
                self._slot.notify_all()

    def _heartbeat(self, job, ctx):
        interval = max(0.2, job.get("heartbeatMs", self.lease_ms // 3) / 1000)
        sent = ctx.saved
        while not ctx.done.wait(interval):
            fraction, message = ctx.latest_progress()
            saved = ctx.saved
            try:
                checkpoint = encode(saved) if saved is not sent and saved is not None else None
                answer = self.api.heartbeat(job["id"], job["leaseToken"], fraction, message, checkpoint) or {}
                sent = saved
            except ProtocolError as err:
                if err.status in (404, 409):
                    log.warning("job %s: lease lost (%s)", job["id"], err)
                    ctx.request_stop("lost")
                    return
                log.warning("job %s: heartbeat refused (%s)", job["id"], err)
                continue
            except (OSError, CodecError) as err:
                log.warning("job %s: heartbeat failed (%s); the lease holds until it runs out", job["id"], err)
                continue
            requested = answer.get("requested")
            if requested in ("pause", "cancel"):
                log.info("job %s: %s requested", job["id"], requested)
                ctx.request_stop(requested)
                if requested == "cancel":
                    return

    def _interrupted(self, job, ctx, reason):
        if reason in ("pause", "shutdown"):
            self._release(job, ctx, reason)
        else:
            log.info("job %s: stopped (%s)", job["id"], reason)

    def _release(self, job, ctx, reason):
        try:
            checkpoint = encode(ctx.saved) if ctx.saved is not None else None
            answer = self.api.release(job["id"], job["leaseToken"], reason, checkpoint)
            log.info("job %s: released (%s) → %s", job["id"], reason, (answer or {}).get("status"))
        except (ProtocolError, OSError, CodecError) as err:
            log.warning("job %s: release (%s) failed: %s", job["id"], reason, err)

    def _complete(self, job, result):
        try:
            tree = encode(result)
        except CodecError as err:
            self._fail(job, err, False)
            return
        for attempt in range(3):
            try:
                self.api.complete(job["id"], job["leaseToken"], tree)
                log.info("job %s: finished", job["id"])
                return
            except ProtocolError as err:
                if err.status in (400, 413):  # the server refuses this result: a failure of the job
                    self._fail(job, err, False)
                    return
                if err.status != 503:
                    log.warning("job %s: complete refused: %s", job["id"], err)
                    return
                log.warning("job %s: store unavailable, retrying the complete", job["id"])
            except OSError as err:
                log.warning("job %s: complete failed (%s), retrying", job["id"], err)
            time.sleep(0.5 * 2**attempt)
        log.warning("job %s: result not delivered; the job runs again after its lease", job["id"])

    def _fail(self, job, err, can_retry):
        try:
            answer = self.api.fail(job["id"], job["leaseToken"], error_body(err), can_retry)
            log.info("job %s: failed (%s: %s) → %s", job["id"], type(err).__name__, err, (answer or {}).get("status"))
        except (ProtocolError, OSError) as failure:
            log.warning("job %s: fail not recorded: %s", job["id"], failure)
