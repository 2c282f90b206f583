"""Cognito's RevokeToken, which moto 5.2.5 does not implement (the console's sign-out
calls it).

Written as an upstream patch would be: a backend method and a response method. Revoking
a refresh token marks it revoked the way moto's own GlobalSignOut does, so a later
REFRESH_TOKEN_AUTH with it answers NotAuthorizedException "Refresh Token has been revoked".
An unknown token succeeds, as RFC 7009 and Cognito answer; a token of another app client
is refused.
"""

from __future__ import annotations

from moto.cognitoidp.exceptions import NotAuthorizedError, ResourceNotFoundError
from moto.cognitoidp.models import CognitoIdpUserPool, cognitoidp_backends
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.responses import ActionResult, EmptyResult


def _pool_of_client(client_id: str) -> CognitoIdpUserPool:
    # RevokeToken is unsigned: no region or account to go by, as with InitiateAuth.
    for by_region in cognitoidp_backends.values():
        for region, backend in by_region.items():
            if region == "global":
                continue
            for pool in backend.user_pools.values():
                if client_id in pool.clients:
                    return pool
    raise ResourceNotFoundError(client_id)


def revoke_token(client_id: str, token: str) -> None:
    pool = _pool_of_client(client_id)
    issued = pool.refresh_tokens.get(token)
    if issued is None:
        return
    issued_to, _, _ = issued
    if issued_to != client_id:
        raise NotAuthorizedError("The token was not issued to this client.")
    pool.refresh_tokens[token] = None


def _revoke_response(self: CognitoIdpResponse) -> ActionResult:
    revoke_token(self._get_param("ClientId"), self._get_param("Token"))
    return EmptyResult()


def apply() -> None:
    """Teach moto's Cognito RevokeToken (idempotent)."""
    CognitoIdpResponse.revoke_token = _revoke_response  # type: ignore[attr-defined]
