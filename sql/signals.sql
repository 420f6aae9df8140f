-- Signal helpers over lists (one series per row), for nse_backtest: element-wise comparisons in
-- which a NULL (an indicator's warm-up) counts as false, and crossings. Loaded by
-- nse_polars.sql.connect() after indicators.sql.

-- x[i] < threshold, per element.
CREATE OR REPLACE MACRO nse_below(x, threshold) AS
    list_transform(x, lambda v: coalesce(v < threshold, false));

-- x[i] > threshold, per element.
CREATE OR REPLACE MACRO nse_above(x, threshold) AS
    list_transform(x, lambda v: coalesce(v > threshold, false));

-- a crosses above b at i: a[i] > b[i] and a[i-1] <= b[i-1], all four defined (the definition of
-- nse_polars.strategies); never at the first element.
CREATE OR REPLACE MACRO nse_crosses_above(a, b) AS
    list_transform(range(1, len(a) + 1),
                   lambda i: coalesce(i > 1 AND a[i] > b[i] AND a[i - 1] <= b[i - 1], false));

-- The RSI strategy of nse_polars.strategies.rsi: enter when RSI(period) < lower, exit when
-- RSI > upper; returns nse_backtest's STRUCT of metrics.
CREATE OR REPLACE MACRO nse_backtest_rsi(open, close, period := 14, lower := 30, upper := 70,
                                         costs := 'none', bars_per_year := 252,
                                         fill := 'next_open') AS
    nse_backtest(open, close,
                 nse_below(nse_rsi(close, period), lower),
                 nse_above(nse_rsi(close, period), upper),
                 costs := costs, bars_per_year := bars_per_year, fill := fill);
