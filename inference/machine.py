"""The CPU a local run ran on, so that results from two machines are never compared blind.

Read from /proc/cpuinfo (Linux) or `platform` elsewhere: the model name, the cores this process
may use, and the instruction-set extensions that decide which runtimes are fast (AVX2, AVX-512,
VNNI for int8, BF16 and AMX for bf16).
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path

ISA_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx")
"""Flags recorded, in this order; `amx` stands for any of the kernel's amx_* flags."""
CPUINFO = Path("/proc/cpuinfo")


@dataclass(frozen=True)
class CpuFacts:
    """What a stored run says about the processor it ran on."""

    model: str
    """The CPU's model name (`Intel(R) Xeon(R) ...`), or the platform's processor string."""
    cores: int
    """Logical CPUs this process may run on (its affinity), not the whole host's."""
    flags: str
    """The ISA_FLAGS the CPU has, space-separated ("" when none or unknown)."""


def isa_flags(kernel_flags: set[str]) -> str:
    """The ISA_FLAGS present in the kernel's flag list, in ISA_FLAGS order."""
    present = [flag for flag in ISA_FLAGS[:-1] if flag in kernel_flags]
    if any(flag.startswith("amx") for flag in kernel_flags):
        present.append("amx")
    return " ".join(present)


def parse_cpuinfo(text: str) -> tuple[str, set[str]]:
    """(model name, kernel flags) from /proc/cpuinfo text (the first processor's entries)."""
    model, flags = "", set[str]()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and not model:
            model = " ".join(value.split())
        elif key == "flags" and not flags:
            flags = set(value.split())
    return model, flags


def cpu_facts() -> CpuFacts:
    """This machine's CPU."""
    try:
        model, flags = parse_cpuinfo(CPUINFO.read_text(errors="replace"))
    except OSError:
        model, flags = "", set()
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return CpuFacts(model or platform.processor() or platform.machine(), cores, isa_flags(flags))
