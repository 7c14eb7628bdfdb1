"""sendsim: a child-level simulation of one English council's SEND system and High Needs Block.

The layout is the architecture; dependencies point one way, down this list (the contracts in
pyproject.toml, checked by tests/test_layers.py):

    cli                      the command line, entry point only
    reports | backtest       board papers; forecasts scored against what was published
    calibration              a council's parameters and posterior draws from its history
    experiment               Monte Carlo runs: validate, plan, execute, store; summaries
    engine | data | folders  one replication | published statistics | safe output folders
    scenario                 interventions, capacity programmes, scenario files
    councils                 the built-in council files
    parameters               the schema of a council's parameters, read from and written to TOML
    codes | calendar | errors   vocabulary (one table of settings), calendars, refusals

The engine knows nothing of files, the command line or clusters.
"""

__version__ = "0.2.0"
