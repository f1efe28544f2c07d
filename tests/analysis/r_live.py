"""Running the committed R scripts that make the reference outputs (tests/analysis/r_reference)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def run_r_script(script: Path, output: Path, *, timeout: int) -> None:
    """Run ``Rscript script output`` (skipped, and reported as such, where R or its ``survey``
    package is not installed: the committed outputs are checked either way)."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.skip("Rscript is not installed: the committed R outputs are used instead")
    probe = subprocess.run(
        [rscript, "-e", "library(survey)"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip("R package 'survey' is not installed")
    subprocess.run(
        [rscript, str(script), str(output)],
        capture_output=True,
        text=True,
        check=True,
        timeout=timeout,
    )
