"""Monte Carlo experiments: many replications of scenarios, paired, stored and summarised.

`run` validates, plans and executes an experiment; `store` keeps it (the folder, its manifest
and provenance) and reads it back; `summaries`, `contributions`, `text`, `fan_charts` and
`outputs` turn its stored replications into what a board reads.
"""
