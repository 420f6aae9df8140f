-- The five-indicator overlay per symbol with the list functions, and each symbol's last bar:
-- RSI, MACD histogram and where the close sits in its Bollinger band (0 = lower, 1 = upper).
SELECT symbol,
       o.rsi[-1] AS rsi_14,
       o.macd_hist[-1] AS macd_hist,
       (closes[-1] - o.bb_lower[-1]) / (o.bb_upper[-1] - o.bb_lower[-1]) AS band_position
FROM (
    SELECT symbol, closes, nse_overlay(closes) AS o
    FROM (
        SELECT symbol, list(close ORDER BY ts) AS closes
        FROM read_parquet('bars/**/*.parquet', hive_partitioning = true)
        GROUP BY symbol
    )
)
ORDER BY rsi_14;
