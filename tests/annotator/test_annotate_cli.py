"""``linecorr annotate`` as a user runs it: prints its URL, serves, and a SIGKILL loses no saved work."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request

import pytest

pytest.importorskip("flask")

from annotator.workspace import Workspace
from dataprep.format import Dataset

P1 = "toy000/0000__0001"


def _post(url: str, body: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def test_prints_url_serves_and_a_kill_loses_nothing(toy_root):
    proc = subprocess.Popen([sys.executable, "-m", "annotator", str(toy_root), "--port", "0", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = None
        for _ in range(5):
            line = proc.stdout.readline()
            if line.startswith("open http://127.0.0.1:"):
                url = line.split()[1].rstrip("/")
                break
        assert url, proc.stderr.read()
        with urllib.request.urlopen(f"{url}/api/info", timeout=10) as r:
            assert json.loads(r.read())["pairs"] == 2
        seg = int(Dataset.open(toy_root).load_segments("toy000", "0000").ids[3])
        out = _post(f"{url}/api/pair/{P1}/op", {"base": 0, "op": {"kind": "no_match", "side": "a", "seg": seg}})
        assert out["pair"]["version"] == 1
    finally:
        proc.send_signal(signal.SIGKILL)  # no clean shutdown: the answer above came after the write
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()
    assert Workspace(toy_root).current(P1)["state"]["unmatched_a"] == [seg]


def test_bad_dataset_is_a_one_line_error(tmp_path):
    r = subprocess.run([sys.executable, "-m", "annotator", str(tmp_path / "nope")], capture_output=True, text=True,
                       timeout=60, check=False)
    assert r.returncode == 2 and "nope: is not a directory" in r.stderr and "Traceback" not in r.stderr
