"""The staff gate's rate limits: fixed-window counters in the database.

One row per (scope, key) in `gate_limits`, so a restarted `serve` keeps its counts and an
attacker cannot clear them by making it restart. A window starts at a scope's first event
and lasts `window` seconds; then the count starts again. Keys of numbers are keyed digests
(the data folder's HMAC key, as for personal data): the table never holds a number.

Scopes the gate uses:

    staff        failures of one allowlisted number (wrong code or PIN, ...): locks it out
    stranger     texts and calls from one number not on the allowlist
    strangers    all of those together
    unsigned     requests without a valid signature
    replayed     signed requests seen before
    codes        code requests of one staff number (an hour's window)
    unavailable  requests answered 503 (no auth token, invalid configuration)

Only `staff` ever refuses a command; the others only decide what is logged (and `codes`
whether a code is sent), so nobody outside the allowlist can lock staff out.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from enum import Enum

from notices.db import Database


class Budget(Enum):
    """What to do with one more event in a limited scope."""

    LOG = "log"  # under the limit: handle and log as usual
    LAST = "last"  # the first over the limit: log once, saying that more are not logged
    QUIET = "quiet"  # over the limit, already told in this window: log nothing

    @staticmethod
    def of(count: int, limit: int) -> Budget:
        if count <= limit:
            return Budget.LOG
        return Budget.LAST if count == limit + 1 else Budget.QUIET

    def worst(self, other: Budget) -> Budget:
        order = [Budget.LOG, Budget.LAST, Budget.QUIET]
        return max(self, other, key=order.index)


class RateLimits:
    """Counters that survive a restart; `clock` is wall-clock seconds (time.time)."""

    def __init__(
        self, database: Database, key: bytes, clock: Callable[[], float] = time.time
    ) -> None:
        self.database = database
        self.key = key
        self.clock = clock
        # (scope, key) -> when its window ends, for scopes already over their limit and told:
        # a flood is then answered from memory, without a database write per request.
        self._quiet: dict[tuple[str, str], float] = {}

    def digest(self, value: str | None) -> str:
        """The key of a number in this table: a keyed digest, never the number."""
        if not value:
            return ""
        return hmac.new(self.key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def hit(self, scope: str, key: str, window: float) -> int:
        """Count one event; return the count in the current window, this one included."""
        now = self.clock()
        with self.database.transaction() as conn:
            conn.execute("DELETE FROM gate_limits WHERE ends <= ?", (now,))
            conn.execute(
                "INSERT INTO gate_limits (scope, key, ends, count) VALUES (?, ?, ?, 1)"
                " ON CONFLICT (scope, key) DO UPDATE SET count = gate_limits.count + 1",
                (scope, key, now + window),
            )
            row = conn.execute(
                "SELECT count FROM gate_limits WHERE scope = ? AND key = ?", (scope, key)
            ).fetchone()
        return int(row[0])

    def count(self, scope: str, key: str) -> int:
        """The count in the current window, without counting."""
        rows = self.database.query(
            "SELECT count FROM gate_limits WHERE scope = ? AND key = ? AND ends > ?",
            (scope, key, self.clock()),
        )
        return int(rows[0][0]) if rows else 0

    def budget(self, scope: str, key: str, limit: int, window: float) -> Budget:
        if self._is_quiet(scope, key):
            return Budget.QUIET
        budget = Budget.of(self.hit(scope, key, window), limit)
        if budget is Budget.QUIET:
            self._quiet_until_window_ends(scope, key)
        return budget

    def _is_quiet(self, scope: str, key: str) -> bool:
        ends = self._quiet.get((scope, key))
        if ends is not None and self.clock() < ends:
            return True
        self._quiet.pop((scope, key), None)
        return False

    def _quiet_until_window_ends(self, scope: str, key: str) -> None:
        rows = self.database.query(
            "SELECT ends FROM gate_limits WHERE scope = ? AND key = ?", (scope, key)
        )
        if rows:
            if len(self._quiet) > 10_000:  # many numbers: forget the oldest first
                self._quiet.pop(next(iter(self._quiet)))
            self._quiet[(scope, key)] = float(rows[0][0])

    def first_telling(self, scope: str, key: str, window: float) -> bool:
        """True once per window of (scope, key): the moment to log or tell of a limit."""
        if self._is_quiet(scope, key):
            return False
        now = self.clock()
        with self.database.transaction() as conn:
            conn.execute("DELETE FROM gate_limits WHERE ends <= ?", (now,))
            conn.execute(
                "INSERT INTO gate_limits (scope, key, ends, count) VALUES (?, ?, ?, 0)"
                " ON CONFLICT (scope, key) DO NOTHING",
                (scope, key, now + window),
            )
            changed = conn.execute(
                "UPDATE gate_limits SET told = 1 WHERE scope = ? AND key = ? AND told = 0",
                (scope, key),
            ).rowcount
        if changed != 1:
            self._quiet_until_window_ends(scope, key)
        return changed == 1
