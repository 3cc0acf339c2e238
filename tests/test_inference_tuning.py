"""OpenVINO streams and batch chosen by measurement at server start, cached, overridable.

A one-operator graph and a fake timing function stand in for ResNet-50 and the stopwatch: the
chooser must pick the fastest candidate, compile with it (NUM_STREAMS read back from the
compiled model), cache it per machine, runtime and model, and give way to
RNBENCH_OPENVINO_STREAMS.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnbench.inference import machine
from rnbench.inference.openvino_runtime import HINT_ENV, STREAMS_ENV, OpenVinoRuntime
from rnbench.inference.openvino_tuning import (
    BUDGET_S,
    PASSES,
    Candidate,
    StreamChoice,
    Trial,
    best,
    cache_path,
    candidates,
    measure,
    tune,
)

pytest.importorskip("openvino")


def _graph(path: Path) -> Path:
    """input0 [N, 3, 8, 8] -> [N, 3] (mean over the pixels)."""
    onnx = pytest.importorskip("onnx")
    helper = onnx.helper
    graph = helper.make_graph(
        [helper.make_node("ReduceMean", ["input0"], ["logits"], axes=[2, 3], keepdims=0)],
        "tiny",
        [helper.make_tensor_value_info("input0", onnx.TensorProto.FLOAT, ["N", 3, 8, 8])],
        [helper.make_tensor_value_info("logits", onnx.TensorProto.FLOAT, ["N", 3])],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    return path


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> OpenVinoRuntime:
    """The tiny graph under the throughput hint, on a CPU said to have 4 cores; a cache folder
    of the test's own (the session's shared one would carry choices from test to test)."""
    monkeypatch.setenv("RNBENCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv(STREAMS_ENV, raising=False)
    monkeypatch.delenv(HINT_ENV, raising=False)
    monkeypatch.setattr(machine, "cpu_facts", lambda: machine.CpuFacts("Test CPU", 4, "avx2"))
    return OpenVinoRuntime(_graph(tmp_path / "tiny.onnx"), "int8", "f32")


class FakeClock:
    """A throughput function that favours one candidate and records what it was asked."""

    def __init__(self, fastest: Candidate) -> None:
        self.fastest = fastest
        self.asked: list[tuple[Candidate, float]] = []

    def __call__(self, candidate: Candidate, seconds: float) -> float:
        self.asked.append((candidate, seconds))
        return 100.0 if candidate == self.fastest else 10.0 * candidate.streams + candidate.batch


def test_candidates_cover_streams_and_batches_up_to_the_limits() -> None:
    labels = [c.label for c in candidates(max_batch=8, cores=2, hint_streams=2)]
    assert labels == ["1x1", "1x4", "1x8", "2x1", "2x4", "2x8"]
    assert [c.label for c in candidates(6, 8, 4)] == [
        f"{s}x{b}" for s in (1, 2, 4) for b in (1, 4, 6)
    ]
    assert [c.label for c in candidates(1, 1, 1)] == ["1x1"]


def test_best_is_the_fastest_and_a_tie_goes_to_the_larger_batch_then_fewer_streams() -> None:
    trials = [
        Trial(Candidate(1, 4), 61.0),
        Trial(Candidate(1, 8), 50.0),
        Trial(Candidate(2, 8), 60.0),
        Trial(Candidate(2, 4), 40.0),
    ]
    assert best(trials, tie=0.0) == Candidate(1, 4)
    assert best(trials, tie=0.02) == Candidate(2, 8)  # 60 is within 2 % of 61: the larger batch
    assert best(trials, tie=0.25) == Candidate(1, 8)  # 50 ties too: then the fewer streams
    with pytest.raises(ValueError):
        best([])


def test_one_slow_round_does_not_decide_the_choice() -> None:
    # Figures of the kind a shared VM gives: batch 4 had one slow spell, batch 1 one quick one.
    rounds = {Candidate(2, 1): [146.0, 120.0, 118.0], Candidate(2, 4): [50.0, 190.0, 185.0]}
    figures = {candidate: iter(values) for candidate, values in rounds.items()}
    choice = measure(list(rounds), lambda candidate, _: next(figures[candidate]))
    assert PASSES == 3 and (choice.streams, choice.batch) == (2, 4)
    assert [t.images_per_s for t in choice.trials] == [120.0, 185.0]


def test_the_fastest_is_compiled_cached_and_reused(runtime: OpenVinoRuntime) -> None:
    hint_streams = runtime.streams
    clock = FakeClock(Candidate(1, 4))
    choice = tune(runtime, max_batch=8, model_key="tiny", throughput=clock)
    assert (choice.streams, choice.batch, choice.source) == (1, 4, "measured")
    assert runtime.streams == 1 == int(runtime._compiled.get_property("NUM_STREAMS"))
    assert [c for c, _ in clock.asked] == list(candidates(8, 4, hint_streams)) * PASSES
    assert len(clock.asked) == PASSES * len(choice.trials) >= 6 * PASSES
    assert sum(seconds for _, seconds in clock.asked) <= BUDGET_S
    assert "1x4 100.0" in choice.describe()
    stored = json.loads(cache_path().read_text())
    assert len(stored) == 1 and next(iter(stored.values()))["streams"] == 1
    # A later start on the same machine: no measurement, the cached choice compiled in.
    again = OpenVinoRuntime(runtime.path, "int8", "f32", streams=2)
    assert again.streams == 2
    never = FakeClock(Candidate(2, 8))
    reused = tune(again, max_batch=8, model_key="tiny", throughput=never)
    assert (reused.streams, reused.batch, reused.source) == (1, 4, "cached")
    assert never.asked == [] and again.streams == 1
    assert reused.trials == choice.trials


def test_another_model_runtime_or_limit_is_measured_anew(runtime: OpenVinoRuntime) -> None:
    tune(runtime, 8, "tiny", FakeClock(Candidate(1, 4)))
    fp32 = OpenVinoRuntime(runtime.path, "fp32", "f32")
    for tuned, model_key, max_batch in (
        (runtime, "other", 8),
        (runtime, "tiny", 4),
        (fp32, "tiny", 8),
    ):
        clock = FakeClock(Candidate(2, 1))
        choice = tune(tuned, max_batch, model_key, clock)
        assert choice.source == "measured" and clock.asked
        assert (choice.streams, choice.batch) == (2, 1) and tuned.streams == 2
    assert len(json.loads(cache_path().read_text())) == 4


def test_a_corrupt_cache_is_measured_again(runtime: OpenVinoRuntime) -> None:
    cache_path().write_text("{not json")
    clock = FakeClock(Candidate(2, 8))
    choice = tune(runtime, 8, "tiny", clock)
    assert choice.source == "measured" and (choice.streams, choice.batch) == (2, 8)
    assert json.loads(cache_path().read_text())


def test_the_environment_variable_overrides_the_measurement(
    runtime: OpenVinoRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    tune(runtime, 8, "tiny", FakeClock(Candidate(1, 4)))  # cached: 1 stream
    monkeypatch.setenv(STREAMS_ENV, "2")
    forced = OpenVinoRuntime(runtime.path, "int8", "f32")
    clock = FakeClock(Candidate(1, 1))
    choice = tune(forced, 8, "tiny", clock)
    assert choice == StreamChoice(2, 8, STREAMS_ENV)
    assert clock.asked == [] and forced.streams == 2
    assert int(forced._compiled.get_property("NUM_STREAMS")) == 2


def test_the_latency_hint_is_left_alone(
    runtime: OpenVinoRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HINT_ENV, "LATENCY")
    latency = OpenVinoRuntime(runtime.path, "int8", "f32")
    clock = FakeClock(Candidate(2, 8))
    choice = tune(latency, 8, "tiny", clock)
    assert choice.source == "LATENCY hint" and clock.asked == [] and latency.streams == 1


def test_real_timing_runs_each_candidate(runtime: OpenVinoRuntime) -> None:
    assert runtime.throughput(1, 4, 0.05) > 0
    assert runtime.throughput(2, 1, 0.05) > 0
    runtime.use_streams(2)
    assert runtime.streams == 2 and runtime.parallel >= 2
    choice = tune(runtime, 4, "tiny")  # the real stopwatch, briefly
    assert choice.source == "measured" and choice.streams == runtime.streams
    assert choice.batch in (1, 4)
    assert all(t.images_per_s > 0 for t in choice.trials)


def test_the_server_reports_the_setting_it_measured_and_runs(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, doggo_jpeg: bytes
) -> None:
    """A real server process with an int8 model: the ready file (which becomes the deployment's
    details and so the run records) names the streams read back from the compiled model, the
    batcher's limit and how they were chosen; requests are served with them."""
    import warnings

    import torch
    from test_server_http import request, start_server, stop

    torch.manual_seed(1)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, stride=2), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(), torch.nn.Linear(8, 10),
    ).eval()  # fmt: skip
    path = tmp_path / "small.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, (torch.zeros(1, 3, 32, 32),), str(path), dynamo=False,
            input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "n"}, "y": {0: "n"}},
        )  # fmt: skip
    server = start_server(
        tmp_path_factory, "--runtime", "int8", "--model", str(path), "--input-size", "32",
        "--max-batch", "4",
    )  # fmt: skip
    try:
        ready = server.ready
        assert ready["openvino_choice"].split(":")[0] in ("measured", "cached")
        assert "1x1" in ready["openvino_choice"] and "img/s" in ready["openvino_choice"]
        assert ready["openvino_streams"] >= 1 and ready["openvino_infer_requests"] >= 1
        assert ready["max_batch"] in (1, 4) and ready["max_batch_requested"] == 4
        assert ready["openvino_input"].startswith("uint8")
        status, headers, body = request(
            server.port, "POST", "/invocations", doggo_jpeg, "image/jpeg"
        )
        assert status == 200 and len(json.loads(body)["top5"]) == 5
    finally:
        code = stop(server.process)
        if server.process.stderr:
            server.process.stderr.close()
    assert code == 0
