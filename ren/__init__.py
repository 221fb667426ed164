"""The REN (réparation en nature) offer's life: offered → accepted | refused | expired (| withdrawn).

``ren.lifecycle`` holds the state machine (pure); ``ren.service`` records answers over the store.
"""
from ren.lifecycle import Answer, OfferState, next_state
from ren.service import RenOffers

__all__ = ["Answer", "OfferState", "RenOffers", "next_state"]
