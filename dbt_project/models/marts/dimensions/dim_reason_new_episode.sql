-- The contract's RNE codes and labels (seed code_labels, generated from permanence/contract).
{{ code_label_dimension('RNE') }}
