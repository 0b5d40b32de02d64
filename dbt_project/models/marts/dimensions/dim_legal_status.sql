-- The contract's LS codes and labels (seed code_labels, generated from permanence/contract).
{{ code_label_dimension('LS') }}
