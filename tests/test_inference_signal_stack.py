"""OpenVINO runtimes freed in any order leave the process able to take a signal.

Each OpenVINO Core's CPU plugin swaps the thread's signal stack for its own and swaps it back when
freed; two Cores freed in the order they were made left the stack unmapped, and the next signal
killed the process with SIGSEGV (the full test run died that way in the signal tests that follow
the OpenVINO ones). The runtimes now share one Core. The check runs in a fresh interpreter so
that a failure is this test's, not the rest of the run's.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("openvino")
onnx = pytest.importorskip("onnx")

PROGRAM = """
import gc, os, signal, sys, time
from pathlib import Path
from rnbench.inference.openvino_runtime import OpenVinoRuntime

first = OpenVinoRuntime(Path(sys.argv[1]), "flatten", "f32")
second = OpenVinoRuntime(Path(sys.argv[1]), "flatten", "f32")
del first  # freed in the order they were made: not the reverse
gc.collect()
del second
gc.collect()
try:
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(5)
except KeyboardInterrupt:
    print("interrupted")
"""


def _flatten_graph(path: Path) -> Path:
    helper = onnx.helper
    graph = helper.make_graph(
        [helper.make_node("Flatten", ["input0"], ["logits"], axis=1)],
        "flatten",
        [helper.make_tensor_value_info("input0", onnx.TensorProto.FLOAT, ["N", 3, 8, 8])],
        [helper.make_tensor_value_info("logits", onnx.TensorProto.FLOAT, ["N", 192])],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    return path


def test_ctrl_c_after_two_runtimes_are_freed_is_a_keyboard_interrupt(tmp_path: Path) -> None:
    graph = _flatten_graph(tmp_path / "flatten.onnx")
    done = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", PROGRAM, str(graph)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.strip() == "interrupted"
