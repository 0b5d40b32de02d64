"""Synthetic SSDA903 extracts for a region of local authorities, and deliberately broken copies.

    from permanence.synth import generate_region, write_defective_drop, DEFECTS, Drop

See docs/synthetic-data.md for the layout, the distributions and the defects.
"""

from permanence.synth.defects import DEFECTS, write_defective_drop
from permanence.synth.generator import Drop, generate_region

__all__ = ["DEFECTS", "Drop", "generate_region", "write_defective_drop"]
