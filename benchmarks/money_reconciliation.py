"""How closely each council's derived costs reproduce its own published net spend.

    python benchmarks/money_reconciliation.py [--origin 2023] [--data DIR] [--out CSV]

For every council that can be calibrated at the January `--origin` census: its finance section
as `sendsim calibrate` derives it (`sendsim.calibration.money`), then, for each financial year
the reconciliation was fitted on, the caseload at the middle of that year (censuses
interpolated) priced at the derived costs and the year's inflation, against section 251 net
high-needs spend. Writes one row per council and year (`--out`, default
docs/money_reconciliation.csv) and prints the summary `docs/background/money.md` quotes: the
median absolute gap, and how often the published figure lies inside the cost level's 90% range
(the uncertainty the replications draw).

Contains public sector information licensed under the Open Government Licence v3.0.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import pandas as pd
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]


def triangular_90(low: float, mode: float, high: float) -> tuple[float, float]:
    """The 5th and 95th percentiles of a triangular (low, mode, high)."""
    if high <= low:
        return low, high
    d = stats.triang((mode - low) / (high - low), loc=low, scale=high - low)
    return float(d.ppf(0.05)), float(d.ppf(0.95))


def council_rows(la, origin: int, data) -> list[dict]:
    from sendsim.calibration.derive import Derivation, check_calibratable
    from sendsim.calibration.money import mid_year_caseload
    from sendsim.codes import SETTINGS
    from sendsim.data.history import load_history
    h = load_history(la, data).until(origin)
    check_calibratable(h, origin)
    d = Derivation(h, origin, data_dir=data)
    p = d.parameters()
    f = p["finance"]
    level = next((u for u in p["uncertainty"] if u["key"] == "finance.cost_level"), None)
    low, high = triangular_90(level["low"], level["mode"], level["high"]) if level else (1.0, 1.0)
    rows = []
    base = int(f["price_base_fy"][:4])
    for end, published in h.money["high_needs_spend"].dropna().items():
        kids = mid_year_caseload(h.caseload, int(end))
        if kids is None:
            continue
        uplift = (1 + f["inflation_per_year"]) ** (int(end) - 1 - base)
        per_child = sum(float(kids[s]) * (f["unit_cost_gbp_per_year"][s]
                                          - f["place_funding_gbp_per_year"].get(s, 0.0))
                        for s in SETTINGS)
        model = (per_child + sum(f["fixed_spend_gbp_per_year"].values())) * uplift
        ratio = float(published) / model
        rows.append({"la_code": h.la.new_code, "council": h.la.name, "origin": origin,
                     "financial_year": f"{int(end) - 1}-{int(end) % 100:02d}",
                     "published": float(published), "model": model, "ratio": ratio,
                     "level_p05": low, "level_p95": high, "inside_90": low <= ratio <= high,
                     "costs": d.facts.get("costs_basis", "")})
    return rows[-5:]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--origin", type=int, default=2023)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--out", default=str(ROOT / "docs" / "money_reconciliation.csv"))
    args = ap.parse_args(argv)
    from sendsim.data.history import councils_with_history
    warnings.simplefilter("ignore")
    rows, refused = [], []
    for la in councils_with_history(args.data):
        try:
            rows += council_rows(la, args.origin, args.data)
        except Exception as exc:     # noqa: BLE001 - a council that cannot be calibrated
            refused.append(f"{la.name}: {type(exc).__name__}")
    t = pd.DataFrame(rows)
    t.to_csv(args.out, index=False, float_format="%.4f")
    sys.path.insert(0, str(ROOT / "experiments"))
    from money_cross_checks import PAGE, write_block
    if Path(args.out).resolve() == (ROOT / "docs" / "money_reconciliation.csv").resolve():
        write_block(PAGE, "reconciliation", summary(t))
    print(summary(t))
    print(f"not calibratable at {args.origin}: {len(refused)} ({'; '.join(refused)})")
    return 0


def summary(t: pd.DataFrame) -> str:
    gap = (t["ratio"] - 1).abs() * 100
    last = t.groupby("la_code").tail(1)
    return (f"{t['la_code'].nunique()} councils, {len(t)} council-years: median |published / "
            f"model - 1| {gap.median():.1f}% (last fitted year {((last['ratio'] - 1).abs() * 100).median():.1f}%); "
            f"inside the cost level's 90% range {t['inside_90'].mean():.0%} of council-years "
            f"({last['inside_90'].mean():.0%} in the last fitted year)")


if __name__ == "__main__":
    sys.exit(main())
