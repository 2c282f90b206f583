"""`make run`: the whole system on this machine. python -m infra.local

Environment: PORT (API, default 3000), SANDBOX_PORT (Twilio sandbox, default 3001),
RENDEZVOUS_LOCAL_DIR (where credentials.json and run.lock go, default .local/).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
import warnings
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[2]


def process_started_at() -> float:
    """When this process started (epoch seconds), from /proc where there is one."""
    try:
        stat = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(stat[19])  # field 22, starttime, in clock ticks after boot
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.time()


STARTED_AT = process_started_at()


def _port(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip() or str(default)
    if not raw.isdigit() or int(raw) > 65535:
        raise SystemExit(f"error: {name} must be a port number, got {raw!r}")
    return int(raw)


def _configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    for noisy in ("werkzeug", "moto", "botocore", "boto3", "urllib3", "twilio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Powertools says so after every invocation that records no metric.
    warnings.filterwarnings("ignore", message="No application metrics to publish")


def main() -> int:
    local_dir = Path(os.environ.get("RENDEZVOUS_LOCAL_DIR") or ROOT / ".local").resolve()
    port = _port("PORT", 3000)
    sandbox_port = _port("SANDBOX_PORT", 3001)

    from infra.local.lock import RunLock

    lock = RunLock(local_dir / "run.lock")
    if not lock.acquire():
        holder = lock.holder()
        print(
            f"error: a local stack is already running with state in {local_dir}"
            + (f" (pid {holder})" if holder else "")
            + ". Stop it (Ctrl-C in its terminal) or set RENDEZVOUS_LOCAL_DIR to another"
            " directory.",
            file=sys.stderr,
        )
        return 1

    # A plain flag, not threading.Event: Event.set() from a signal handler can deadlock
    # with the main thread's own Event.wait() on the same lock.
    stopping: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    _configure_logging()

    from infra.local.stack import Options, Stack, StartupError

    stack = Stack(Options(local_dir=local_dir, port=port, sandbox_port=sandbox_port))
    from infra.local.clock import stamp_logs_with

    stamp_logs_with(stack.clock.now)
    try:
        try:
            stack.start()
        except StartupError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(stack.banner(time.time() - STARTED_AT), flush=True)
        while not stopping:
            time.sleep(0.2)
        print("stopping ...", flush=True)
        return 0
    finally:
        stack.stop()
        lock.release()


if __name__ == "__main__":
    sys.exit(main())
