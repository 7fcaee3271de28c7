"""CPU cost in instructions: callgrind, summed over a command and every process it starts.

Wall time on a shared disk moves with load and fsync (the same code measured
1.20x and 1.48x in two rounds of one run); the number of instructions a
command executes does not. `valgrind --tool=callgrind --trace-children=yes`
counts them for the command, the processes it execs and the ones it forks
(black's pool workers): one output file per process, each ending in a
`totals:` line, summed here. Outputs go to tmpfs (/dev/shm) so that writing
them costs the measured processes nothing; the benches put their projects and
databases there too (`tmpfs_root`), so no run waits for a disk.

Every measured command runs with PYTHONHASHSEED=0 (the same set and dict
orders in every run, so the same count) and with bytecode caching on; the
benches run each command once untraced first, so that the .pyc files exist
(what an installed package has; compiling is not the steady state).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

MISSING = (
    "error: valgrind is not installed; --instructions counts CPU instructions with"
    " callgrind (apt-get install valgrind)"
)


def available() -> bool:
    return shutil.which("valgrind") is not None


def tmpfs_root() -> str | None:
    """/dev/shm when this machine has it (Linux), else None (the system temp folder)."""
    return "/dev/shm" if os.path.isdir("/dev/shm") else None


def measured_env() -> dict[str, str]:
    env = dict(os.environ, PYTHONHASHSEED="0")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


class CommandFailed(Exception):
    pass


def instructions(
    cmd: Sequence[str], cwd: Path | None = None, *, warm_up: bool = False
) -> int:
    """Instructions executed by `cmd` and all its processes (callgrind's totals, summed).

    warm_up: run it once untraced first (for commands that change no state).
    Raises CommandFailed, with the command's output, when it exits non-zero."""
    env = measured_env()
    if warm_up:
        subprocess.run(list(cmd), cwd=cwd, env=env, capture_output=True)
    with tempfile.TemporaryDirectory(
        prefix="contractspec-callgrind-", dir=tmpfs_root()
    ) as out:
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--trace-children=yes",
                f"--callgrind-out-file={out}/callgrind.%p",
                f"--log-file={out}/valgrind.%p.log",
                *cmd,
            ],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise CommandFailed(
                f"{' '.join(map(str, cmd))} exited {done.returncode} under callgrind:\n"
                f"{done.stdout[-1500:]}\n{done.stderr[-1500:]}"
            )
        total = 0
        for path in Path(out).glob("callgrind.*"):
            for line in path.read_text(errors="replace").splitlines():
                if line.startswith("totals:"):
                    total += int(line.split()[1])
        if not total:
            raise CommandFailed(f"callgrind wrote no totals for {' '.join(cmd)}")
        return total


def mi(count: int) -> str:
    """Millions of instructions, as the issue's tables write them (1,254 Mi)."""
    return f"{count / 1e6:,.0f} Mi"
