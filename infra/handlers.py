"""Load a function's handler from its CodeUri and Handler, as Lambda would."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from functools import cache
from types import ModuleType
from typing import Any

from infra.template import ROOT

Handler = Callable[[dict[str, Any], Any], Any]


@cache
def load_handler(code_uri: str, handler: str) -> Handler:
    function_name = handler.rsplit(".", 1)[1]
    found: Handler = getattr(load_function_module(code_uri, handler), function_name)
    return found


@cache
def load_function_module(code_uri: str, handler: str) -> ModuleType:
    """The module a function's Handler names, loaded once from its CodeUri."""
    module_name = handler.rsplit(".", 1)[0]
    path = ROOT / code_uri / f"{module_name.replace('.', '/')}.py"
    unique = f"rendezvous_fn_{path.parent.name}_{module_name}"
    spec = importlib.util.spec_from_file_location(unique, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[unique] = module
    spec.loader.exec_module(module)
    return module


class LambdaContext:
    """The attributes Powertools reads from a Lambda context."""

    def __init__(self, function_name: str, memory_mb: int = 256) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        )
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = "local-request"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000
