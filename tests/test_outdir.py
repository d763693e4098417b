"""out/ is replaced whole: interrupted writers (SIGTERM, SIGKILL) and racing writers never mix it."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aksflow import outdir
from aksflow.errors import ConfigError

STACKS = ("dev", "staging", "prod", "qa", "perf")

# A writer that publishes generation after generation, each file naming its generation, slowly
# enough that a signal lands mid-write most of the time.
WRITER = """
import sys, time
from pathlib import Path
from aksflow import interrupts, outdir
from aksflow.errors import Interrupted

out, first, count = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
stacks = sys.argv[4].split(",")

def write(generation):
    def populate(staging):
        for stack in stacks:
            (staging / stack).mkdir()
            for name in ("state.json", "policy.json"):
                (staging / stack / name).write_text(f"{generation}\\n" + "x" * 200_000)
                time.sleep(0.004)
    return populate

try:
    with interrupts.handled():
        print("ready", flush=True)
        for generation in range(first, first + count):
            outdir.publish(out, write(generation))
except Interrupted as exc:
    sys.exit(exc.exit_code)
"""


def _start(out: Path, first: int, count: int) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(out), str(first), str(count), ",".join(STACKS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    return child


def _assert_whole(out: Path) -> int | None:
    """The generation ``out`` holds, asserting it is complete and from one run."""
    if not out.exists():
        return None
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([outdir.MARKER, *STACKS]), names
    generations = {
        (out / stack / name).read_text().split("\n", 1)[0]
        for stack in STACKS
        for name in ("state.json", "policy.json")
    }
    assert len(generations) == 1, generations
    return int(generations.pop())


def _strays(out: Path) -> list[str]:
    return sorted(
        p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.aksflow-")
    )


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_an_interrupted_write_leaves_the_old_or_the_new_tree_never_a_mix(
    tmp_path: Path, sig: signal.Signals
) -> None:
    out = tmp_path / "out"
    rng = random.Random(12)
    seen: set[int | None] = set()
    for trial in range(8):
        child = _start(out, first=trial * 100, count=50)
        time.sleep(rng.uniform(0.02, 0.4))
        child.send_signal(sig)
        _, stderr = child.communicate(timeout=30)
        assert child.returncode == (143 if sig == signal.SIGTERM else -9), stderr
        seen.add(_assert_whole(out))
        if sig == signal.SIGTERM:
            assert "Traceback" not in stderr
            assert [s for s in _strays(out) if not s.endswith("-lock")] == []
    assert len(seen) > 1  # the trials really interrupted different generations
    # A later writer removes what a killed one left beside out/.
    done = _start(out, first=10_000, count=1)
    done.communicate(timeout=30)
    assert done.returncode == 0
    assert _assert_whole(out) == 10_000
    assert [s for s in _strays(out) if not s.endswith("-lock")] == []


def test_two_writers_into_the_same_out_do_not_collide(tmp_path: Path) -> None:
    out = tmp_path / "out"
    writers = [_start(out, first=1000 * (i + 1), count=3) for i in range(2)]
    for writer in writers:
        _, stderr = writer.communicate(timeout=60)
        assert writer.returncode == 0, stderr
    assert _assert_whole(out) in (1002, 2002)


def test_foreign_directories_and_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="is a file, not a directory"):
        outdir.check_target(tmp_path / "file")
    (tmp_path / "proj" / "src").mkdir(parents=True)
    (tmp_path / "proj" / "src" / "main.py").write_text("x")
    with pytest.raises(ConfigError, match="holds src, which aksflow did not write"):
        outdir.publish(tmp_path / "proj", lambda staging: None)
    assert (tmp_path / "proj" / "src" / "main.py").read_text() == "x"
    (tmp_path / "link").symlink_to(tmp_path / "proj")
    with pytest.raises(ConfigError, match="is a symlink"):
        outdir.check_target(tmp_path / "link")


def test_an_output_of_an_older_aksflow_is_replaced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "dev").mkdir(parents=True)
    (out / "dev" / "state.json").write_text("{}")
    (out / "pr").mkdir()
    (out / "pr" / "comment.md").write_text("hi")
    outdir.publish(out, lambda staging: (staging / "prod").mkdir())
    assert sorted(p.name for p in out.iterdir()) == [outdir.MARKER, "prod"]
