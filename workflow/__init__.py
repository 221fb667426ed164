"""The workflow of a dossier above the store: recording the robot's decision and the reviewers' actions
(override, close, reopen, propose REN, approve a payment) with the events each one emits."""
from workflow.service import DossierService

__all__ = ["DossierService"]
