"""python3 -m cmworker --url http://127.0.0.1:3000 --token $TOKEN [options]: runs the demo functions."""

import argparse
import logging
import os
import sys

from .demo import FUNCTIONS
from .protocol import Api
from .worker import Worker


def parse_args(argv):
    env = os.environ.get
    p = argparse.ArgumentParser(prog="python3 -m cmworker", description="A comp-manager worker over HTTP.")
    p.add_argument("--url", default=env("CM_URL", "http://127.0.0.1:3000"), help="server base URL (CM_URL)")
    p.add_argument("--token", default=env("CM_TOKEN"), help="JWT or API key with the worker role (CM_TOKEN)")
    p.add_argument("--functions", default=",".join(FUNCTIONS), help="comma-separated subset to serve")
    p.add_argument("--worker-id", default=env("CM_WORKER_ID"), help="default py-<host>-<pid>")
    p.add_argument("--concurrency", type=int, default=2, help="jobs at once (default 2)")
    p.add_argument("--lease-ms", type=int, default=30000, help="lease of each job, 1000..3600000 (default 30000)")
    p.add_argument("--wait-ms", type=int, default=10000, help="claim long-poll, 0..30000 (default 10000)")
    p.add_argument("--grace", type=float, default=10.0, help="seconds running jobs get on SIGTERM (default 10)")
    p.add_argument("--namespace", default=env("CM_NAMESPACE"), help="claim in this namespace only")
    p.add_argument("--log-level", default=env("CM_LOG_LEVEL", "INFO"), help="DEBUG, INFO, WARNING…")
    args = p.parse_args(argv)
    if not args.token:
        p.error("a token is required: --token or CM_TOKEN")
    unknown = sorted(set(args.functions.split(",")) - set(FUNCTIONS))
    if unknown:
        p.error(f"unknown function(s) {', '.join(unknown)}; this worker has {', '.join(FUNCTIONS)}")
    if not 1 <= args.concurrency <= 32:
        p.error("--concurrency must be from 1 to 32")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    functions = {name: FUNCTIONS[name] for name in args.functions.split(",")}
    worker = Worker(Api(args.url, args.token), functions, worker_id=args.worker_id, concurrency=args.concurrency,
                    lease_ms=args.lease_ms, wait_ms=args.wait_ms, grace=args.grace, namespace=args.namespace)
    worker.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
