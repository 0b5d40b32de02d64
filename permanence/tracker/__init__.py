"""The SPG tracker: the workbook (workbook, layout, slicers) and the actions kept across rebuilds (actions)."""
