"""The one lock order of every competition write.

A write takes its locks in this order, each level as often as it needs (several rows of a kind,
in the stable order the store function uses) but never after a later level. ``UnitOfWork.at``
enforces it: asking for an earlier level raises ``LockOrderError``.

1. ASSIGNMENT_WRITERS — the advisory keys that serialise the writers which create assignments or
   introduce conflicts of interest (AutoAssign, CreateAssignment, DeclareConflict, new entry
   organisations, panel changes): per contest, or for every contest at once for a judge's new
   affiliations (store.assignments.lock_contest_assignments / lock_all_contest_assignments).
2. CONTEST — the contest row: FOR UPDATE to change it or to add a round, FOR SHARE to open a round.
3. EDITED — the one entry, judge or landing row a command edits (FOR NO KEY UPDATE / FOR UPDATE).
4. ROUNDS — round rows: FOR UPDATE for a state change, FOR SHARE for a writer into the round
   (assignments, withdrawals, sheets), so a round never changes state under a write into it.
5. ASSIGNMENTS — assignment rows: FOR UPDATE to withdraw (delete) them, FOR KEY SHARE while a sheet
   is written for one.
6. SHEETS — score sheet rows (written or deleted after their assignment).

The audit record and the request id's key come last, in the transaction's final statement; they
take no lock another writer waits for (the audit log is append-only, sealed later off the write
path), so there is no global lock anywhere on the write path. Foreign-key checks take KEY SHARE on
the referenced rows, which conflicts only with deleting them or changing their keys; of the rows
above only assignments are ever deleted, and only at level 5.

SubmitScoreSheet, the hot path, follows the same order inside its one write statement: the round
FOR SHARE and the assignment FOR KEY SHARE (a guard), then the sheet.
"""

from __future__ import annotations

from enum import IntEnum


class Lock(IntEnum):
    ASSIGNMENT_WRITERS = 1
    CONTEST = 2
    EDITED = 3
    ROUNDS = 4
    ASSIGNMENTS = 5
    SHEETS = 6
