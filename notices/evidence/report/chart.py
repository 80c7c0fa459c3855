"""The report's chart: each channel's state over time above the inbound contacts per 15
minutes, as a PNG. Imports matplotlib: import this module only to make a report."""

from __future__ import annotations

import io
import itertools
from datetime import datetime, timedelta

import matplotlib
import matplotlib.patches
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from PIL import Image

from notices.evidence.log import Record
from notices.evidence.report.text import ReportText
from notices.timeparse import from_stamp

COLOURS = {"normal": "#4c9a2a", "notice": "#e08a00", "failed": "#c62828"}
CONTACTS_COLOUR = "#1f5fa8"
STATE_OF_KIND = {
    "channel.applied": "notice",
    "channel.restored": "normal",
    "channel.failed": "failed",
}
MAX_BINS = 400

# A channel's state changes: (when, "normal" | "notice" | "failed"), oldest first.
StateChanges = list[tuple[datetime, str]]


def chart_png(records: list[Record], t: ReportText) -> bytes | None:
    """Each channel's state over time, and inbound contacts per 15 minutes, as a PNG."""
    matplotlib.use("Agg")
    if not records:
        return None
    start = from_stamp(records[0].ts)
    end = max(from_stamp(records[-1].ts), start + timedelta(minutes=15))
    changes = channel_states(records)
    # Contacts outside the slice's time span are not drawn.
    contacts = [when for when in contact_times(records) if start <= when <= end]

    figure = Figure(figsize=(7.2, 1.4 + 0.45 * max(len(changes), 1) + 1.6), dpi=110)
    top, bottom = figure.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": [max(len(changes), 1), 2]}
    )
    _draw_states(top, changes, start, end, t)
    _draw_contacts(bottom, contacts, start, end, t)
    clock = "%H:%M" if t.data.lang == "en" else "%H.%M"  # as the report writes times
    bottom.xaxis.set_major_formatter(mdates.DateFormatter(clock, tz=t.data.zone))
    for axis in (top, bottom):
        axis.tick_params(labelsize=7)
    figure.tight_layout()
    return _rgb_png(figure)


def channel_states(records: list[Record]) -> dict[str, StateChanges]:
    """Each channel's changes of state: a notice published, restored to normal, failed (or
    read back different from what was published)."""
    changes: dict[str, StateChanges] = {}
    for record in records:
        if record.kind == "contact.received" or not record.channel:
            continue
        state = STATE_OF_KIND.get(record.kind)
        if record.kind == "channel.verified" and not record.payload.get("holds"):
            state = "failed"
        if state:
            changes.setdefault(record.channel, []).append((from_stamp(record.ts), state))
    return changes


def contact_times(records: list[Record]) -> list[datetime]:
    return [
        from_stamp(str(record.payload.get("at", record.ts)))
        for record in records
        if record.kind == "contact.received"
    ]


def bin_minutes(start: datetime, end: datetime) -> int:
    """15 minutes, doubled until the period needs no more than MAX_BINS bins."""
    minutes = 15
    while (end - start).total_seconds() / 60 / minutes > MAX_BINS:
        minutes *= 2
    return minutes


def _draw_states(
    axis: Axes, changes: dict[str, StateChanges], start: datetime, end: datetime, t: ReportText
) -> None:
    """One row of coloured bars per channel, every channel normal at the start."""
    names = sorted(changes)
    for row, name in enumerate(names):
        steps = [(start, "normal"), *changes[name], (end, "")]
        # One bar collection per state and row: one per step made a 10,000-record incident's
        # chart take half a minute (matplotlib recomputes its limits per collection).
        bars: dict[str, list[tuple[float, float]]] = {}
        for (since, state), (until, _) in itertools.pairwise(steps):
            left, right = mdates.date2num(since), mdates.date2num(until)
            bars.setdefault(state, []).append((left, max(right - left, 1e-6)))
        for state, ranges in bars.items():
            axis.broken_barh(ranges, (row - 0.35, 0.7), color=COLOURS[state])
    axis.set_yticks(range(len(names)), names)
    axis.set_ylim(-0.6, max(len(names), 1) - 0.4)
    handles = [
        matplotlib.patches.Patch(color=COLOURS[s], label=t(f"state_{s}"))
        for s in ("normal", "notice", "failed")
    ]
    axis.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 1.35), ncol=3, fontsize=7)


def _draw_contacts(
    axis: Axes, contacts: list[datetime], start: datetime, end: datetime, t: ReportText
) -> None:
    """Contacts per 15 minutes (wider bins for a long period), aligned to the quarter hour."""
    minutes = bin_minutes(start, end)
    first_bin = start.replace(minute=start.minute - start.minute % 15, second=0, microsecond=0)
    width = timedelta(minutes=minutes)
    counts = [0] * (int((end - first_bin) / width) + 1)
    for when in contacts:
        counts[int((when - first_bin) / width)] += 1
    axis.bar(
        [mdates.date2num(first_bin + width * (i + 0.5)) for i in range(len(counts))],
        counts,
        width=minutes / 1440 * 0.9,
        color=CONTACTS_COLOUR,
    )
    axis.set_ylim(0, max(1, *counts) * 1.15)
    axis.set_ylabel(t("chart_contacts").replace("15", str(minutes)), fontsize=7)
    locator = axis.yaxis.get_major_locator()  # an AutoLocator, which is a MaxNLocator
    if isinstance(locator, MaxNLocator):
        locator.set_params(integer=True)


def _rgb_png(figure: Figure) -> bytes:
    """The figure as an RGB PNG (no alpha channel)."""
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    buffer.seek(0)
    rgb = io.BytesIO()
    Image.open(buffer).convert("RGB").save(rgb, format="PNG")
    return rgb.getvalue()
