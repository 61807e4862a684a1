"""The grader: chains the stages for each submission and runs a batch over a process pool.

Per submission, in a worker process (trusted: it only ever reads plain data from the sandbox):
execute (sandbox) -> extract -> validate (GX, imported once per worker) -> score, giving one
`GradeResult`. The main process then writes the executed notebook and the reports, and records
the result last (gradebook in one transaction, then the ledger): the ledger is the commit mark
of a submission, so "the ledger is current" means everything about it is on disk. One result
per submission, whatever the submission does, and whatever the grader itself does: a grader
exception or a worker process dying on a submission records that submission with the status
`grader_error` (0 points, retried by the next run) instead of losing it or stopping the batch.

Job slots: each worker holds one sandbox slot (its own unprivileged uid) for its lifetime,
claimed with an exclusive lock file shared by every grader process on the machine, so two
`datalit grade` runs never put two jobs on one uid (the sandbox kills a slot's leftover
processes before and after each run). The slot also owns a work folder,
`work_root()/slot-<n>/`, holding the work dir of the submission being graded; whoever claims a
slot empties its folder first, and a batch empties the folders of all free slots when it starts,
so the work dirs of a killed grader are freed by the next run on the machine.

Crash safety. Workers are started with the `spawn` method (no inherited locks, threads or file
descriptors of the main process) and ask the kernel to SIGKILL them when the main process dies
(PR_SET_PDEATHSIG); the sandbox's bwrap dies with its worker (--die-with-parent), and with it
every process of the run. So `kill -9` of `datalit grade` leaves no process behind; a rerun
skips every submission whose ledger is current and grades exactly the others.

Two grader processes on one course: each candidate is claimed (an flock on
`.datalit/claims/<exercise>/<candidate>.lock`, held by the main process from submission to the
pool until the result is recorded) before it is graded. A process finding a candidate claimed
by another one grades its other candidates first, then waits for the claim and skips the
candidate if the other process recorded a current result meanwhile; if that process died, it
grades the candidate itself. No candidate is graded by two processes at once, none is lost.

This package is the stage's face: the names the rest of datalit uses. The modules, each
importing only those before it:

- `jobs`: `Job`, `BatchSummary`, `grader_version`, `GRADER_ERROR`, `MAX_SUBMISSION_BYTES`;
- `workdirs`: `work_root`, the slots' work folders, `remove_tree`;
- `slots`: job slots (`claim_slot`, `sweep_work_folders`, a worker's own slot and work dir) and
  claims (`try_claim`);
- `pool`: the spawned worker processes and their pool;
- `one`: `grade_one`, `grader_error_result`, `submission_sha256`, zero scores;
- `loop`: the main process's batch loop (claims, the pool, crashes, timeouts graded again
  alone, recording);
- `batch`: `grade_batch`.

The stages after grading (autograded, report, record) and the course are imported only inside
the functions that need them, never at import time.
"""

from __future__ import annotations

from datalit.grading.grader.batch import grade_batch
from datalit.grading.grader.jobs import (
    GRADER_ERROR,
    MAX_SUBMISSION_BYTES,
    BatchSummary,
    Job,
    grader_version,
)
from datalit.grading.grader.loop import IN_FLIGHT_PER_WORKER, POLL_S, WALL_CLOCK_STATUSES
from datalit.grading.grader.one import grade_one, grader_error_result, submission_sha256
from datalit.grading.grader.slots import (
    MAX_SLOTS,
    SLOT_LOCK_DIR,
    claim_slot,
    claims_folder,
    sweep_work_folders,
    try_claim,
)
from datalit.grading.grader.workdirs import WORK_ROOT_ENV, remove_tree, work_root
from datalit.grading.results import GradeResult, OutputFile

__all__ = [
    "GRADER_ERROR",
    "IN_FLIGHT_PER_WORKER",
    "MAX_SLOTS",
    "MAX_SUBMISSION_BYTES",
    "POLL_S",
    "SLOT_LOCK_DIR",
    "WALL_CLOCK_STATUSES",
    "WORK_ROOT_ENV",
    "BatchSummary",
    "GradeResult",
    "Job",
    "OutputFile",
    "claim_slot",
    "claims_folder",
    "grade_batch",
    "grade_one",
    "grader_error_result",
    "grader_version",
    "remove_tree",
    "submission_sha256",
    "sweep_work_folders",
    "try_claim",
    "work_root",
]
