"""Contacts the providers recorded during an incident, asked for and stored in the log."""

from __future__ import annotations

from collections.abc import Callable

from notices.channels.base import Channel
from notices.errors import ChannelError
from notices.evidence.contacts import ChannelContacts, record_collection, store_contacts
from notices.evidence.log import EvidenceLog


def collect_contacts(
    channels: list[Channel],
    log: EvidenceLog,
    incident: str,
    since: str,
    until: str,
    plain: Callable[[BaseException], str],
) -> list[ChannelContacts]:
    """Ask every channel for the contacts its provider recorded in the window, store the
    new ones and log the outcome. A channel's failure is its entry, never an exception."""
    results = []
    for channel in channels:
        try:
            contacts = channel.contacts(since, until)
        except ChannelError as exc:
            results.append(ChannelContacts(channel.name, True, error=plain(exc)))
            continue
        if contacts is None:
            results.append(ChannelContacts(channel.name, False))
            continue
        new = store_contacts(log, channel.name, incident, contacts)
        results.append(ChannelContacts(channel.name, True, len(contacts), new))
    record_collection(log, incident, since, until, results)
    return results
