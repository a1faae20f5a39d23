"""What a job function sees: its progress reporting, its checkpoint, and the requests to stop."""

import threading


class Interrupted(Exception):
    """Raised in a job function (by `check`, `progress` or `sleep`) once the job must stop.

    `reason` is "pause" or "cancel" (an operator asked), "lost" (the lease is gone) or "shutdown".
    A function may catch it to tidy up, then re-raise it.
    """

    def __init__(self, reason):
        super().__init__(f"job interrupted: {reason}")
        self.reason = reason


class JobContext:
    """Passed as the first argument of every job function: `fn(ctx, *args)`."""

    def __init__(self, job, checkpoint):
        self.id = job["id"]
        self.function = job["function"]
        self.attempt = job.get("attempt", 1)
        #: The state a previous runner saved (decoded), or None: resume from it.
        self.checkpoint = checkpoint
        self.stop_reason = None
        self.saved = checkpoint
        self.done = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._progress = (None, None)

    def progress(self, fraction, message=None):
        """Reports progress (0..1) and a message; the next heartbeat carries them. Stops when asked to."""
        with self._lock:
            note = None if message is None else str(message)[:65536]
            self._progress = (max(0.0, min(1.0, float(fraction))), note)
        self.check()

    def save(self, state):
        """Keeps `state` (any codec value) as the checkpoint sent if the job is paused or handed back."""
        self.saved = state

    def check(self):
        """Raises Interrupted when the job has been asked to stop."""
        if self.stop_reason is not None:
            raise Interrupted(self.stop_reason)

    def sleep(self, seconds):
        """Sleeps, waking early (with Interrupted) when the job is asked to stop."""
        if self._stop.wait(seconds):
            self.check()

    @property
    def stopping(self):
        return self.stop_reason is not None

    # ── used by the worker ─────────────────────────────────────────────────────────────────────────

    def request_stop(self, reason):
        if self.stop_reason is None:
            self.stop_reason = reason
        self._stop.set()

    def latest_progress(self):
        with self._lock:
            return self._progress
