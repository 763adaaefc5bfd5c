"""Proposals: centres and institutes answer a problem or a service request; the SME compares them
and accepts one (`core`: visibility and reads; `submitting`: submit, revise, withdraw;
`accepting`: accept, which writes the draft contract). Callers write `proposals.submit(...)`."""

from services.proposals.accepting import accept
from services.proposals.core import (
    MilestoneTerms,
    ProblemAlreadyAwarded,
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
    "ProblemAlreadyAwarded",
    "ProposalAlreadyLive",
    "ProposalLapsed",
    "ProposalNotFound",
    "ProposalNotPending",
    "ProposalSort",
    "ProposalTerms",
    "ProposalView",
    "accept",
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
