"""The SageMaker implementation of `Backend`: package, compile with Neo, deploy, tear down.

Deploy creates model -> endpoint config -> endpoint, all named `rnbench-<config>-...` and
tagged; when any step fails (an API error, compilation FAILED, endpoint Failed, a timeout)
everything this call created is deleted again before the one-line DeployError is raised.

The backend serves the front end's `ModelChoice` (ResNet-50 by default): packaging refuses, before
anything is uploaded, a model the configuration's container cannot load; Neo compiles it at its
own input shape; the endpoint's tags name it, so every run records the model it measured. An
ONNX file's rows are unavailable, with `served_model.ONNX_REASON`.
"""

from __future__ import annotations

import json
import time
from typing import Any

from rnbench.core.backends.protocol import (
    Deployment,
    Phase,
    Progress,
    ServerLatency,
    State,
    Status,
    Step,
    no_progress,
)
from rnbench.core.backends.sagemaker import naming, package
from rnbench.core.backends.sagemaker import resources as res
from rnbench.core.backends.sagemaker.clients import control_client, failure, insisting
from rnbench.core.backends.sagemaker.identity import (
    control_plane_failure,
    default_bucket,
    identity,
    unavailable_reason,
)
from rnbench.core.backends.sagemaker.images import model_server_env
from rnbench.core.backends.sagemaker.runtime import SageMakerTarget
from rnbench.core.backends.sagemaker.served_model import (
    ONNX_REASON,
    model_details,
    served_key,
    served_model,
    served_text,
)
from rnbench.core.backends.sagemaker.settings import SageMakerSettings, serverless_problem
from rnbench.core.configs import Configuration
from rnbench.core.errors import (
    BackendUnavailable,
    ControlPlaneError,
    DeployError,
    NotDeployedError,
    TeardownError,
    UsageError,
)
from rnbench.core.loadgen.transport import Reply
from rnbench.core.model_choice import ModelChoice
from rnbench.core.paths import state_dir

SERVERLESS_TAG = "rnbench:serverless"
"""Tag on a serverless endpoint's resources: its memory size and max concurrency."""
NEURON_STARTUP_S = 1200
"""How long an Inferentia2 container may take to answer /ping (it compiles ResNet-50 first)."""
_STATES = {"InService": State.IN_SERVICE, "Failed": State.FAILED, "Deleting": State.TEARING_DOWN}


class SageMakerBackend:
    """Deploys the study's configurations as SageMaker endpoints (see module docstring)."""

    name = "sagemaker"

    def __init__(
        self, settings: SageMakerSettings, poll_s: float = 15.0, model: ModelChoice | None = None
    ) -> None:
        """`model` is what every endpoint serves (None: the study's ResNet-50)."""
        self.settings = settings
        self.poll_s = poll_s
        self.model = model or ModelChoice()
        self._clients: dict[str, Any] = {}

    @property
    def region(self) -> str:
        """The region prices are looked up for."""
        return str(self.settings.region or "")

    def server_latency(
        self, deployment: Deployment, start: float, end: float
    ) -> ServerLatency | None:
        """CloudWatch's ModelLatency and OverheadLatency p50 (ms) for a run, when available."""
        from rnbench.core.backends.sagemaker.live import endpoint_latency

        figures = endpoint_latency(self.settings, deployment.resource_id, start, end)
        if figures is None:
            return ServerLatency(None, None, "CloudWatch latency not yet available for this run")
        return ServerLatency(*figures)

    # -- plumbing -------------------------------------------------------------------------
    def client(self, service: str) -> Any:
        """A control-plane boto3 client (cached; short timeouts, see `clients`)."""
        if service not in self._clients:
            self._clients[service] = control_client(self.settings, service)
        return self._clients[service]

    def _require(self, config: Configuration) -> None:
        reason = self.unavailable_reason(config)
        if reason is not None:
            raise BackendUnavailable(f"{config.key}: {reason}")

    def _fail(self, config: Configuration, step: str, error: Exception) -> DeployError:
        return DeployError(
            f"{config.key}: {step} failed: {res.code_of(error)}: {res.message_of(error)}"
        )

    def unavailable_reason(self, config: Configuration) -> str | None:
        if config.backend != "sagemaker":
            return f"{config.key} is not a SageMaker configuration"
        if self.model.spec.kind == "onnx":
            return ONNX_REASON
        return unavailable_reason(self.settings)

    # -- packaging and compiling ------------------------------------------------------------
    def _upload(self, config: Configuration, progress: Progress) -> tuple[str, package.Artifact]:
        """Package the model for `config` and upload it (once); refuses, before anything is
        uploaded, a model the configuration's container cannot load.

        Raises:
            UsageError: the container cannot load the model, or the model is unusable.
            DeployError: the upload failed.
        """
        from rnbench.core.backends.sagemaker.images import image_choice

        variant: package.Variant = "neo" if config.neo_target else "eager"
        label = self.model.spec.label
        progress(Step(Phase.PACKAGING, f"{config.key}: packaging {label} ({variant})"))
        model = served_model(self.model.spec, progress)
        choice = image_choice(config)
        problem = model.load_problem(choice.torch_version)
        if problem is not None:
            raise UsageError(
                f"{config.key}: {label} cannot run on PyTorch {choice.torch_version} "
                f"({choice.repository}): {problem}"
            )
        artifact = package.build_artifact(variant, model, progress)
        bucket = default_bucket(self.settings)
        s3 = self.client("s3")
        try:
            package.ensure_bucket(s3, bucket, str(self.settings.region))
            uri, _ = package.upload(s3, bucket, artifact, progress)
        except Exception as error:
            raise self._fail(config, "upload to S3", error) from None
        return uri, artifact

    def _neo_record(self) -> Any:
        return state_dir() / "sagemaker-neo.json"

    def _compiled_uri(self, key: str) -> str | None:
        try:
            found = json.loads(self._neo_record().read_text("utf-8")).get(key)
        except (OSError, ValueError):
            return None
        return str(found) if found else None

    def _remember(self, key: str, uri: str) -> None:
        path = self._neo_record()
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            data = {}
        data[key] = uri
        path.with_suffix(".tmp").write_text(json.dumps(data, indent=1), "utf-8")
        path.with_suffix(".tmp").replace(path)

    def _exists_s3(self, uri: str) -> bool:
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        try:
            self.client("s3").head_object(Bucket=bucket, Key=key)
        except Exception:
            return False
        return True

    def compile(self, config: Configuration, progress: Progress = no_progress) -> None:
        self._compile(config, progress)

    def _compile(self, config: Configuration, progress: Progress) -> tuple[str, package.Artifact]:
        """The model's S3 URI (compiled: the Neo output, running a Neo job unless this input
        was compiled before) and its archive."""
        self._require(config)
        from rnbench.core.backends.sagemaker.images import framework_version

        uri, artifact = self._upload(config, progress)
        if not config.compiled or config.neo_target is None:
            return uri, artifact
        version = framework_version(config)
        record = f"{self.settings.region}/{config.neo_target}/{version}/{artifact.sha256[:16]}"
        known = self._compiled_uri(record)
        if known and self._exists_s3(known):
            progress(f"{config.key}: reusing Neo output {known}")
            return known, artifact
        bucket = uri.removeprefix("s3://").split("/")[0]
        job = naming.new_name(config.key, "neo")
        sm = self.client("sagemaker")
        try:
            sm.create_compilation_job(
                CompilationJobName=job,
                RoleArn=self.settings.role,
                InputConfig={
                    "S3Uri": uri,
                    "DataInputConfig": json.dumps({"input0": list(self.model.spec.input.shape)}),
                    "Framework": "PYTORCH",
                    "FrameworkVersion": version,
                },
                OutputConfig={
                    "S3OutputLocation": f"s3://{bucket}/rnbench/neo/{record}/",
                    "TargetDevice": config.neo_target,
                },
                StoppingCondition={"MaxRuntimeInSeconds": 1800},
                Tags=naming.tags(config.key),
            )
        except Exception as error:
            raise self._fail(config, "create_compilation_job", error) from None

        def done() -> str | None:
            status = str(
                sm.describe_compilation_job(CompilationJobName=job)["CompilationJobStatus"]
            )
            return status if status in ("COMPLETED", "FAILED", "STOPPED") else None

        progress(Step(Phase.COMPILING, f"{config.key}: Neo compilation job {job} started"))
        try:
            status = res.wait_until(
                done, f"{config.key}: Neo compiling for {config.neo_target}", progress, self.poll_s
            )
            detail = sm.describe_compilation_job(CompilationJobName=job)
        except Exception as error:
            try:
                sm.stop_compilation_job(CompilationJobName=job)
            except Exception:
                pass
            raise self._fail(config, f"Neo compilation {job}", error) from None
        if status != "COMPLETED":
            reason = " ".join(str(detail.get("FailureReason") or "no reason given").split())
            raise DeployError(f"{config.key}: Neo compilation {job} {status}: {reason[:300]}")
        compiled = str(detail["ModelArtifacts"]["S3ModelArtifacts"])
        self._remember(record, compiled)
        progress(f"{config.key}: compiled for {config.neo_target}")
        return compiled, artifact

    # -- deploying ------------------------------------------------------------------------
    def _find(self, config: Configuration) -> res.OwnedEndpoint | None:
        found = res.owned_endpoints(self.client("sagemaker"), config.key)
        live = [e for e in found if e.status not in ("Failed", "Deleting")]
        return max(live or found, key=lambda e: e.created_at, default=None)

    def _deployment(self, endpoint: res.OwnedEndpoint) -> Deployment:
        target = SageMakerTarget(endpoint.name, str(self.settings.region), self.settings.profile)
        details = {
            "region": str(self.settings.region),
            "endpoint_status": endpoint.status,
            "framework_version": endpoint.tags.get("rnbench:framework", ""),
            "torch_version": endpoint.tags.get("rnbench:framework", ""),
            "neo_target": endpoint.tags.get("rnbench:neo-target", ""),
            "weights": endpoint.tags.get("rnbench:weights", ""),
            "session": endpoint.tags.get(naming.SESSION, ""),
            "image": endpoint.tags.get("rnbench:image", ""),
            **model_details(endpoint.tags),
        }
        if SERVERLESS_TAG in endpoint.tags:
            details["serverless"] = endpoint.tags[SERVERLESS_TAG]
        return Deployment(
            endpoint.config_key,
            self.name,
            endpoint.name,
            target,
            endpoint.created_at,
            endpoint.instance_type,
            details,
        )

    def deploy(self, config: Configuration, progress: Progress = no_progress) -> Deployment:
        self._require(config)
        problem = serverless_problem(
            self.settings.serverless_memory_mb, self.settings.serverless_max_concurrency
        )
        if config.serverless and problem is not None:
            raise UsageError(f"{config.key}: {problem}")
        try:
            existing = self._find(config)
        except Exception as error:
            raise self._fail(config, "list endpoints", error) from None
        live = existing is not None and existing.status not in ("Failed", "Deleting")
        if existing is not None and live and served_key(existing.tags) != self.model.spec.key:
            wanted = f"{self.model.spec.label} ({self.model.spec.input.crop} px)"
            raise DeployError(
                f"{config.key}: endpoint {existing.name} serves {served_text(existing.tags)}, "
                f"not {wanted}; tear it down first"
            )
        if existing is not None and existing.status == "InService":
            return self._deployment(existing)
        if existing is not None and live:
            raise DeployError(f"{config.key}: endpoint {existing.name} is {existing.status}")
        from rnbench.core.backends.sagemaker.images import serving_image

        image = serving_image(config, str(self.settings.region))
        model_uri, artifact = self._compile(config, progress)
        created: list[tuple[str, str]] = []
        progress(Step(Phase.CREATING_ENDPOINT, f"{config.key}: creating the endpoint"))
        try:
            name = self._create(
                config, image.uri, image.framework_version, artifact, model_uri, created
            )
            sm = self.client("sagemaker")

            def ready() -> str | None:
                status = str(sm.describe_endpoint(EndpointName=name)["EndpointStatus"])
                return status if status in ("InService", "Failed", "OutOfService") else None

            status = res.wait_until(
                ready, f"{config.key}: waiting for InService", progress, self.poll_s
            )
            if status != "InService":
                reason = sm.describe_endpoint(EndpointName=name).get("FailureReason") or status
                raise DeployError(
                    f"{config.key}: endpoint {name} {status}: {' '.join(str(reason).split())[:300]}"
                )
        except Exception as error:
            left = self._cleanup(created, progress)
            failure = (
                error if isinstance(error, DeployError) else self._fail(config, "deploy", error)
            )
            suffix = f" (left behind: {', '.join(left)}; run teardown --all)" if left else ""
            raise DeployError(f"{failure}{suffix}") from None
        progress(f"{config.key}: {name} in service")
        found = self._find(config)
        if found is None:
            raise DeployError(f"{config.key}: endpoint {name} vanished after InService")
        return self._deployment(found)

    def _create(
        self,
        config: Configuration,
        image: str,
        version: str,
        artifact: package.Artifact,
        model_uri: str,
        created: list[tuple[str, str]],
    ) -> str:
        sm = self.client("sagemaker")
        now = time.time()
        tags = naming.tags(config.key, now) + [
            {"Key": "rnbench:framework", "Value": version},
            {"Key": "rnbench:neo-target", "Value": config.neo_target or "none"},
            {"Key": "rnbench:image", "Value": image.rsplit("/", 1)[-1][:256]},
            *artifact.model.tags(),
        ]
        if config.serverless:
            tags.append({"Key": SERVERLESS_TAG, "Value": self._serverless_text()})
        env = {
            "SAGEMAKER_PROGRAM": "inference.py",
            "SAGEMAKER_REGION": str(self.settings.region),
            "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
            **model_server_env(config),
        }
        if config.neo_target:
            data, digest = package.source_archive(artifact.model)
            bucket = model_uri.removeprefix("s3://").split("/")[0]
            key = f"rnbench/source/{digest[:16]}/sourcedir.tar.gz"
            env["SAGEMAKER_SUBMIT_DIRECTORY"] = package.upload_bytes(
                self.client("s3"), bucket, key, data
            )
            env["MMS_DEFAULT_RESPONSE_TIMEOUT"] = "500"
        else:
            env["SAGEMAKER_SUBMIT_DIRECTORY"] = "/opt/ml/model/code"
        if config.device == "inferentia" and not config.neo_target:
            env["RNBENCH_ANSWER_BODY_ONLY"] = "1"  # the Neuron image's Hugging Face toolkit
        model = naming.new_name(config.key)
        sm.create_model(
            ModelName=model,
            ExecutionRoleArn=self.settings.role,
            Tags=tags,
            PrimaryContainer={"Image": image, "ModelDataUrl": model_uri, "Environment": env},
        )
        created.append(("model", model))
        sm.create_endpoint_config(
            EndpointConfigName=model, Tags=tags, ProductionVariants=[self._variant(config, model)]
        )
        created.append(("endpoint_config", model))
        sm.create_endpoint(EndpointName=model, EndpointConfigName=model, Tags=tags)
        created.append(("endpoint", model))
        return model

    def _serverless_text(self) -> str:
        memory, concurrency = (
            self.settings.serverless_memory_mb,
            self.settings.serverless_max_concurrency,
        )
        return f"{memory} MB, max concurrency {concurrency}"

    def _variant(self, config: Configuration, model: str) -> dict[str, Any]:
        """The endpoint config's one production variant: an instance, or serverless capacity."""
        variant: dict[str, Any] = {"VariantName": "AllTraffic", "ModelName": model}
        if config.serverless:
            variant["ServerlessConfig"] = {
                "MemorySizeInMB": self.settings.serverless_memory_mb,
                "MaxConcurrency": self.settings.serverless_max_concurrency,
            }
            return variant
        variant.update(InitialInstanceCount=1, InstanceType=config.instance_type)
        if config.device == "inferentia" and not config.neo_target:
            # the handler compiles the model for Neuron as it loads: give it time to answer /ping
            variant["ContainerStartupHealthCheckTimeoutInSeconds"] = NEURON_STARTUP_S
        return variant

    def _cleanup(self, created: list[tuple[str, str]], progress: Progress) -> list[str]:
        """Delete what a failed deploy created, newest first; names that could not be deleted."""
        with insisting():
            return self._delete_created(created, progress)

    def _delete_created(self, created: list[tuple[str, str]], progress: Progress) -> list[str]:
        sm, left = self.client("sagemaker"), []
        for kind, name in reversed(created):
            try:
                if kind == "endpoint":
                    res.delete_endpoint(sm, name, progress, self.poll_s)
                elif kind == "endpoint_config":
                    res.delete_endpoint_config(sm, name, progress)
                else:
                    res.delete_model(sm, name, progress)
            except Exception:
                left.append(name)
        return left

    # -- describing, invoking, tearing down -------------------------------------------------
    def describe(self, config: Configuration) -> Status:
        """Where `config` stands; UNKNOWN (never NOT_DEPLOYED) when AWS cannot be asked."""
        reason = self.unavailable_reason(config)
        if reason is not None:
            failing = (
                config.backend == "sagemaker"
                and reason != ONNX_REASON
                and control_plane_failure(self.settings)
            )
            return Status(config.key, State.UNKNOWN if failing else State.UNAVAILABLE, reason)
        try:
            found = self._find(config)
        except Exception as error:
            return Status(config.key, State.UNKNOWN, str(failure(error)))
        if found is None:
            return Status(config.key, State.NOT_DEPLOYED)
        state = _STATES.get(found.status, State.DEPLOYING)
        return Status(config.key, state, found.failure_reason, self._deployment(found))

    def invoke(self, config: Configuration, body: bytes) -> Reply:
        status = self.describe(config)
        if status.state != State.IN_SERVICE or status.deployment is None:
            raise NotDeployedError(f"{config.key} is not deployed on SageMaker ({status.state})")
        return status.deployment.target.open(60.0).invoke(body)

    def teardown(self, config: Configuration, progress: Progress = no_progress) -> bool:
        return self._teardown(config.key, progress) > 0

    def teardown_all(self, progress: Progress = no_progress) -> int:
        """Delete every rnbench-tagged endpoint, endpoint config and model in the region.

        Raises:
            TeardownError: a resource could not be deleted.
            ControlPlaneError: AWS did not answer or refused a listing.
        """
        return self._teardown(None, progress)

    def _teardown(self, key: str | None, progress: Progress) -> int:
        progress(Step(Phase.TEARING_DOWN, f"{key or 'everything'}: deleting what rnbench created"))
        with insisting():  # a teardown is not refused because an earlier call timed out
            return self._delete_owned(key, progress)

    def _delete_owned(self, key: str | None, progress: Progress) -> int:
        sm, deleted = self.client("sagemaker"), 0
        try:
            endpoints = res.owned_endpoints(sm, key)
            for endpoint in endpoints:
                deleted += res.delete_endpoint(sm, endpoint.name, progress, self.poll_s)
            for name in res.owned_names(sm, "endpoint_config", key):
                deleted += res.delete_endpoint_config(sm, name, progress)
            for name in res.owned_names(sm, "model", key):
                deleted += res.delete_model(sm, name, progress)
        except TeardownError:
            raise
        except Exception as error:  # listing failed: what is deployed is unknown
            raise failure(error) from None
        return deleted

    def owned(self) -> list[Deployment]:
        """rnbench's endpoints in the region; [] when SageMaker is not set up here.

        Not set up means no region or no credentials; a failing control plane is an error,
        never "nothing deployed".

        Raises:
            ControlPlaneError: AWS did not answer or refused a call (the message names it).
        """
        if not self.settings.region:
            return []
        found = identity(self.settings)
        if found.failing:
            raise ControlPlaneError(found.reason or "AWS unreachable")
        if found.account is None:
            return []
        try:
            endpoints = res.owned_endpoints(self.client("sagemaker"))
        except Exception as error:
            raise failure(error) from None
        return [self._deployment(e) for e in endpoints if e.status != "Deleting"]
