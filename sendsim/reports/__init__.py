"""Reports: the board paper (`board`, `html`, `svg_charts`, `pdf`), which turns an
experiment's summary tables (read and checked by `inputs`) into a self-contained HTML or PDF
file a Schools Forum or a Safety Valve board can read, beside the council's published history
(`history`)."""
