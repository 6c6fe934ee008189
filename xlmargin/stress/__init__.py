"""The cross-asset stress view: a HOUSE RISK MODEL, not a regulation.

No clearing house, broker or regulator margins a book this way. FINRA portfolio margin gives no credit
between equities and Treasury, gold or dollar ETFs (margin-rules.md §2.5), and Eurex allows no offsets
across liquidation groups (stress-scenarios.md §3.1). This view exists to show how much a hedge sleeve
really offsets an equity book, and what happens to that offset when correlations break. Every table it
returns says so in its notes.

Data flow::

    positions ─▶ Portfolio ──▶ Book: each position mapped to factor exposures, once  (classify, book)
    params ──────▶ StressSettings (as_of, rate, k, horizon, covariance, filters)  (settings, covariance)
    stress.toml ──▶ scenario_library(settings): factor moves, each with its source  (factors, scenarios)
                    Book × moves ──▶ P&L per position and scenario (USD)           (pnl)
                                 ──▶ StressResult, stress_table, RiskMarginResult    (results)

Risk factors (``rules/stress.toml [factors]``): US and non-US equity, the 2y/10y/30y Treasury yields
(bp), IG and HY spreads (bp), gold, the dollar index, EUR/JPY/CHF/GBP in USD, WTI, VIX (points).

How a position moves (each is revalued instantly: no carry, no time decay, no roll):

- stocks, ETFs, CFDs: ``value × beta × factor move`` (equities → ``us_equity``; the symbol table
  sends non-US funds to ``intl_equity``, GLD to ``gold``, UUP to ``usd``, a currency trust to its
  currency's factor, FXE to ``eur``, or holds it constant where the currency has none, FXA);
  ``beta`` column, else the table's beta × ``leverage``. A position of an FX class no table knows
  follows ``usd`` long, and an ETF with a blank class no table knows ``us_equity``, each with a
  warning naming the rows that give no ``beta`` (a stock with a blank class is a share: none); a
  ``commodity`` row no table knows follows ``oil``, also with a warning (``[mapping.assumed]``).
  SLV and DBC are held constant with a warning (``[mapping.unrepresented]``: no series follows
  silver or a commodity basket). An index CFD (blank or index class) follows its index's factor,
  the index read from esma.toml's tables (``symbols.listed_index``): GER40, JP225, HK50 →
  ``intl_equity``, US500 → ``us_equity`` (``[mapping.indices]``).
- bond ETFs and Treasury futures: ``−D·Δy + ½·C·Δy²`` with Δy interpolated on the 2y/10y/30y nodes
  at the fund's maturity (plus its spread move for credit funds): a second-order approximation.
  A ``corporate`` or ``high_yield`` fund outside the bond-ETF table takes its duration column, else
  its class's default fund's profile, with a warning (``[mapping.credit]``).
- bonds: full cash-flow repricing at the moved yield (``instruments.bond_dirty_price``); a
  ``corporate`` or ``high_yield`` bond's yield also moves by its class's spread factor.
- ``convertible`` funds and bonds: held constant, with a warning saying why and what to give.
- futures: notional × the move of the factor their root follows (``instruments.future_spec``).
- currency pairs and non-USD positions: their currency legs (``instruments.currency_legs``) × the
  currencies' moves; a non-USD asset's own P&L is converted at the moved rate.
- options: full revaluation through ``xlmargin.pricing.option_price`` at the underlying moved as
  above. Options on equity underlyings also take the VIX move as an implied-volatility shift,
  ``Δσ = ΔVIX/100 × sqrt(30 days / max(days to expiry, 30 days))`` (``[vol_shift]``). European
  options are repriced exactly at the shifted volatility; an American option takes its exact price
  at the moved spot and unshifted volatility plus the European price change the shift causes. The
  error of that split is at most the option's early-exercise premium (tested). Rows holding the
  same contract are priced once, and each contract once per distinct (spot, volatility) the
  scenarios give it (``pnl``; tested against a row-by-row twin in ``tests/test_stress_speed.py``),
  through ``pricing.option_price`` (the contract's ``ln F/K`` once, each spot ratio's log
  once) in jobs of contracts, on two threads where there are two cores (``threads``: the exercise
  boundaries solved first on one while the other starts on the European jobs, then every job
  shared; the same numbers either way).
  The last book's price changes are kept with the exact inputs they came from, so a
  recalculation after an edit that changes no contract prices nothing again.

Scenarios (:func:`scenario_library`), each with ``source`` and a confidence tag:

- ``historical``: the twelve events E1–E12 of stress-scenarios.md tables 1a/1b and the sixteen
  supplementary windows S1–S16 (§1.5), replayed as joint moves; a blank cell leaves its factor
  unmoved (the scenario's notes list them).
- ``sigma``: ±k standard deviations of each factor of the covariance, alone, over ``horizon_days``.
- ``pca``: ±k standard deviations along the leading principal components of the covariance's
  correlation matrix (unit-free, since factors mix % and bp), scaled back by each factor's vol.
- ``correlation_break``: hedge legs against the core book (§3.4 recipe 2, CB1–CB5) and the regime
  swap of recipe 3(b): US equity −kσ with every other factor at its conditional mean under the
  2022–24 correlations.

Results: :func:`stress_pnl` (one scenario, by position, factor and sleeve), :func:`stress_table` (every
scenario, worst first) and :func:`risk_margin` (the worst loss, the worst correlation-break loss and
the no-offset figure: the sum of each liquidation group's own worst loss, as a CCP without
cross-asset offsets would count it).
"""

from xlmargin.stress.covariance import Covariance, default_covariance, parse_covariance
from xlmargin.stress.factors import Factor, factors
from xlmargin.stress.results import (
    BLANK_NOTE,
    HOUSE_NOTE,
    RiskMarginResult,
    StressResult,
    risk_margin,
    risk_margins,
    scenario_pnl_matrix,
    stress_pnl,
    stress_table,
)
from xlmargin.stress.scenarios import KINDS, Scenario, scenario_library
from xlmargin.stress.settings import STRESS_PARAMS, StressSettings, stress_settings

__all__ = [
    "BLANK_NOTE",
    "HOUSE_NOTE",
    "KINDS",
    "STRESS_PARAMS",
    "Covariance",
    "Factor",
    "RiskMarginResult",
    "Scenario",
    "StressResult",
    "StressSettings",
    "default_covariance",
    "factors",
    "parse_covariance",
    "risk_margin",
    "risk_margins",
    "scenario_library",
    "scenario_pnl_matrix",
    "stress_pnl",
    "stress_settings",
    "stress_table",
]
