-- The contract's PERMANENCE_PLAN codes and labels (seed code_labels, generated from permanence/contract).
{{ code_label_dimension('PERMANENCE_PLAN') }}
