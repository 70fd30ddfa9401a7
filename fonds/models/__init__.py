from .bank import BankDetails
from .fund import Fund, Theme
from .initiative import Attachment, BudgetLine, Initiative, Support
from .ledger import (
    FundClosing,
    Grant,
    LedgerAccount,
    LedgerLeg,
    LedgerTransaction,
    RepaymentRequest,
)
from .quartier import Quartier
from .report import Report, ReportDocument

__all__ = [
    "BankDetails",
    "Attachment",
    "BudgetLine",
    "Fund",
    "FundClosing",
    "Grant",
    "Initiative",
    "LedgerAccount",
    "LedgerLeg",
    "LedgerTransaction",
    "Quartier",
    "RepaymentRequest",
    "Report",
    "ReportDocument",
    "Support",
    "Theme",
]
