"""Personal data (caller numbers, sender addresses): kept apart from the hashed log.

A log record never holds the value, only `ref` = HMAC-SHA256(key, salt || 0x00 || value):
the key (`keys/personal-hmac.key` in the data folder, not in the database) keeps anyone
holding only the database or an export from guessing numbers by brute force, and the
per-value salt, erased together with the value, keeps even the key's holder from guessing
it after the erasure. The values live in the `personal` table, which `purge` empties of
everything older than the retention period (default 36 months: the general three-year
limitation period for claims, Act on the Limitation of Debts 728/2003) and then VACUUMs,
so no copy stays in the database file. The chain stays intact: it covers only the refs.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime
from pathlib import Path

from filelock import FileLock

from notices.db import Database
from notices.evidence.anchor import _write_private, key_path, read_key

KEY_FILE = "keys/personal-hmac.key"
KEY_ENV = "NOTICES_PERSONAL_KEY_FILE"  # provisioned to every node from a secret (docs/store.md)
KEY_BYTES = 32
DEFAULT_RETENTION = "36m"
_RETENTION = re.compile(r"^(?P<n>\d+)\s*(?P<unit>d|m|y)$")


def hmac_key(home: Path) -> bytes:
    """The data folder's HMAC key, created on first use."""
    path, own = key_path(home, KEY_FILE, KEY_ENV, "personal-data key")
    if own and not path.exists():  # the lock only to create it: a read-only copy verifies
        with FileLock(str(path) + ".lock"):
            if not path.exists():
                _write_private(path, secrets.token_bytes(KEY_BYTES))
    return read_key(path, "personal-data key", lambda data: len(data) == KEY_BYTES)


def personal_ref(key: bytes, salt: str, value: str) -> str:
    digest = hmac.new(key, bytes.fromhex(salt) + b"\x00" + value.encode("utf-8"), hashlib.sha256)
    return "hmac-sha256:" + digest.hexdigest()


class PersonalData:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.key = hmac_key(database.path.parent)

    def remember(self, value: str, seen: str) -> str:
        """Store a value; return the ref a log record may hold instead of it."""
        salt = secrets.token_hex(16)
        ref = personal_ref(self.key, salt, value)
        with self.database.transaction() as conn:
            conn.execute(
                "INSERT INTO personal (ref, value, salt, seen) VALUES (?, ?, ?, ?)",
                (ref, value, salt, seen),
            )
        return ref

    def values(self, refs: list[str]) -> dict[str, str]:
        """The values still held for these refs (erased ones are absent)."""
        found: dict[str, str] = {}
        for start in range(0, len(refs), 500):
            chunk = refs[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for ref, value in self.database.query(
                f"SELECT ref, value FROM personal WHERE ref IN ({marks})", tuple(chunk)
            ):
                found[ref] = value
        return found

    def refs_before(self, cutoff: str) -> list[str]:
        """The refs of every value seen before `cutoff`."""
        return [
            str(row[0])
            for row in self.database.query("SELECT ref FROM personal WHERE seen < ?", (cutoff,))
        ]

    def erase_before(self, cutoff: str) -> list[str]:
        """Erase every value seen before `cutoff`; return their refs. Then VACUUM, so the
        bytes leave the file too (WAL checkpointed and truncated)."""
        refs = self.refs_before(cutoff)
        self.database.erase("DELETE FROM personal WHERE seen < ?", (cutoff,))
        return refs


def check_personal(database: Database) -> str | None:
    """Every stored value must still match its ref: no number swapped for another."""
    rows = database.query("SELECT ref, value, salt FROM personal")
    if not rows:
        return None
    path, _ = key_path(database.path.parent, KEY_FILE, KEY_ENV, "personal-data key")
    if not path.exists():
        return f"personal data is stored but its key {KEY_FILE} is missing"
    key = read_key(path, "personal-data key", lambda data: len(data) == KEY_BYTES)
    for ref, value, salt in rows:
        if not hmac.compare_digest(personal_ref(key, salt, value), ref):
            return f"the personal data stored for {ref[:24]}... was altered"
    return None


def retention_cutoff(text: str, now: datetime) -> datetime:
    """`36m` (months), `3y`, `90d` before `now`."""
    from datetime import timedelta

    from notices.errors import UsageError

    match = _RETENTION.match(text.strip().lower())
    if not match:
        raise UsageError(f"{text!r} is not a period: write e.g. 36m (months), 3y or 90d")
    n, unit = int(match["n"]), match["unit"]
    if unit == "d":
        return now - timedelta(days=n)
    months = n * (12 if unit == "y" else 1)
    year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
    month += 1
    day = now.day
    while True:
        try:
            return now.replace(year=year, month=month, day=day)
        except ValueError:  # 31 March minus one month: the last day of February
            day -= 1


def _mask_number(compact: str) -> str | None:
    """An international number masked with the `phonenumbers` library's knowledge of its
    country's grouping: the country code and the last two digits kept, every other digit a
    `*` (`+46701234598` -> `+46 ** *** ** 98`). None if it is not a valid number."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(compact if compact.startswith("+") else f"+{compact}")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    prefix = f"+{parsed.country_code} "
    if not formatted.startswith(prefix):
        return None
    rest = formatted[len(prefix) :]
    keep = sum(c.isdigit() for c in rest) - 2
    shown = []
    for char in rest:
        if char.isdigit():
            shown.append("*" if keep > 0 else char)
            keep -= 1
        else:
            shown.append(char)
    return prefix + "".join(shown)


def mask(value: str | None) -> str:
    """`+358401234567` -> `+358 ** *****67`; `matti@example.fi` -> `m***@example.fi`."""
    if value is None:
        return "—"
    if "@" in value:
        local, _, domain = value.rpartition("@")
        return f"{local[:1]}***@{domain}"
    compact = re.sub(r"[\s\-().]", "", value)
    masked_number = _mask_number(compact)
    if masked_number:
        return masked_number
    if re.fullmatch(r"\+?\d{5,}", compact):
        if compact.startswith("+358"):
            head = f"+358 {compact[4:6]}"
            tail = compact[6:]
        else:
            head, tail = compact[:4], compact[4:]
        hidden = "*" * max(len(tail) - 2, 0)
        shown = tail[-2:] if len(tail) > 2 else ""
        masked = hidden + shown
        return f"{head} {masked[:3]} {masked[3:]}".rstrip()
    return value[:1] + "***"
