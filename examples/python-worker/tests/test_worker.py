"""The worker's reactions, one by one, against the scripted protocol peer (tests/protocol_peer.py)."""

import logging
import os
import signal
import subprocess
import sys
import threading
import unittest

from cmworker.codec import BigInt, encode
from cmworker.demo import FUNCTIONS
from cmworker.protocol import Api, authorization
from cmworker.worker import Worker, key_check
from tests.protocol_peer import ProtocolPeer

logging.getLogger("cmworker").addHandler(logging.NullHandler())
logging.getLogger("cmworker").propagate = False
EXAMPLE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def boom(ctx, kind):
    raise {"value": ValueError, "runtime": RuntimeError}[kind]("it broke")


class WorkerTest(unittest.TestCase):
    def setUp(self):
        self.peer = ProtocolPeer()
        self.addCleanup(self.peer.close)
        functions = dict(FUNCTIONS, **{"py.boom": boom})
        self.worker = Worker(Api(self.peer.url, "cmk_test"), functions, worker_id="py-test", wait_ms=200,
                             lease_ms=3000, grace=0.5)
        self.thread = threading.Thread(target=self.worker.run, daemon=True)
        self.thread.start()
        self.addCleanup(self.stop_worker)

    def stop_worker(self):
        self.worker.stop()
        self.thread.join(10)
        self.assertFalse(self.thread.is_alive(), "the worker stops")

    def request(self, job_id, action, timeout=10.0):
        return self.peer.wait_for(lambda path, body: path == f"/api/v1/computations/{job_id}/{action}", timeout)

    def wait_ended(self, job_id, timeout=5.0):
        """Waits for the job to have been claimed and to have ended in this worker."""
        self.peer.wait_for(lambda path, body: f"/{job_id}/" in path, timeout)
        with self.worker._slot:
            self.worker._slot.wait_for(lambda: job_id not in self.worker.running, timeout)
            self.assertNotIn(job_id, self.worker.running, f"{job_id} ended")

    def test_claims_with_its_identity_and_completes_with_the_encoded_result(self):
        claim = self.peer.wait_for(lambda path, body: path == "/api/v1/workers/claim")
        self.assertEqual(claim[2], "Bearer cmk_test")
        self.assertEqual(claim[1]["workerId"], "py-test")
        self.assertEqual(claim[1]["functions"], sorted(list(FUNCTIONS) + ["py.boom"]))
        self.assertEqual((claim[1]["max"], claim[1]["waitMs"], claim[1]["leaseMs"]), (2, 200, 3000))
        self.peer.add_job("j1", "demo.factorize", [{"__type__": "bigint", "value": "147573952589676412927"}])
        _, body, _ = self.request("j1", "complete")
        self.assertEqual(body["leaseToken"], "lease-j1")
        self.assertEqual(body["result"], encode([BigInt(193707721), BigInt(761838257287)]))

    def test_heartbeats_carry_progress_and_message(self):
        self.peer.add_job("j2", "py.countdown", [8, 100], heartbeat_ms=200)
        _, beat, _ = self.peer.wait_for(
            lambda path, body: path.endswith("/j2/heartbeat") and body.get("progress", 0) > 0
        )
        self.assertEqual(beat["leaseToken"], "lease-j2")
        self.assertRegex(beat["message"], r"^step \d of 8$")
        step = int(beat["message"].split()[1])  # the checkpoint is read just after: it may be one step on
        self.assertIn(beat["checkpoint"], [{"done": step}, {"done": step + 1}])
        self.assertEqual(self.request("j2", "complete")[1]["result"], 8)

    def test_pause_request_releases_with_the_checkpoint(self):
        answer = {"leaseExpiresAt": "2099-01-01T00:00:00.000Z", "requested": "pause"}
        self.peer.heartbeat_answer = lambda job_id, body: (200, answer)
        self.peer.add_job("j3", "py.countdown", [1000, 20], heartbeat_ms=200)
        _, body, _ = self.request("j3", "release")
        self.assertEqual(body["reason"], "pause")
        self.assertGreater(body["checkpoint"]["done"], 0)
        self.assertNotIn("complete", self.peer.paths("j3"))

    def test_resumes_from_a_checkpoint(self):
        self.peer.add_job("j4", "py.countdown", [5, 300], checkpoint={"done": 4})
        self.request("j4", "complete", timeout=3)  # one step left: well within 3 s, not five

    def test_cancel_request_stops_and_forgets(self):
        self.peer.heartbeat_answer = lambda job_id, body: (200, {"leaseExpiresAt": None, "requested": "cancel"})
        self.peer.add_job("j5", "py.countdown", [1000, 20], heartbeat_ms=200)
        self.wait_ended("j5")
        self.assertEqual(set(self.peer.paths("j5")), {"heartbeat"})

    def test_lost_lease_stops_without_writing(self):
        lost = {"statusCode": 409, "code": "CM_ERR_LEASE_LOST", "message": "lease lost", "error": "Conflict"}
        self.peer.heartbeat_answer = lambda job_id, body: (409, lost)
        self.peer.add_job("j6", "py.countdown", [1000, 20], heartbeat_ms=200)
        self.wait_ended("j6")
        self.assertEqual(set(self.peer.paths("j6")), {"heartbeat"})

    def test_failures_are_retryable_unless_permanent(self):
        self.peer.add_job("j7", "py.boom", ["value"])
        self.peer.add_job("j8", "py.boom", ["runtime"])
        permanent = self.request("j7", "fail")[1]
        transient = self.request("j8", "fail")[1]
        self.assertEqual((permanent["retryable"], transient["retryable"]), (False, True))
        self.assertEqual(permanent["error"]["name"], "ValueError")
        self.assertEqual(permanent["error"]["message"], "it broke")
        self.assertIn("Traceback", permanent["error"]["stack"])

    def test_bad_arguments_fail_for_good(self):
        self.peer.add_job("j9", "demo.factorize", [{"__type__": "bigint", "value": "0"}])
        self.peer.add_job("j10", "demo.factorize", [{"__type__": "bigint", "value": "012"}])
        self.assertEqual(self.request("j9", "fail")[1]["retryable"], False)
        self.assertEqual(self.request("j10", "fail")[1]["error"]["name"], "CodecError")

    def test_stop_hands_running_jobs_back(self):
        self.peer.add_job("j11", "py.countdown", [1000, 20], heartbeat_ms=200)
        self.request("j11", "heartbeat")
        self.worker.stop()
        _, body, _ = self.request("j11", "release")
        self.assertEqual(body["reason"], "shutdown")
        self.assertGreater(body["checkpoint"]["done"], 0)


class AuthorizationTest(unittest.TestCase):
    def test_api_keys_and_jwts(self):
        self.assertEqual(authorization("cmk_py_secret"), "Bearer cmk_py_secret")
        self.assertEqual(authorization("eyJhbGciOi.x.y"), "Bearer eyJhbGciOi.x.y")


class KeyCheckTest(unittest.TestCase):
    def test_the_job_hash_is_reproduced_from_its_call(self):
        job = {"function": "fib", "functionFull": "fib", "args": [30],
               "hash": "d84949f716b02047a41efd83b6e5f69d75662b1326add6a28cba45f55c86c8ee"}
        self.assertEqual(key_check(job), "reproduced")
        self.assertEqual(key_check(dict(job, args=[31])), "differs")
        self.assertEqual(key_check(dict(job, version=1)), "differs")
        versioned = dict(job, version=1, hash="aa487dbe296a86fb77de4f66bb82b072ce925bed2aed6200c7fd93de8e78345e")
        self.assertEqual(key_check(versioned), "reproduced")
        self.assertEqual(key_check(dict(job, hash=None)), "not checked")


class SigtermTest(unittest.TestCase):
    def test_sigterm_releases_with_reason_shutdown_and_exits_0(self):
        peer = ProtocolPeer()
        self.addCleanup(peer.close)
        peer.add_job("s1", "py.countdown", [1000, 20], heartbeat_ms=200)
        proc = subprocess.Popen(
            [sys.executable, "-m", "cmworker", "--url", peer.url, "--token", "cmk_x", "--wait-ms", "200",
             "--grace", "0.3", "--functions", "py.countdown"],
            cwd=EXAMPLE_DIR, stderr=subprocess.PIPE, text=True,
        )
        self.addCleanup(proc.stderr.close)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        peer.wait_for(lambda path, body: path == "/api/v1/computations/s1/heartbeat")
        proc.send_signal(signal.SIGTERM)
        _, body, _ = peer.wait_for(lambda path, body: path == "/api/v1/computations/s1/release")
        self.assertEqual(body["reason"], "shutdown")
        self.assertEqual(proc.wait(15), 0)
        self.assertIn("released (shutdown) → queued", proc.stderr.read())
        self.assertNotIn("complete", peer.paths("s1"))


if __name__ == "__main__":
    unittest.main()
