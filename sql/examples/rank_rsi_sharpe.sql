-- Rank symbols by the Sharpe ratio of an RSI(14) mean-reversion strategy (enter below 30, exit
-- above 70, fills at the next bar's open) after NSE intraday charges, one account per symbol.
-- Run on a connection from nse_polars.sql.connect(); replace the path with your dataset
-- (hive-partitioned: bars/symbol=RELIANCE/*.parquet, columns ts, open, close, ...).
-- bars_per_year: 18900 for NSE 5-minute bars (252 days x 75 bars), 252 for daily bars.
SELECT symbol,
       m.sharpe,
       m.total_return,
       m.max_drawdown,
       m.n_trades,
       m.total_costs
FROM (
    SELECT symbol,
           nse_backtest_rsi(list(open ORDER BY ts), list(close ORDER BY ts),
                            period := 14, lower := 30, upper := 70,
                            costs := 'nse_intraday', bars_per_year := 18900) AS m
    FROM read_parquet('bars/**/*.parquet', hive_partitioning = true)
    GROUP BY symbol
)
ORDER BY m.sharpe DESC NULLS LAST, symbol
LIMIT 10;
