from .initiatives import (
    initiative_attach,
    initiative_attachment_set_public,
    initiative_create,
    initiative_declare_admissible,
    initiative_declare_inadmissible,
    initiative_detach,
    initiative_request_completion,
    initiative_set_budget,
    initiative_set_photo,
    initiative_submit,
    initiative_support,
    initiative_update,
    initiative_withdraw,
    submission_problems,
)
from .quartiers import fund_create, quartier_create, theme_create
from .referentials import fund_update, quartier_update, theme_update
from .reports import report_accept, report_submit

__all__ = [
    "fund_create",
    "fund_update",
    "initiative_attach",
    "initiative_create",
    "initiative_declare_admissible",
    "initiative_declare_inadmissible",
    "initiative_attachment_set_public",
    "initiative_detach",
    "initiative_request_completion",
    "initiative_set_budget",
    "initiative_set_photo",
    "initiative_submit",
    "initiative_support",
    "initiative_update",
    "initiative_withdraw",
    "quartier_create",
    "quartier_update",
    "report_accept",
    "report_submit",
    "submission_problems",
    "theme_create",
    "theme_update",
]
