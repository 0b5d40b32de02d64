-- The contract's PLACE_PROVIDER codes and labels (seed code_labels, generated from permanence/contract).
{{ code_label_dimension('PLACE_PROVIDER') }}
