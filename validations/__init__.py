"""Extract validation: structural checks, pandera models per table, set-wise cross-file rules.

    from validations import validate_drop, ValidationOutcome
"""

from validations.engine import ValidationOutcome, validate_drop

__all__ = ["ValidationOutcome", "validate_drop"]
