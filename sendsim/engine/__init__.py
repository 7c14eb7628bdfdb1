"""The engine: one council's SEND system for one replication, child by child.

`model` holds the SimPy clock and the Mesa population; `pathway` has one module per statutory
stage; `capacity`, `ledger` (the High Needs Block's money), `levers` (interventions in force),
`uncertainty`, `streams` (random numbers) and `recorder` serve them; `tables` turns a finished
run into its tables. The engine knows nothing of files, the command line or clusters: it takes
a `Scenario` and a seed and returns tables.
"""
