"""Deliver the outbox: every releasable event to every sink, each exactly once per sink."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

from handoff.sinks import DeliveryError, Sink

if TYPE_CHECKING:
    from store import Store


@dataclass
class DeliveryReport:
    delivered: list[tuple[str, str]] = field(default_factory=list)  # (event id, sink)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (event id, sink, error)

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        return f"{len(self.delivered)} delivered, {len(self.failed)} failed"


def deliver_pending(store: "Store", sinks: Sequence[Sink]) -> DeliveryReport:
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
