"""HostResolver on the system resolver (socket.getaddrinfo)."""

from __future__ import annotations

import socket


class SocketHostResolver:
    def addresses(self, host: str) -> list[str]:
        try:
            found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            # gaierror (no such name, no answer) is an OSError; an unencodable name a
            # UnicodeError: either way the host does not resolve.
            return []
        return sorted({str(info[4][0]) for info in found})
