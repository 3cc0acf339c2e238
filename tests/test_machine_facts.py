"""Every local run records the CPU and runtime versions it ran on: record, store, CSV, CLI, TUI."""

from __future__ import annotations

import csv
from pathlib import Path

from records import make_record

from rnbench.core.backends.local.backend import _details
from rnbench.core.backends.protocol import Deployment
from rnbench.core.configs import get_configuration
from rnbench.core.loadgen import LoadSpec
from rnbench.core.loadgen.transport import HttpTarget
from rnbench.core.run.record import TestPlan, build_record
from rnbench.inference.machine import cpu_facts, isa_flags, parse_cpuinfo
from rnbench.results.export import export_csv
from rnbench.results.record import cpu_text
from rnbench.results.store import RunStore
from rnbench.tui.cli.output import runs_table

CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R)   Platinum 8480+ Processor
flags\t\t: fpu sse2 avx2 avx512f avx512_vnni avx512_bf16 amx_bf16 amx_tile amx_int8

processor\t: 1
model name\t: something else
flags\t\t: fpu
"""

SAPPHIRE = dict(
    cpu_model="Intel(R) Xeon(R) Platinum 8480+ Processor",
    cpu_cores=2,
    cpu_flags="avx2 avx512f avx512_vnni avx512_bf16 amx",
    onnxruntime_version="1.99.0",
    openvino_version="2099.1.0-1-abc",
)


def test_cpuinfo_gives_the_first_model_and_the_flags_that_matter() -> None:
    model, flags = parse_cpuinfo(CPUINFO)
    assert model == "Intel(R) Xeon(R) Platinum 8480+ Processor"
    assert isa_flags(flags) == "avx2 avx512f avx512_vnni avx512_bf16 amx"
    assert isa_flags({"sse2", "avx2", "fma"}) == "avx2"
    assert isa_flags(set()) == ""


def test_this_machine_has_a_model_and_cores() -> None:
    facts = cpu_facts()
    assert facts.model and facts.cores >= 1
    assert set(facts.flags.split()) <= {"avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx"}


def test_ready_file_facts_reach_the_record_store_csv_and_table(tmp_path: Path) -> None:
    ready = {"runtime": "int8", "weights": "random", **SAPPHIRE, "openvino_version": None}
    details = _details(ready)
    assert details["cpu_cores"] == "2" and "openvino_version" not in details
    deployment = Deployment(
        "local-cpu", "local", "pid 1", HttpTarget("127.0.0.1", 9), 0.0, details=details
    )
    plan = TestPlan(get_configuration("local-cpu"), deployment, LoadSpec(concurrency=1), b"x", None)
    record = build_record(plan, "r1", "2026-05-01T10:00:00+00:00", None, "running")
    assert (record.cpu_model, record.cpu_cores, record.cpu_flags) == (
        SAPPHIRE["cpu_model"], 2, SAPPHIRE["cpu_flags"],
    )  # fmt: skip
    assert record.onnxruntime_version == "1.99.0" and record.openvino_version == ""

    with RunStore(tmp_path / "runs.sqlite3") as store:
        store.begin_run(record)
        store.finish_run(record)
    with RunStore(tmp_path / "runs.sqlite3") as again:
        assert again.get("r1") == record

    path = tmp_path / "runs.csv"
    export_csv([record], path)
    with path.open(newline="") as f:
        row = next(csv.DictReader(f))
    assert row["cpu_model"] == SAPPHIRE["cpu_model"] and row["cpu_cores"] == "2"
    assert "Intel Xeon Platinum 8480+ 2 cores avx2" in runs_table([record])


def test_cpu_text_is_empty_for_runs_that_did_not_record_it() -> None:
    assert cpu_text(make_record("r1")) == ""
    assert cpu_text(make_record("r2", **SAPPHIRE)) == (
        "Intel Xeon Platinum 8480+ 2 cores avx2 avx512f avx512_vnni avx512_bf16 amx"
    )
