"""Cold start: each handler module's import time as a ratio to `import boto3` alone.

Every sample is a fresh interpreter (`python -c`), as a Lambda cold start is. Baseline and
handlers are interleaved round by round, so a noisy moment hits them alike; the median of
each is reported.

Handlers make their boto3 clients on first use, so importing a handler alone does not load
boto3. Two figures are given for each: the module import alone, and the module import plus
`import boto3`, which the first invocation pays anyway. The second is the honest one.

    python -m benchmarks.cold_start [--rounds 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

from infra.template import ROOT, load_template, resources_of

SNIPPET = """
import sys, time
sys.path.insert(0, {path!r})
start = time.perf_counter()
{statement}
print((time.perf_counter() - start) * 1000)
"""


def sample(statement: str, path: str, env: dict[str, str]) -> float:
    code = SNIPPET.format(path=path, statement=statement)
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    template = load_template()
    # The functions' own static settings (service name, tracing off by default, ...).
    declared = template["Globals"]["Function"]["Environment"]["Variables"]
    env = {
        **os.environ,
        **{k: v for k, v in declared.items() if isinstance(v, str)},
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_DEFAULT_REGION": "us-east-1",
        "TABLE_NAME": "bench",
    }
    functions = {
        name: str(ROOT / fn["Properties"]["CodeUri"])
        for name, fn in sorted(resources_of(template, "AWS::Serverless::Function").items())
    }
    samples: dict[str, list[float]] = {"import boto3": []}
    for name in functions:
        samples[name] = []
        samples[f"{name} + boto3"] = []
    # One warm-up of each, so byte-code compilation is not counted.
    sample("import boto3", str(ROOT), env)
    for path in functions.values():
        sample("import app", path, env)
    for _ in range(args.rounds):
        samples["import boto3"].append(sample("import boto3", str(ROOT), env))
        for name, path in functions.items():
            samples[name].append(sample("import app", path, env))
            samples[f"{name} + boto3"].append(sample("import app; import boto3", path, env))

    baseline = statistics.median(samples["import boto3"])
    print(f"cold start, {args.rounds} fresh interpreters each, median import time")
    print(f"{'module':<36}{'median ms':>10}{'min ms':>9}{'max ms':>9}{'x boto3':>9}")
    for name, values in samples.items():
        median = statistics.median(values)
        print(
            f"{name:<36}{median:>10.1f}{min(values):>9.1f}{max(values):>9.1f}"
            f"{median / baseline:>9.2f}"
        )


if __name__ == "__main__":
    main()
