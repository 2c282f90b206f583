"""boto3 clients and SSM values, made lazily and cached: cheap cold starts, swappable in tests."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def client(service: str) -> Any:
    import boto3

    return boto3.client(service)  # type: ignore[call-overload]


def secure_parameter(name: str) -> str:
    """An SSM SecureString, decrypted and cached for five minutes (Powertools parameters)."""
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_parameter(name, decrypt=True, max_age=300)
    return str(value)


def parameter(name: str) -> str:
    from aws_lambda_powertools.utilities import parameters

    return str(parameters.get_parameter(name, max_age=300))
