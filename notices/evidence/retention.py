"""Erasing callers' numbers and addresses once the retention period is over.

The hashed records hold only keyed digests of personal data, so erasing the values leaves
the chain verifying. The erasure is itself logged, before it happens: if it is cut short,
running it again finishes it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from notices.evidence.log import EvidenceLog
from notices.evidence.personal import PersonalData, retention_cutoff
from notices.timeparse import utc_stamp


def purge_cutoff(older_than: str) -> str:
    """The UTC moment before which values are erased, from `36m`, `3y`, `90d`."""
    return utc_stamp(retention_cutoff(older_than, datetime.now(UTC)))


def purge_personal(log: EvidenceLog, older_than: str, cutoff: str) -> list[str]:
    """Erase every personal value recorded before `cutoff`; return their refs."""
    personal = PersonalData(log.database)
    # Logged first: if the erasure is interrupted, running the command again finishes it.
    log.append(
        "personal.purged",
        {"older_than": older_than, "cutoff": cutoff, "refs": personal.refs_before(cutoff)},
    )
    erased = personal.erase_before(cutoff)
    log.anchor("personal data purged")
    return erased
