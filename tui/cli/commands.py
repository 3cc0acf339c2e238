"""The CLI's commands: each takes the parsed arguments and returns the exit status.

They only call the engine and print; anything that can fail raises RnbenchError, which `main.main`
turns into one line and an exit status.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from rnbench.core.assembly import build_engine_from
from rnbench.core.backends.protocol import State
from rnbench.core.configs import Configuration
from rnbench.core.engine import Engine, TestRun
from rnbench.core.errors import ControlPlaneError, UsageError
from rnbench.core.images import default_image, read_image
from rnbench.core.leftovers import accrued
from rnbench.core.loadgen.distributed import check_distributed, parse_master, worker_command
from rnbench.core.loadgen.types import LoadSpec
from rnbench.core.model_choice import choose_model
from rnbench.core.run.options import TestSettings, checked, describe_spec
from rnbench.core.run.sweep import SweepPoint
from rnbench.results.record import RunRecord
from rnbench.tui.cli import foreign
from rnbench.tui.cli.output import money, num, progress_line, runs_table, say, table
from rnbench.tui.cli.sweep import study_table

LITTLE_LIMIT_PCT = 5.0


def _engine(args: argparse.Namespace) -> Engine:
    return build_engine_from(vars(args))


def cmd_configs(args: argparse.Namespace) -> int:
    from rnbench.core.backends.sagemaker.images import describe_image
    from rnbench.results.seed import published_rows

    engine = _engine(args)
    published = {row.label: row for row in published_rows()}
    rows, images = [], []
    unpriced: dict[str, list[str]] = {}
    for config in engine.configurations():
        status = engine.status(config)
        state = status.state.value + (f": {status.reason}" if status.reason else "")
        study = published.get(config.study_label or "")
        price = engine.price(config)
        framework, _, image = describe_image(config).partition(" · ")
        if image:
            images.append(f"  {config.key}: {image}")
        if price is None:
            unpriced.setdefault(engine.price_note(config), []).append(config.key)
        rows.append(
            [
                config.key,
                config.label,
                config.backend,
                config.instance_type,
                config.runtime,
                framework,
                money(price.usd_per_hour, 3) if price else "",
                num(study.tps) if study else "",
                state,
            ]
        )
    headers = (
        "key", "label", "backend", "instance", "runtime", "framework", "$/h", "study TPS", "state"
    )  # fmt: skip
    print(table(headers, rows))
    print("\nimages (from the installed SageMaker SDK; today's rows run the newest it knows):")
    print("\n".join(images))
    for note, keys in unpriced.items():
        print(f"{', '.join(keys)}: {note}")
    _print_leftovers(engine, heading=True)
    return 0


def _print_leftovers(engine: Engine, heading: bool = False) -> int:
    """List what rnbench has up, with age and cost so far; returns how many."""
    owned = engine.owned()
    if not owned:
        if not heading:
            print("rnbench has nothing deployed")
        return 0
    rows = []
    for deployment in owned:
        config = engine.configuration(deployment.config_key)
        price = engine.price(config)
        cost = accrued(deployment.created_at, price.usd_per_hour if price else None, time.time())
        rows.append(
            [
                deployment.config_key,
                deployment.resource_id,
                deployment.instance_type,
                f"{cost.age_s / 60:.0f} min",
                money(price.usd_per_hour, 3) if price else "",
                money(cost.usd),
            ]
        )
    if heading:
        print("\nstill deployed (tear down with `rnbench teardown --all`):")
    print(table(("config", "resource", "instance", "up", "$/h", "$ so far"), rows))
    return len(owned)


def cmd_leftovers(args: argparse.Namespace) -> int:
    _print_leftovers(_engine(args))
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from rnbench.inference.models import available_models

    print("\n".join(available_models()))
    print("or a file: TorchScript (.pt/.pth) or ONNX (.onnx); default resnet50")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    command = [sys.executable, "-m", "rnbench.inference.server", "--runtime", args.runtime]
    command += ["--device", args.device, "--host", args.host, "--port", str(args.port)]
    if args.weights is not None:
        command += ["--weights", str(args.weights)]
    command += choose_model(args.model, args.input_size).server_args
    if args.max_batch is not None:
        command += ["--max-batch", str(args.max_batch)]
    if args.max_delay_ms is not None:
        command += ["--max-delay-ms", repr(args.max_delay_ms)]
    os.execv(sys.executable, command)
    return 0  # not reached


def _usable(engine: Engine, key: str) -> Configuration:
    """The configuration named `key`, when its backend can serve it here.

    Raises:
        UsageError: unknown, or unavailable here (the message says why: no AWS region, ...).
    """
    config = engine.configuration(key)
    engine.check_usable(config)
    return config


def cmd_compile(args: argparse.Namespace) -> int:
    engine = _engine(args)
    engine.compile(_usable(engine, args.config), say)
    return 0


def cmd_deploy(args: argparse.Namespace) -> int:
    engine = _engine(args)
    deployment = engine.deploy(_usable(engine, args.config), say)
    print(f"{deployment.config_key}: in service ({deployment.resource_id})")
    _note_weights(deployment.details.get("weights"))
    return 0


def _specs(args: argparse.Namespace) -> list[LoadSpec]:
    """The load points of the options, checked as the TUI's settings are."""
    settings = TestSettings(
        tuple(args.concurrency),
        args.duration,
        args.warmup,
        tuple(args.rate or ()),
        args.stability,
        args.max_error_pct,
    )
    specs = checked(settings).specs(timeout_s=args.timeout, arrival=args.arrival)
    return [_distributed(spec, args) for spec in specs]


def _distributed(spec: LoadSpec, args: argparse.Namespace) -> LoadSpec:
    """`spec` run by Locust workers when --workers or --remote-workers ask for them.

    Raises:
        UsageError: Locust workers cannot run it (an open loop, fewer clients than workers).
    """
    workers, remote = getattr(args, "workers", 0), getattr(args, "remote_workers", 0)
    if not workers and not remote:
        return spec
    spec = replace(spec, workers=workers, remote_workers=remote, master_port=args.master_port)
    check_distributed(spec)
    return spec


def _image(args: argparse.Namespace) -> bytes:
    return read_image(args.image) if args.image is not None else default_image()


def _test(
    engine: Engine, config: Configuration, specs: list[LoadSpec], body: bytes
) -> list[RunRecord]:
    def started(point: SweepPoint[TestRun]) -> None:
        say(f"{config.key}: testing with {describe_spec(point.spec)}")

    sweep = engine.start_sweep(config, specs, body, on_point=started)
    printer = _ProgressPrinter()
    try:
        while not sweep.join(TICK_S):
            if sweep.current is not None:
                printer(sweep.current)
    except KeyboardInterrupt:
        sweep.cancel()
        sweep.join(60)
        raise
    records = sweep.records()
    print(runs_table(records))
    for record in records:
        _notes(record)
    if len(records) > 1:
        from rnbench.tui.cli.sweep import print_curve

        print_curve(records)
    return records


TICK_S = 1.0
"""How often a test's progress line is looked at."""


class _ProgressPrinter:
    """Prints a test's progress line when it changes (once a second while measuring)."""

    def __init__(self) -> None:
        self._last = ""

    def __call__(self, run: TestRun) -> None:
        line = progress_line(run.snapshot())
        if line != self._last:
            say(line)
            self._last = line


def _notes(record: RunRecord) -> None:
    if record.status == "ok" and record.note:
        say(f"note: {record.note}")
    if record.status != "ok":
        load = f"{record.concurrency} clients" if record.rate is None else f"{record.rate:g} req/s"
        say(f"{record.config} at {load}: {record.status}: {record.note or 'see its errors'}")
    residual = record.littles_law_residual_pct
    if residual is not None and residual > LITTLE_LIMIT_PCT:
        say(
            f"warning: {record.config} at {record.concurrency} clients: Little's law is off by "
            f"{residual:.1f} % (> {LITTLE_LIMIT_PCT:g} %): the measurement is suspect"
        )
    if record.late_requests:
        say(
            f"note: {record.late_requests} requests could not be sent on time "
            "(their queueing is counted in the latencies)"
        )
    if record.stable is False:
        say("note: the run did not reach the stability criterion before its maximum duration")
    if record.cold_start_ms is not None:
        say(
            f"cold start: the first request, sent alone before the load, took "
            f"{record.cold_start_ms:.0f} ms (not in the percentiles above)"
        )
    if record.usd_per_hour is None:
        how = "--usd-per-hour" if record.backend == "foreign" else "prices.toml"
        say(f"note: {record.config} has no price, so cost columns are empty (set one with {how})")
    _note_weights(record.weights)


def _note_weights(weights: str | None) -> None:
    if weights == "random":
        say(
            "note: weights=random: no pretrained weights for the model were found (torch hub "
            "cache or "
            "--weights); timing is the same, predictions are meaningless"
        )


def _exit_status(records: list[RunRecord]) -> int:
    return 0 if all(r.status == "ok" and r.requests > 0 for r in records) else 1


def cmd_worker(args: argparse.Namespace) -> int:
    """A Locust worker for a master on another machine; runs until the master quits."""
    host, port = parse_master(args.master)
    say(f"Locust worker for the master at {host}:{port} (Ctrl-C to stop)")
    while True:  # a master serves one run (one sweep point): rejoin for the next
        status = subprocess.call(worker_command(host, port))
        if status != 0:
            return status
        say("run over; waiting for the next one")


def cmd_test(args: argparse.Namespace) -> int:
    target = foreign.given_target(args)  # bad input fails before anything is asked
    engine = _engine(args)
    specs, body = _specs(args), _image(args)
    if target is not None:
        config = foreign.checked_configuration(engine, target, args.usd_per_hour)
    else:
        config = _usable(engine, args.config)
    return _exit_status(_test(engine, config, specs, body))


def cmd_run(args: argparse.Namespace) -> int:
    engine = _engine(args)
    specs, body = _specs(args), _image(args)  # bad input fails before anything is deployed
    config = engine.configuration(args.config)
    deployed_here = engine.check_usable(config).state is not State.IN_SERVICE
    engine.deploy(config, say)
    try:
        records = _test(engine, config, specs, body)
    finally:
        if deployed_here and not args.keep:
            engine.teardown(config, say)
        elif deployed_here:
            say(
                f"{config.key} is still deployed (--keep): `rnbench teardown {config.key}` "
                "when done"
            )
    return _exit_status(records)


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        raise UsageError("refusing to tear down without confirmation: pass --yes")
    answer = input(f"{question} [y/N] ").strip().lower()
    return answer in ("y", "yes")


def cmd_teardown(args: argparse.Namespace) -> int:
    engine = _engine(args)
    if args.all:
        owned = engine.owned()
        if not owned:
            print("nothing to tear down: rnbench owns no deployment")
            return 0
        names = ", ".join(f"{d.config_key} ({d.resource_id})" for d in owned)
        if not args.yes and not _confirm(f"delete {names}?"):
            print("nothing deleted")
            return 0
        done = engine.teardown_all(say)
        print(f"torn down: {', '.join(done) or 'nothing'}")
        return 0
    config = engine.configuration(args.config)
    if config.backend == "foreign":  # refused before AWS is asked or the user is
        raise UsageError(f"{config.key}: {foreign.REFUSAL}")
    status = engine.status(config)
    if status.state is State.UNKNOWN:  # AWS could not be asked: never "not deployed"
        raise ControlPlaneError(f"{config.key}: {status.reason}")
    if status.deployment is None:
        if status.state is State.UNAVAILABLE:  # it could not be looked for: never "not deployed"
            raise UsageError(f"{config.key} is unavailable here: {status.reason or 'no reason'}")
        print(f"{config.key} is not deployed")
        return 0
    if not args.yes and not _confirm(f"delete {config.key} ({status.deployment.resource_id})?"):
        print("nothing deleted")
        return 0
    engine.teardown(config, say)
    print(f"{config.key} torn down")
    return 0


def cmd_results(args: argparse.Namespace) -> int:
    engine = _engine(args)
    records = engine.runs(args.limit)
    if args.only_model:
        records = [r for r in records if r.model == args.only_model]
    if not records:
        print("no runs yet: try `rnbench run local-cpu --duration 20`")
    else:
        print(runs_table(records))
    if args.study:
        print()
        print(study_table(records))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    if args.csv and args.format not in (None, "csv"):
        raise UsageError(
            f"--csv writes CSV; for {args.format}, use --out PATH --format {args.format}"
        )
    engine = _engine(args)
    path: Path = args.csv or args.out
    rows = engine.export(path, fmt="csv" if args.csv else args.format or "csv")
    print(f"wrote {rows} runs to {path}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from rnbench.results.frames import select_runs
    from rnbench.results.report import write_report

    engine = _engine(args)
    records = select_runs(engine.runs(), args.runs, args.sweep, args.since)
    path = write_report(records, args.out, args.slo_p99_ms)
    print(f"wrote a report of {len(records)} runs to {path}")
    return 0


def cmd_recommend(args: argparse.Namespace) -> int:
    from rnbench.tui.cli.sweep import print_recommendation

    engine = _engine(args)
    model = choose_model(args.model, args.input_size).spec.label  # never mix models
    runs = [r for r in engine.runs() if r.model == model]
    return print_recommendation(runs, args.p99, args.tps)
