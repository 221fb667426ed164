"""Deliver the outbox: every releasable event to every sink, each exactly once per sink."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol, Sequence

from handoff.events import Event
from handoff.sinks import DeliveryError, Sink


class PendingDelivery(Protocol):
    event: Event
    delivered_to: frozenset[str]


class Outbox(Protocol):
    """What delivery needs of the store (``store.Store`` is one): handoff sits below the store."""

    def pending_events(self, sink_names: list[str]) -> Iterable[PendingDelivery]: ...

    def mark_delivery(self, event_id: str, sink: str, error: str | None = None) -> None: ...


@dataclass
class DeliveryReport:
    delivered: list[tuple[str, str]] = field(default_factory=list)  # (event id, sink)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (event id, sink, error)

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        return f"{len(self.delivered)} delivered, {len(self.failed)} failed"


def deliver_pending(store: Outbox, sinks: Sequence[Sink]) -> DeliveryReport:
    """Send what is pending; a failing sink does not stop the others, and is retried next run."""
    report = DeliveryReport()
    names = [sink.name for sink in sinks]
    if len(set(names)) != len(names):
        raise ValueError(f"sink names must be unique, got {names}")
    for pending in store.pending_events(names):
        for sink in sinks:
            if sink.name in pending.delivered_to:
                continue
            try:
                sink.send(pending.event)
            except DeliveryError as exc:
                store.mark_delivery(pending.event.id, sink.name, error=exc.message)
                report.failed.append((pending.event.id, sink.name, exc.message))
            else:
                store.mark_delivery(pending.event.id, sink.name)
                report.delivered.append((pending.event.id, sink.name))
    return report
