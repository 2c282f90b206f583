"""A Twilio-compatible sandbox: the Messages API, signed status callbacks, and a phone.

config = SandboxConfig(account_sid="AC...", auth_token="...",
                       inbound_webhook_url="http://127.0.0.1:3000/twilio/inbound")
with SandboxServer(config) as sandbox:
    client = twilio.rest.Client(config.account_sid, config.auth_token)
    client.api.base_url = sandbox.base_url
"""

from .app import create_sandbox_app, sandbox_of
from .config import SandboxConfig
from .core import Sandbox, TwilioApiError
from .server import SandboxServer

__all__ = [
    "Sandbox",
    "SandboxConfig",
    "SandboxServer",
    "TwilioApiError",
    "create_sandbox_app",
    "sandbox_of",
]
