"""Back-testing: forecasts from past origins scored against what was later published.

`baselines` gives the naive forecasts the model must beat, `scores` scores any forecast table
against actuals and summarises by method and horizon, `plots` draws the results. Forecast
tables are long form, one row per la_code/origin/measure/horizon/method with quantiles
q05..q95 (`FORECAST_COLUMNS`); years follow `last_known_year` and `target_year`.
"""

from sendsim.backtest.baselines import (BASELINES, FORECAST_COLUMNS, average_growth_4y, baseline_forecasts,
                        is_caseload, known_history, last_growth, last_known_year, linear_trend,
                        no_change, target_year)
from sendsim.backtest.charts import plot_council, plot_coverage, plot_errors
from sendsim.backtest.scores import (headline_markdown, headline_table, interval_score, markdown, method_order,
                     score, summary, summary_by_measure)

__all__ = [
    "BASELINES", "FORECAST_COLUMNS", "average_growth_4y", "baseline_forecasts", "headline_markdown",
    "headline_table", "interval_score", "is_caseload", "known_history", "last_growth",
    "last_known_year", "linear_trend", "markdown", "method_order", "no_change", "plot_council", "plot_coverage",
    "plot_errors", "score", "summary", "summary_by_measure", "target_year",
]
