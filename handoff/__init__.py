"""Hand-offs downstream: events (REN offer, payment, dossier closed) through a transactional outbox."""
from handoff.deliver import DeliveryReport, deliver_pending
from handoff.events import (
    DOSSIER_CLOSED,
    EVENT_TYPES,
    PAYMENT_CANCELLED,
    PAYMENT_REQUESTED,
    REN_OFFER_REQUESTED,
    Event,
    build_events,
    event_id,
)
from handoff.sinks import DeliveryError, FolderSink, Sink, WebhookSink

__all__ = [
    "DOSSIER_CLOSED", "EVENT_TYPES", "PAYMENT_CANCELLED", "PAYMENT_REQUESTED", "REN_OFFER_REQUESTED", "DeliveryError", "DeliveryReport",
    "Event", "FolderSink", "Sink", "WebhookSink", "build_events", "deliver_pending", "event_id",
]
