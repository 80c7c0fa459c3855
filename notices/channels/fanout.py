"""One fan-out for channels with several targets (phone numbers, mailboxes)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from notices.errors import ChannelError, PermanentChannelError, TransientChannelError

T = TypeVar("T")


def for_each(targets: Sequence[str], work: Callable[[str], T], workers: int) -> dict[str, T]:
    """Run `work` for every target, at most `workers` at once; results in target order.

    Every target is tried, whatever the others do. Failures become one error, transient if
    any target's is (apply is idempotent, so a retry repeats only what is unfinished), else
    permanent; it names what was done. An exception that is not a ChannelError counts as
    transient, in plain words.
    """
    results: dict[str, T] = {}
    errors: dict[str, ChannelError] = {}

    def one(target: str) -> None:
        try:
            results[target] = work(target)
        except ChannelError as exc:
            errors[target] = exc
        except Exception as exc:  # noqa: BLE001 - every target is tried; reported below
            errors[target] = TransientChannelError(f"{target}: {type(exc).__name__} {exc}")

    if targets:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(targets)))) as pool:
            list(pool.map(one, targets))
    if not errors:
        return {target: results[target] for target in targets}
    if len(errors) == 1 and not results:
        raise next(iter(errors.values()))
    failed = [errors[target] for target in targets if target in errors]
    message = "; ".join(dict.fromkeys(str(exc) for exc in failed))
    done = [target for target in targets if target in results]
    if done:
        message += f" (done: {', '.join(done)})"
    transient = [exc for exc in failed if exc.transient]
    if transient:
        waits = [w for exc in transient if (w := getattr(exc, "retry_after", None)) is not None]
        raise TransientChannelError(message, retry_after=max(waits) if waits else None)
    raise PermanentChannelError(message)
