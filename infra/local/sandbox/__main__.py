"""Run the sandbox alone: python -m infra.local.sandbox [--port 3001] [...]"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import secrets
import threading

from .config import SandboxConfig
from .server import SandboxServer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m infra.local.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SANDBOX_PORT", "3001")))
    parser.add_argument(
        "--account-sid",
        default=os.environ.get("TWILIO_ACCOUNT_SID") or "AC" + secrets.token_hex(16),
    )
    parser.add_argument(
        "--auth-token", default=os.environ.get("TWILIO_AUTH_TOKEN") or secrets.token_hex(16)
    )
    parser.add_argument(
        "--webhook-url",
        default=os.environ.get(
            "SANDBOX_INBOUND_WEBHOOK_URL", "http://127.0.0.1:3000/twilio/inbound"
        ),
        help="the app's POST /twilio/inbound URL",
    )
    parser.add_argument(
        "--business-number", action="append", default=[], help="offered by the phone page"
    )
    parser.add_argument(
        "--undelivered", action="append", default=[], help="recipient that gets 30006"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    config = SandboxConfig(
        account_sid=args.account_sid,
        auth_token=args.auth_token,
        inbound_webhook_url=args.webhook_url,
        business_numbers=list(args.business_number),
        undelivered_numbers=set(args.undelivered),
    )
    with SandboxServer(config).start(args.host, args.port) as server:
        print(
            f"Twilio sandbox at {server.base_url}  (phone: {server.base_url}/sandbox/phone)",
            flush=True,
        )
        print(f"account_sid={config.account_sid} auth_token={config.auth_token}", flush=True)
        print(f"inbound webhook: {config.inbound_webhook_url or '(not set)'}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
