from .fund import Fund, Theme
from .initiative import Attachment, BudgetLine, Initiative, Support
from .quartier import Quartier

__all__ = ["Attachment", "BudgetLine", "Fund", "Initiative", "Quartier", "Support", "Theme"]
