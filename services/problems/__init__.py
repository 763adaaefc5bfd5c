"""Technical problems posted by SMEs: tiers of confidentiality, NDA acceptances, invitations, questions.

Visibility (`visible_problems`): the posting SME's members see their problems; every signed-in
user sees `public` ones; centre and institute staff see `nda` ones (title, field and summary;
the details once their organisation has accepted the NDA); only invited providers see an
`invite_only` problem (an invitation of a centre extends to its institutes). Anything else: 404.

Expiry is derived at read time: a problem still `open` or `in_review` whose deadline has passed
is `expired` everywhere (responses, filters, and writes, which answer 409), without a job.

A package: `core` (visibility, redaction, status, posting, closing, and the state changes proposals
ask for: `mark_in_review`, `reopen`, `award`), `access` (invitations, NDA acceptances), `questions`
(clarifying questions); the public names are re-exported here. Every state change of a problem is
made here.
"""

from services.problems.access import accept_nda, invite, list_invitations, list_nda_acceptances
from services.problems.core import (
    ACCEPTING,
    UNSET,
    AlreadyInvited,
    AttachmentLink,
    Budget,
    NdaAlreadyAccepted,
    NdaNotApplicable,
    NdaRequired,
    NotInviteOnly,
    ProblemAlreadyAwarded,
    ProblemChanges,
    ProblemInput,
    ProblemNotFound,
    ProblemNotOpen,
    ProblemView,
    QuestionAlreadyAnswered,
    QuestionNotFound,
    Unset,
    award,
    close,
    create,
    effective_status,
    get,
    get_problem,
    invitation_scope,
    is_owner,
    list_visible,
    mark_in_review,
    reopen,
    require_accepting,
    require_awardable,
    require_details,
    require_may_propose,
    require_owner_staff,
    status_clause,
    update,
    view_of,
    views_of,
    visible_problems,
)
from services.problems.questions import QuestionView, answer, ask, list_questions

__all__ = [
    "ACCEPTING",
    "UNSET",
    "AlreadyInvited",
    "AttachmentLink",
    "Budget",
    "NdaAlreadyAccepted",
    "NdaNotApplicable",
    "NdaRequired",
    "NotInviteOnly",
    "ProblemAlreadyAwarded",
    "ProblemChanges",
    "ProblemInput",
    "ProblemNotFound",
    "ProblemNotOpen",
    "ProblemView",
    "QuestionAlreadyAnswered",
    "QuestionNotFound",
    "QuestionView",
    "Unset",
    "accept_nda",
    "answer",
    "ask",
    "award",
    "close",
    "create",
    "effective_status",
    "get",
    "get_problem",
    "invitation_scope",
    "invite",
    "is_owner",
    "list_invitations",
    "list_nda_acceptances",
    "list_questions",
    "list_visible",
    "mark_in_review",
    "reopen",
    "require_accepting",
    "require_awardable",
    "require_details",
    "require_may_propose",
    "require_owner_staff",
    "status_clause",
    "update",
    "view_of",
    "views_of",
    "visible_problems",
]
