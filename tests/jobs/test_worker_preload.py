"""The worker imports every job's module before its first fork, so no horse does it again."""

from __future__ import annotations

import subprocess
import sys

from tests.workers import ROOT

CHECK = """
import gc, sys
from jobs.worker import preload
assert "jobs.export" not in sys.modules and "weasyprint" not in sys.modules
preload()
assert {"jobs.export", "jobs.notify", "jobs.webhooks", "weasyprint"} <= set(sys.modules)
assert gc.get_freeze_count() > 0
"""


def test_preload_imports_every_job_module_and_freezes_them_before_any_fork():
    done = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
