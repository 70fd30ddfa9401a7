from .fund import Fund, Theme
from .initiative import Attachment, BudgetLine, Initiative, Support
from .ledger import Grant, LedgerAccount, LedgerLeg, LedgerTransaction
from .quartier import Quartier
from .report import Report, ReportDocument

__all__ = [
    "Attachment",
    "BudgetLine",
    "Fund",
    "Grant",
    "Initiative",
    "LedgerAccount",
    "LedgerLeg",
    "LedgerTransaction",
    "Quartier",
    "Report",
    "ReportDocument",
    "Support",
    "Theme",
]
