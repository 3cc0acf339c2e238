"""The result of one benchmark run, as stored and exported: one flat, frozen record."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class RunRecord:
    """One measured run. Cost fields are None when the configuration has no price."""

    run_id: str
    started_at: str
    """ISO 8601, UTC."""
    config: str
    backend: str
    instance_type: str
    runtime: str
    compiled: bool
    device: str
    weights: str
    """`pretrained` or `random` (random weights: same compute cost, meaningless predictions)."""
    mode: str
    """`closed` or `open`."""
    concurrency: int
    warmup: str
    """What warmed the endpoint up, e.g. `5s` or `100 requests`."""
    duration_s: float
    requests: int
    """Successful requests in the measured duration (warm-up excluded)."""
    errors: int
    """Failed requests in the measured duration, all kinds (see `errors_by_kind`)."""
    tps: float
    mean_ms: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    server_p50_ms: float | None
    littles_law_residual_pct: float | None
    usd_per_hour: float | None
    price_source: str
    tps_per_usd_hour: float | None
    usd_per_1m: float | None
    inferences_per_usd: float | None
    transactions_per_hour: float
    rnbench_version: str
    torch_version: str
    status: str = "ok"
    """`ok`; `degraded` (more failed requests than the run's error threshold, 5 % by default,
    but some succeeded); `failed` (none succeeded, or the run broke); `running` (in progress);
    `interrupted` (its process died while it ran: figures are computed from its stored windows,
    see `note`)."""
    rate: float | None = None
    server_p99_ms: float | None = None
    errors_by_kind: str = ""
    """JSON object of error kind to count."""
    client_cpu_ms_per_request: float | None = None
    late_requests: int = 0
    stable: bool | None = None
    region: str = ""
    neo_target: str = ""
    max_prob_deviation: float | None = None
    """Largest difference of output probabilities against eager on fixed inputs (compiled)."""
    server_overhead_p50_ms: float | None = None
    """SageMaker: CloudWatch OverheadLatency p50 of the run (server_p50_ms is ModelLatency)."""
    sweep_id: str = ""
    """Runs of one sweep share it."""
    note: str = ""
    mean_batch_size: float | None = None
    """Mean batch size the server reported per request (local server's dynamic batching)."""
    max_batch: int | None = None
    """The server's dynamic-batching limit (1: no batching), local configurations."""
    top1_agreement: float | None = None
    """Fraction of the agreement photographs whose top-1 class matches fp32 eager."""
    top5_agreement: float | None = None
    """Fraction of the agreement photographs whose top-5 classes match fp32 eager (as a set)."""
    max_logit_deviation: float | None = None
    """Largest absolute logit difference from fp32 eager on the agreement photographs."""
    mean_logit_deviation: float | None = None
    """Mean absolute logit difference from fp32 eager on the agreement photographs."""
    cold_start_ms: float | None = None
    """Serverless: latency of the run's first request, sent alone before the load (a cold start
    after deploy or idle); never part of the percentiles. None for other configurations."""
    cpu_model: str = ""
    """Local runs: the CPU's model name ("" for remote runs and runs stored before it)."""
    cpu_cores: int | None = None
    """Local runs: logical CPUs the server process could use."""
    cpu_flags: str = ""
    """Local runs: which of avx2 avx512f avx512_vnni avx512_bf16 amx the CPU has."""
    onnxruntime_version: str = ""
    """Local runs: ONNX Runtime version of the server."""
    openvino_version: str = ""
    """Local runs: OpenVINO version of the server ("" when not installed)."""
    # Model identity (issue 16): rows of different models are never compared.
    model: str = "resnet50"
    """The model served: a torchvision name, or `file.onnx#sha256-prefix` for a user's file."""
    model_params: int | None = None
    """Its parameter count (None: not recorded, runs before models were recorded)."""
    model_gflops: float | None = None
    """GFLOPs per image, counted from the graph (a multiply-add is 2 FLOPs)."""
    input_size: int = 224
    """Side of the model's square input, in pixels."""
    tps_per_gflop: float | None = None
    """Throughput per GFLOP of the model: img/s x GFLOPs per image comparable across models."""
    latency_histogram: str = ""
    """The whole run's final latency HDR histogram, encoded (compressed, base64: HdrHistogram's
    standard encoding; microseconds). Empty for runs stored before rnbench kept it, and for
    interrupted runs (their windows are what is left)."""


RUN_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(RunRecord))
"""Column order of the store and of CSV exports."""


def cpu_text(record: RunRecord) -> str:
    """`Intel Xeon 2 cores avx512_bf16 amx`: the CPU a local run ran on ("" when unrecorded)."""
    if not record.cpu_model and record.cpu_cores is None:
        return ""
    model = record.cpu_model
    for noise in ("(R)", "(TM)", "(tm)", " Processor", " CPU"):
        model = model.replace(noise, "")
    cores = f"{record.cpu_cores} cores" if record.cpu_cores is not None else ""
    return " ".join(part for part in (" ".join(model.split()), cores, record.cpu_flags) if part)
