"""Proposals: centres and institutes answer a problem or a service request; the SME compares them
and accepts one (`core`: visibility and reads; `submitting`: submit, revise, withdraw;
`accepting`: accept, which writes the draft contract, and `decline_live`, which problems and
service requests call when they are decided). Callers write `proposals.submit(...)`.

Every state change of a proposal is made here; a problem's or a request's own state is changed
by its area's verbs (`problems.award`, `service_requests.accept_with_proposal`, ...)."""

from services.proposals.accepting import accept, decline_live
from services.proposals.core import (
    MilestoneTerms,
    ProposalAlreadyLive,
    ProposalLapsed,
    ProposalNotFound,
    ProposalNotPending,
    ProposalSort,
    ProposalTerms,
    ProposalView,
    get,
    list_for_problem,
    list_for_request,
    list_revisions,
    visible_proposals,
)
from services.proposals.submitting import revise, submit, submit_for_request, withdraw

__all__ = [
    "MilestoneTerms",
    "ProposalAlreadyLive",
    "ProposalLapsed",
    "ProposalNotFound",
    "ProposalNotPending",
    "ProposalSort",
    "ProposalTerms",
    "ProposalView",
    "accept",
    "decline_live",
    "get",
    "list_for_problem",
    "list_for_request",
    "list_revisions",
    "revise",
    "submit",
    "submit_for_request",
    "visible_proposals",
    "withdraw",
]
