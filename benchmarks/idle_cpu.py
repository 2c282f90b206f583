"""CPU an idle local stack burns (`python -m infra.local` in a subprocess, on 127.0.0.1).

Starts the stack, lets it settle, then reads its user+system CPU time (every thread, from
/proc/<pid>/stat) over a quiet window, and reports it as a share of one core. Then books
one appointment and times how long its confirmation takes to reach the sandbox, so an
idle stack that sleeps is shown to still wake at once for work.

    python -m benchmarks.idle_cpu --seconds 20
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

from benchmarks.process_stats import cpu_seconds
from tests.support import local_stack

HTTP_TIMEOUT = 10.0
SETTLE_SECONDS = 3.0
PHONE = "+14155550123"


def confirmation_latency(stack: local_stack.LocalStackProcess) -> float:
    """Seconds from a booking's answer to its text in the sandbox."""
    tenant = stack.tenants[0]
    clock = requests.get(stack.url("/_local/clock"), timeout=HTTP_TIMEOUT).json()["now"]
    here = datetime.fromisoformat(clock).astimezone(ZoneInfo(tenant.timezone))
    # To the next noon at the clinic, outside quiet hours, so the text goes at once.
    noon = here.replace(hour=12, minute=0, second=0, microsecond=0)
    noon += timedelta(days=1) if noon <= here else timedelta(0)
    requests.post(
        stack.url("/_local/clock/advance"),
        json={"minutes": (noon - here).total_seconds() / 60},
        timeout=HTTP_TIMEOUT,
    ).raise_for_status()
    starts_at = noon + timedelta(days=3)
    answer = requests.put(
        stack.url("/v1/appointments/idle-probe"),
        headers={"Authorization": f"Bearer {tenant.booking_token}"},
        json={"customer": {"phone": PHONE, "name": "Ana"}, "starts_at": starts_at.isoformat()},
        timeout=HTTP_TIMEOUT,
    )
    answer.raise_for_status()
    booked = time.monotonic()
    twilio = stack.twilio()
    local_stack.wait_for(
        lambda: twilio.messages.list(to=PHONE, limit=5),
        timeout=10.0,
        interval=0.01,
        what="the confirmation in the sandbox",
    )
    return time.monotonic() - booked


def measure(seconds: float) -> str:
    with tempfile.TemporaryDirectory() as folder:
        stack = local_stack.start(Path(folder))
        try:
            pid = stack.process.pid
            time.sleep(SETTLE_SECONDS)
            cpu_before, wall_before = cpu_seconds(pid), time.monotonic()
            time.sleep(seconds)
            used = cpu_seconds(pid) - cpu_before
            wall = time.monotonic() - wall_before
            latency = confirmation_latency(stack)
        finally:
            local_stack.stop(stack)
    return (
        f"idle local stack: {used:.2f} s CPU over {wall:.1f} s = {used / wall * 100:.1f}% of "
        f"one core; a booking's confirmation then reached the sandbox in {latency * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    print(measure(args.seconds), flush=True)


if __name__ == "__main__":
    main()
