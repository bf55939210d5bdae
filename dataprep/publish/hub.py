"""Pushing a published folder to the Hugging Face Hub, failing fast when it cannot work.

:func:`check_push_ready` runs before anything is built: it needs a repo id, a token, no offline
mode, and a Hub that answers ``whoami`` within a short timeout. Every failure is one
:class:`LinecorrError` line, so a user learns in seconds (not after the build) that the push
cannot happen, and nothing remote is ever half-written.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

from dataprep.errors import LinecorrError

_REPO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
_TRUE = {"1", "ON", "YES", "TRUE"}


def check_repo_id(repo_id: str | None) -> str:
    """Return ``repo_id`` if it looks like ``ORG/NAME``, else raise a one-line error."""
    if not repo_id:
        raise LinecorrError("--push needs --repo-id ORG/NAME (the Hub dataset repository to create or update)")
    if not _REPO_RE.match(repo_id) or ".." in repo_id or "--" in repo_id:
        raise LinecorrError(f"--repo-id {repo_id!r} is not ORG/NAME (letters, digits, '.', '_', '-')")
    return repo_id


def offline_mode() -> bool:
    """Whether the user asked for no network (read live: the Hub library reads it at import only)."""
    import huggingface_hub.constants as c

    env = any((os.environ.get(k) or "").upper() in _TRUE
              for k in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"))
    return env or bool(c.HF_HUB_OFFLINE)


def find_token() -> str | None:
    """The Hub token from HF_TOKEN or the cached login, or None."""
    from huggingface_hub import get_token

    try:
        return get_token()
    except Exception as e:  # noqa: BLE001 - OIDC exchange failures raise; a token we cannot get is no token
        raise LinecorrError(f"cannot get a Hugging Face token ({type(e).__name__}: {e})") from None


def _short(e: BaseException) -> str:
    msg = " ".join(str(e).split())
    return f"{type(e).__name__}: {msg[:200]}" if msg else type(e).__name__


def _whoami(token: str, timeout: float) -> dict:
    """``HfApi().whoami`` with a hard timeout (run in a daemon thread: a hung socket cannot block exit)."""
    from huggingface_hub import HfApi

    box: dict = {}

    def call() -> None:
        try:
            box["ok"] = HfApi(token=token).whoami()
        except Exception as e:  # noqa: BLE001 - handed to the caller below
            box["err"] = e

    t = threading.Thread(target=call, daemon=True, name="hf-whoami")
    t.start()
    t.join(timeout)
    if t.is_alive():
        raise LinecorrError(f"cannot push: the Hugging Face Hub did not answer within {timeout:g} s (no network?)")
    if "err" in box:
        e = box["err"]
        status = getattr(getattr(e, "response", None), "status_code", None)
        if status == 401:
            raise LinecorrError("cannot push: the Hugging Face token was rejected (401); "
                                "set a valid HF_TOKEN or run `hf auth login`")
        raise LinecorrError(f"cannot push: cannot reach the Hugging Face Hub ({_short(e)})")
    return box["ok"]


def check_push_ready(repo_id: str | None, timeout: float = 10.0) -> str:
    """Check everything a push needs, before anything is built or sent.

    Order: repo id, token present, offline mode off, the Hub accepts the token (``whoami``).

    Returns:
        The token.

    Raises:
        LinecorrError: one line saying what is missing.
    """
    check_repo_id(repo_id)
    token = find_token()
    if not token:
        raise LinecorrError("cannot push: no Hugging Face token (set HF_TOKEN or run `hf auth login`)")
    if offline_mode():
        raise LinecorrError("cannot push: offline mode is on (HF_HUB_OFFLINE / HF_DATASETS_OFFLINE); "
                            "unset it to push, or publish without --push")
    _whoami(token, timeout)
    return token


def push_folder(out: Path, repo_id: str, token: str, private: bool = False) -> str:
    """Upload ``out`` (parquet shards, README.md, preview, publish.json) to a Hub dataset repo.

    The ``arrow/`` save_to_disk copy is not uploaded: the Hub serves the parquet shards.

    Returns:
        The dataset's URL.
    """
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        api.upload_folder(folder_path=str(out), repo_id=repo_id, repo_type="dataset",
                          ignore_patterns=["arrow/**", ".*"], commit_message="linecorr publish")
    except Exception as e:  # noqa: BLE001 - network, auth, quota...: one line; the local copy is complete
        raise LinecorrError(f"push to {repo_id} failed ({_short(e)}); the local copy is complete, "
                            "re-run with --overwrite --push to retry", out) from None
    return f"https://huggingface.co/datasets/{repo_id}"
