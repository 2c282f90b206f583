"""The functions and the shared layer as `sam build` makes them, built on this machine.

Each is built by its own target of infra/build/Makefile, the one `sam build` runs, with two
things swapped for local work: this interpreter instead of Lambda's python3.13 (bytecode is
version specific, so the local build is only good for local measurements and tests), and
the layer's dependencies copied from this virtual environment (synced from the same lock)
instead of downloaded for arm64.

    python -m benchmarks.artifacts --target DIR -r requirements.txt

is that copy, with pip's command line: the Makefile's PIP_INSTALL for a local build.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from infra.template import ROOT, load_template, resources_of

MAKEFILE = ROOT / "infra" / "build" / "Makefile"
# What Lambda's Python runtime provides itself, next to the standard library.
RUNTIME_PACKAGES = (
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "python-dateutil",
    "six",
    "urllib3",
)


@dataclass(frozen=True)
class Artifacts:
    """Where each part lands, in the order Lambda puts them on sys.path."""

    functions: dict[str, Path]  # logical id -> /var/task
    layer: Path  # /opt/python
    runtime: Path  # the runtime's own boto3

    def path_for(self, function: str | None) -> list[Path]:
        head = [self.functions[function]] if function else []
        return [*head, self.layer, self.runtime]

    def without_bytecode(self, root: Path) -> Artifacts:
        """A copy of everything with no .pyc at all: a build that ships sources only."""

        def strip(tree: Path, name: str) -> Path:
            copy = root / name
            shutil.copytree(tree, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            return copy

        return Artifacts(
            functions={f: strip(p, f"functions/{f}") for f, p in self.functions.items()},
            layer=strip(self.layer, "layer/python"),
            runtime=strip(self.runtime, "runtime"),
        )


def bare_python() -> str:
    """This interpreter outside its virtual environment: run with -S, it has no
    site-packages, so every module comes from a build or from the standard library."""
    return str(Path(sys.base_prefix) / "bin" / Path(sys.executable).name)


def pinned(requirements: Path) -> list[tuple[str, str]]:
    """The `name==version` lines of a requirements file that `uv export` wrote."""
    pins = []
    for line in requirements.read_text().splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins.append((name.strip(), version.split(";")[0].strip()))
    return pins


def install(pins: list[tuple[str, str | None]], target: Path) -> None:
    """Copy each distribution's files from this environment into `target`, sources only."""
    target.mkdir(parents=True, exist_ok=True)
    for name, version in pins:
        dist = importlib.metadata.distribution(name)
        if version is not None and dist.version != version:
            raise SystemExit(f"{name} {dist.version} is installed, {version} is required")
        for file in dist.files or ():
            # Scripts land outside site-packages; bytecode is the build's job, not the copy's.
            if file.parts[0] == ".." or "__pycache__" in file.parts or file.suffix == ".pyc":
                continue
            destination = target / file
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(Path(str(file.locate())), destination)


def _make(target: str, cwd: Path, artifacts_dir: Path) -> None:
    python = sys.executable
    subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-s",
            "-f",
            str(MAKEFILE),
            target,
            f"ARTIFACTS_DIR={artifacts_dir}",
            f"RUNTIME_VERSION={sys.version_info.major}.{sys.version_info.minor}",
            f"LAMBDA_PYTHON={python}",
            f"PIP_INSTALL={python} -m benchmarks.artifacts --target",
        ],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
        timeout=600,
    )


def build(root: Path, functions: list[str] | None = None) -> Artifacts:
    """Build the layer and the functions (all, or those named) under `root`."""
    template = load_template()
    built: dict[str, Path] = {}
    for logical, fn in sorted(resources_of(template, "AWS::Serverless::Function").items()):
        if functions is None or logical in functions:
            built[logical] = root / "functions" / logical
            _make(f"build-{logical}", ROOT / fn["Properties"]["CodeUri"], built[logical])
    (layer_id, layer), *_ = resources_of(template, "AWS::Serverless::LayerVersion").items()
    _make(f"build-{layer_id}", ROOT / layer["Properties"]["ContentUri"], root / "layer")
    runtime = root / "runtime"
    install([(name, None) for name in RUNTIME_PACKAGES], runtime)
    compile_all = ("-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash")
    subprocess.run([sys.executable, *compile_all, str(runtime)], check=True, timeout=600)
    return Artifacts(functions=built, layer=root / "layer" / "python", runtime=runtime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", type=Path, required=True)
    parser.add_argument("-r", dest="requirements", type=Path, required=True)
    args = parser.parse_args()
    install(list(pinned(args.requirements)), args.target)


if __name__ == "__main__":
    main()
