-- The contract's REC codes and labels (seed code_labels, generated from permanence/contract).
{{ code_label_dimension('REC') }}
