"""Extract validation: structural checks, pandera models per table, set-wise cross-file rules.

    from validations.extract import validate_drop, ValidationOutcome
"""

from validations.extract.engine import ValidationOutcome, validate_drop

__all__ = ["ValidationOutcome", "validate_drop"]
