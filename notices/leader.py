"""Which `serve` runs the scheduler: the leader (docs/store.md).

On SQLite, the one `serve` that holds serve.lock leads, as always. On PostgreSQL, every
node tries every second to take a session advisory lock on a connection of its own; the one
holding it leads and runs the scheduler (notices/schedule.py), the others stand by, answer
webhooks and watch. A leader that dies lets go of the lock with its connection (at once
when the process dies, within seconds when the machine or the network does: keep-alives),
and a standby takes the lead: it logs `node.leading` (which node, from which), releases the
resumes the dead leader left half run, and its scheduler runs what is due. A leader whose
connection is cut stops its scheduler at once and stands by: it can no longer write
anything, so the new leader's work is never done twice.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from notices.db import Database, node_name
from notices.evidence.log import EvidenceLog
from notices.nodes import LEADER, LEADING_RECORD, STANDBY, previous_leader, record_node
from notices.schedule import Scheduler, say

ELECT_SECONDS = 1.0


class Leadership:
    """The scheduler of one `serve`, run while this node leads: `start(address)`, `wake()`,
    `stop()`, `close()` as the Scheduler's, and `role` for `/healthz` and `status`."""

    def __init__(
        self, home: Path, config: Path | None, checkpoint_every: float, started: str
    ) -> None:
        self.home = home
        self.config = config
        self.checkpoint_every = checkpoint_every
        self.started = started
        self.address = ""
        self.database = Database(home / "notices.db")
        self.node = node_name(home)
        self.scheduler: Scheduler | None = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True, name="leader-election")
        self._lock = None
        if self.database.url is not None:
            from notices.store.postgres import LEADER_LOCK, SessionLock

            self._lock = SessionLock(
                self.database.url, LEADER_LOCK, f"notices leader {os.getpid()}"
            )

    @property
    def shared(self) -> bool:
        """Several nodes may share this store (PostgreSQL)."""
        return self._lock is not None

    @property
    def role(self) -> str:
        return LEADER if self.scheduler is not None else STANDBY

    def start(self, address: str) -> None:
        self.address = address
        if not self.shared:  # SQLite: serve.lock already makes this process the only one
            self._lead()
            return
        self._elect()
        self.thread.start()

    def wake(self) -> None:
        if self.scheduler is not None:
            self.scheduler.wake()

    def stop(self) -> None:
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout=10)
        if self.scheduler is not None:
            self.scheduler.stop()

    def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.close()
        if self.shared and self.address:
            record_node(self.database, self.node, self.role, self.started, self.address, True)
        if self._lock is not None:
            self._lock.release()
        self.database.close()

    def _loop(self) -> None:
        while not self.stopping.wait(ELECT_SECONDS):
            try:
                self._elect()
            except Exception as exc:  # noqa: BLE001 - keep watching; say what went wrong
                print(f"leader election: {exc}", file=sys.stderr, flush=True)

    def _elect(self) -> None:
        assert self._lock is not None
        if self.scheduler is not None and not self._lock.holds():
            self._step_down()
        elif self.scheduler is None and self._lock.try_acquire():
            self._lead()
        record_node(self.database, self.node, self.role, self.started, self.address)

    def _lead(self) -> None:
        """Take the lead, then run the scheduler. Taking it from another node is a
        handover, logged (`node.leading`: this node, and the one that led before)."""
        if self.shared:
            previous = previous_leader(self.database, self.node)
            if previous is not None:
                EvidenceLog(self.database).append(
                    LEADING_RECORD,
                    {"node": self.node, "address": self.address, "previous": previous},
                )
            say(f"this node leads now: {self.node} (before: {previous or 'none'})")
        scheduler = Scheduler(self.home, self.config, self.checkpoint_every, self.started)
        scheduler.start(self.address)
        self.scheduler = scheduler

    def _step_down(self) -> None:
        """The lead is lost (the store connection was cut): stop the scheduler now."""
        scheduler, self.scheduler = self.scheduler, None
        say(f"this node lost the lead (its store connection was cut): {self.node}")
        if scheduler is not None:
            scheduler.stop()
            scheduler.close(stopped=False)
