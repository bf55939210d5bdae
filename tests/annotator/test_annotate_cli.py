"""``linecorr annotate`` as a user runs it: prints its URL, serves, and a SIGKILL loses no saved work."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.error
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


def _get(url: str, host: str | None = None) -> int:
    req = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_beyond_loopback_it_wants_the_printed_token_and_checks_the_host(toy_root):
    proc = subprocess.Popen([sys.executable, "-m", "annotator", str(toy_root), "--host", "0.0.0.0", "--port", "0",
                             "--quiet", "--allow-host", "annot.example"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        local = None
        for _ in range(6):
            line = proc.stdout.readline()
            if "http://127.0.0.1:" in line:
                local = line.split()[1]
                break
        assert local and "/?token=" in local, proc.stderr.read()
        base, token = local.split("/?token=")
        assert len(token) >= 24
        assert _get(f"{base}/api/info") == 403  # no token
        assert _get(f"{base}/api/info?token=nope") == 403
        assert _get(f"{base}/api/info?token={token}") == 200
        assert _get(f"{base}/api/info?token={token}", host="annot.example") == 200  # --allow-host
        assert _get(f"{base}/api/info?token={token}", host="evil.example") == 403  # DNS rebinding
    finally:
        proc.kill()
        proc.wait(10)
        err = proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
    assert "token" in err or "beyond loopback" in err
