"""`make bento` builds a Bento with no network: the service, the wheel and pinned requirements."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.service_process import ROOT

pytestmark = pytest.mark.slow


def test_make_bento_builds_offline(tmp_path: Path) -> None:
    """With every package index switched off, the Bento holds service.py, the wheel, pins."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    env = {
        **os.environ,
        "BENTOML_HOME": str(tmp_path / "bentoml"),
        # Any attempt to reach an index fails instead of downloading.
        "PIP_NO_INDEX": "1",
        "UV_OFFLINE": "1",
        "PIP_INDEX_URL": "http://127.0.0.1:9/",
        "UV_INDEX_URL": "http://127.0.0.1:9/",
    }
    done = subprocess.run(
        ["make", "--no-print-directory", "bento"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (bento,) = [
        p for p in (tmp_path / "bentoml" / "bentos" / "matching").iterdir() if p.name != "latest"
    ]
    assert (bento / "src" / "service" / "service.py").is_file()
    assert list((bento / "env" / "python" / "wheels").glob("matching-*.whl"))
    requirements = (bento / "env" / "python" / "requirements.txt").read_text()
    assert "bentoml==" in requirements
    assert "torch==" in requirements
    assert "download.pytorch.org/whl/cpu" in requirements
