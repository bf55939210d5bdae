"""Who does which pair (issue #19, point 9): ``linecorr assign`` and the reviewer's say over the verdict."""

from __future__ import annotations

import shlex
import shutil

import pytest

from annotator.cli import ASSIGN_EXAMPLE
from annotator.workspace import ReviewerError, Workspace
from dataprep.cli import main

P1, P2 = "toy000/0000__0001", "toy000/0001__0002"


@pytest.fixture
def three_clips(toy_dataset, tmp_path):
    """A private copy of the 3-clip toy dataset (splits train/val/test: toy002 is the test clip)."""
    return shutil.copytree(toy_dataset, tmp_path / "toy")


def _assign(*argv) -> int:
    return main(["assign", *map(str, argv)])


def test_the_help_example_works_as_written_then_list_shows_each_person(three_clips, capsys):
    """The example of `linecorr assign --help`, with data/render replaced by the dataset; then a
    person's progress and effort as the page makes them, in `--list`."""
    argv = shlex.split(ASSIGN_EXAMPLE.replace("data/render", str(three_clips)))
    with pytest.raises(SystemExit):
        main(["assign", "--help"])
    assert ASSIGN_EXAMPLE in capsys.readouterr().out
    assert main(argv[1:]) == 0
    assert "3 pair(s): annotator alice, reviewer bob" in capsys.readouterr().out
    ws = Workspace(three_clips)
    test_pairs = ws.ds.pair_ids("test")
    assert len(test_pairs) == 3
    assert all(ws.assignments()[p] == {"annotator": "alice", "reviewer": "bob"} for p in test_pairs)
    # carol gets clip toy000; alice marks one pair done with effort, bob accepts another
    assert _assign(three_clips, "--clip", "toy000", "--annotator", "carol") == 0
    p_done, p_acc = test_pairs[:2]
    from annotator.effort import add_effort

    ws.apply(p_done, 0, {"kind": "status", "status": "done"}, user="alice")
    add_effort(ws.root, p_done, seconds=30.0, clicks=4, keys=2, ops=1, user="alice")
    ws.apply(p_acc, 0, {"kind": "status", "status": "accepted"}, user="bob")
    capsys.readouterr()
    assert _assign(three_clips, "--list") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["person", "annotates", "done", "accepted", "rejected", "reviews", "to", "review",
                              "seconds", "interactions"]
    rows = {ln.split()[0]: ln.split()[1:] for ln in out[1:-1]}
    # alice: 3 pairs, 1 done and 1 accepted, 30 s and 6 interactions; bob reviews 3, 1 of them waiting
    assert rows == {"alice": ["3", "1", "1", "0", "0", "0", "30.0", "6"],
                    "bob": ["0", "0", "0", "0", "3", "1", "0.0", "0"],
                    "carol": ["3", "0", "0", "0", "0", "0", "0.0", "0"]}
    assert out[-1].startswith("9 pair(s): 7 todo, 0 in progress, 1 done, 1 accepted, 0 rejected; 3 without "
                              "an annotator, 6 without a reviewer")
    # the same numbers restricted to a selection; the effort per person is export effort --by-annotator's
    assert _assign(three_clips, "--pairs", p_done, "--list") == 0
    assert "1 pair(s): 0 todo, 0 in progress, 1 done" in capsys.readouterr().out


def test_clear_a_role_keeps_the_other(three_clips, capsys):
    assert _assign(three_clips, "--all", "--annotator", "alice", "--reviewer", "bob") == 0
    assert _assign(three_clips, "--split", "test", "--clear", "reviewer") == 0
    a = Workspace(three_clips).assignments()
    test_pairs = Workspace(three_clips).ds.pair_ids("test")
    assert all(a[p] == {"annotator": "alice"} for p in test_pairs) and len(a) == 9
    assert _assign(three_clips, "--all", "--clear") == 0
    assert Workspace(three_clips).assignments() == {}
    capsys.readouterr()
    assert _assign(three_clips, "--all", "--clear", "annotator", "--annotator", "x") == 2
    assert "contradict" in capsys.readouterr().err


@pytest.mark.parametrize("argv, words", [
    (["--clip", "nope", "--annotator", "x"], "pairs/nope: no clip 'nope' with pairs in this dataset"),
    (["--pairs", "toy000/0000__0009", "--annotator", "x"],
     "pairs/toy000/0000__0009.json: no pair 'toy000/0000__0009' in this dataset"),
    (["--split", "nope", "--list"], "splits.json: dataset has no split 'nope'"),
    (["--annotator", "x"], "name the pairs to assign: --clip NAME, --pairs ID, --split S or --all"),
    (["--all", "--annotator", "a/b"], "'user' must be a name"),
])
def test_mistakes_are_one_line_errors_that_write_nothing(three_clips, capsys, argv, words):
    assert _assign(three_clips, *argv) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (three_clips / "annotations" / "assignments.json").exists()


def test_a_dataset_without_pairs_is_a_one_line_error(three_clips, capsys):
    shutil.rmtree(three_clips / "pairs")
    (three_clips / "pairs").mkdir()
    assert _assign(three_clips, "--list") == 2
    err = capsys.readouterr().err
    assert f"{three_clips / 'pairs'}: the dataset has no pairs" in err and len(err.strip().splitlines()) == 1


# ---- the reviewer's verdict ----------------------------------------------------------------------

@pytest.fixture
def client(toy_root):
    pytest.importorskip("flask")
    from annotator.server import create_app

    return create_app(toy_root).test_client()


def _status(client, pid: str, base: int, status: str, user: str | None = None, comment: str | None = None):
    op = {"kind": "status", "status": status, **({"comment": comment} if comment is not None else {})}
    return client.post(f"/api/pair/{pid}/op", json={"base": base, "op": op, **({"user": user} if user else {}),
                                                    "effort": {"seconds": 1, "keys": 1}})


def test_only_the_assigned_reviewer_accepts_or_rejects(client, toy_root):
    assert main(["assign", str(toy_root), "--pairs", P1, "--annotator", "alice", "--reviewer", "bob"]) == 0
    # the annotator, or a page without a name, cannot accept: 403 naming the reviewer, nothing written
    for user in ("alice", None):
        r = _status(client, P1, 0, "accepted", user)
        assert r.status_code == 403, r.get_json()
        body = r.get_json()
        assert body["reviewer"] == "bob" and f"pair {P1} is reviewed by 'bob'" in body["error"]
        assert ("'alice'" if user else "set yours in the page") in body["error"]
    assert Workspace(toy_root).current(P1)["version"] == 0
    assert not (toy_root / "annotations" / "clips").exists()  # no op, no effort: a refused write writes nothing
    # marking it done is the annotator's; the edits too
    assert _status(client, P1, 0, "done", "alice").status_code == 200
    # the reviewer rejects with a comment; the annotator fixes and marks it done again (allowed)
    assert _status(client, P1, 1, "rejected", "bob", "A 3 is the sleeve").status_code == 200
    assert _status(client, P1, 2, "rejected", "alice", "fine").status_code == 403  # the verdict's comment too
    assert _status(client, P1, 2, "done", "alice").status_code == 200
    # the reviewer accepts; the annotator can neither undo that nor move the pair back to done
    assert _status(client, P1, 3, "accepted", "bob").status_code == 200
    r = client.post(f"/api/pair/{P1}/undo", json={"base": 4, "user": "alice"})
    assert r.status_code == 403 and "change its status from accepted" in r.get_json()["error"]
    assert _status(client, P1, 4, "done", "alice").status_code == 403
    assert client.post(f"/api/pair/{P1}/restore", json={"base": 4, "version": 2, "user": "alice"}).status_code == 403
    assert client.post(f"/api/pair/{P1}/undo", json={"base": 4, "user": "bob"}).status_code == 200
    hist = client.get(f"/api/pair/{P1}/history").get_json()["versions"]
    assert [(h["kind"], h["status"], h["user"]) for h in hist[:3]] == [
        ("undo", "done", "bob"), ("status", "accepted", "bob"), ("status", "done", "alice")]
    from annotator.integrity import check_annotations

    assert check_annotations(toy_root) == []


def test_without_a_reviewer_anyone_accepts_as_before(client, toy_root):
    # a single user, no name, nothing assigned
    assert _status(client, P1, 0, "accepted").status_code == 200
    # an annotator assigned but no reviewer: still anyone
    Workspace(toy_root).assign_pairs([P2], annotator="alice")
    assert _status(client, P2, 0, "accepted", "carol").status_code == 200
    # the rule is the workspace's, so a script writing through it meets it too
    Workspace(toy_root).assign_pairs([P2], reviewer="bob")
    with pytest.raises(ReviewerError, match="reviewed by 'bob'"):
        Workspace(toy_root).apply(P2, 1, {"kind": "status", "status": "rejected", "comment": "x"}, user="carol")
