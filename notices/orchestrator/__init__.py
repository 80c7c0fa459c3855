"""The orchestrator: the concurrent fan-out over channels that every command runs through.

- `flow`: the one flow (switch, resume) and `Orchestrator`, its entry (imported from
  there: this package's own import stays light for a cold command's head start, early.py);
- `runner`: one step on every channel at once, with retries, logged; the Gate;
- `status`: each channel read back and judged;
- `outcomes`: what a command reports; `setup`: channels and credentials from the config.
"""

from notices.orchestrator.outcomes import (
    ChannelOutcome,
    Progress,
    ProgressState,
    Result,
    no_progress,
)
from notices.orchestrator.setup import (
    BrokenChannel,
    build_channels,
    build_channels_apart,
    keep_channels,
    kept_channels,
    missing_credentials,
)

__all__ = [
    "BrokenChannel",
    "ChannelOutcome",
    "Progress",
    "ProgressState",
    "Result",
    "build_channels",
    "build_channels_apart",
    "keep_channels",
    "kept_channels",
    "missing_credentials",
    "no_progress",
]
