"""Monte Carlo experiments: many replications of scenarios, paired, stored and summarised.

`run` validates, plans, executes and stores an experiment; `summaries`, `contributions`,
`text`, `fan_charts` and `outputs` turn its stored replications into what a board reads.
"""
