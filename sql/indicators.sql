-- Generated from nse_polars._core.describe() by nse_polars.sql.macro_sql(); do not edit
-- (tests/test_sql.py checks that this file matches). One macro per indicator: lists in
-- (one series per row), named parameters with defaults (`name := value` or
-- `name => value`), over the UDF `_nse_<name>` that nse_polars.sql.register() adds.

-- sma: sma
CREATE OR REPLACE MACRO nse_sma(close, period := 20) AS _nse_sma(close, period);
-- ema: ema
CREATE OR REPLACE MACRO nse_ema(close, period := 20, seed := 'sma') AS _nse_ema(close, period, seed);
-- rsi: rsi
CREATE OR REPLACE MACRO nse_rsi(close, period := 14) AS _nse_rsi(close, period);
-- macd: macd, signal, hist
CREATE OR REPLACE MACRO nse_macd(close, fast := 12, slow := 26, signal := 9) AS _nse_macd(close, fast, slow, signal);
-- bbands: upper, middle, lower
CREATE OR REPLACE MACRO nse_bbands(close, period := 20, num_std := 2.0) AS _nse_bbands(close, period, num_std);
-- overlay: sma, ema, rsi, macd, macd_signal, macd_hist, bb_upper, bb_middle, bb_lower
CREATE OR REPLACE MACRO nse_overlay(close, sma_period := 20, ema_period := 20, rsi_period := 14, macd_fast := 12, macd_slow := 26, macd_signal := 9, bb_period := 20, bb_num_std := 2.0) AS _nse_overlay(close, sma_period, ema_period, rsi_period, macd_fast, macd_slow, macd_signal, bb_period, bb_num_std);
-- wma: wma
CREATE OR REPLACE MACRO nse_wma(close, period := 30) AS _nse_wma(close, period);
-- dema: dema
CREATE OR REPLACE MACRO nse_dema(close, period := 30) AS _nse_dema(close, period);
-- tema: tema
CREATE OR REPLACE MACRO nse_tema(close, period := 30) AS _nse_tema(close, period);
-- trima: trima
CREATE OR REPLACE MACRO nse_trima(close, period := 30) AS _nse_trima(close, period);
-- kama: kama
CREATE OR REPLACE MACRO nse_kama(close, period := 30) AS _nse_kama(close, period);
-- t3: t3
CREATE OR REPLACE MACRO nse_t3(close, period := 5, vfactor := 0.7) AS _nse_t3(close, period, vfactor);
-- hma: hma
CREATE OR REPLACE MACRO nse_hma(close, period := 20) AS _nse_hma(close, period);
-- stddev: stddev
CREATE OR REPLACE MACRO nse_stddev(close, period := 5, nbdev := 1.0) AS _nse_stddev(close, period, nbdev);
-- var: var
CREATE OR REPLACE MACRO nse_var(close, period := 5, nbdev := 1.0) AS _nse_var(close, period, nbdev);
-- zscore: zscore
CREATE OR REPLACE MACRO nse_zscore(close, period := 20) AS _nse_zscore(close, period);
-- midpoint: midpoint
CREATE OR REPLACE MACRO nse_midpoint(close, period := 14) AS _nse_midpoint(close, period);
-- linearreg: linearreg
CREATE OR REPLACE MACRO nse_linearreg(close, period := 14) AS _nse_linearreg(close, period);
-- linearreg_slope: linearreg_slope
CREATE OR REPLACE MACRO nse_linearreg_slope(close, period := 14) AS _nse_linearreg_slope(close, period);
-- linearreg_intercept: linearreg_intercept
CREATE OR REPLACE MACRO nse_linearreg_intercept(close, period := 14) AS _nse_linearreg_intercept(close, period);
-- linearreg_angle: linearreg_angle
CREATE OR REPLACE MACRO nse_linearreg_angle(close, period := 14) AS _nse_linearreg_angle(close, period);
-- tsf: tsf
CREATE OR REPLACE MACRO nse_tsf(close, period := 14) AS _nse_tsf(close, period);
-- roc: roc
CREATE OR REPLACE MACRO nse_roc(close, period := 10) AS _nse_roc(close, period);
-- rocp: rocp
CREATE OR REPLACE MACRO nse_rocp(close, period := 10) AS _nse_rocp(close, period);
-- rocr: rocr
CREATE OR REPLACE MACRO nse_rocr(close, period := 10) AS _nse_rocr(close, period);
-- rocr100: rocr100
CREATE OR REPLACE MACRO nse_rocr100(close, period := 10) AS _nse_rocr100(close, period);
-- mom: mom
CREATE OR REPLACE MACRO nse_mom(close, period := 10) AS _nse_mom(close, period);
-- cmo: cmo
CREATE OR REPLACE MACRO nse_cmo(close, period := 14) AS _nse_cmo(close, period);
-- trix: trix
CREATE OR REPLACE MACRO nse_trix(close, period := 30) AS _nse_trix(close, period);
-- apo: apo
CREATE OR REPLACE MACRO nse_apo(close, fast := 12, slow := 26, ma_type := 'sma') AS _nse_apo(close, fast, slow, ma_type);
-- ppo: ppo
CREATE OR REPLACE MACRO nse_ppo(close, fast := 12, slow := 26, ma_type := 'sma') AS _nse_ppo(close, fast, slow, ma_type);
-- stochrsi: fastk, fastd
CREATE OR REPLACE MACRO nse_stochrsi(close, period := 14, fastk_period := 5, fastd_period := 3, ma_type := 'sma') AS _nse_stochrsi(close, period, fastk_period, fastd_period, ma_type);
-- trange: trange
CREATE OR REPLACE MACRO nse_trange(high, low, close) AS _nse_trange(high, low, close);
-- atr: atr
CREATE OR REPLACE MACRO nse_atr(high, low, close, period := 14) AS _nse_atr(high, low, close, period);
-- natr: natr
CREATE OR REPLACE MACRO nse_natr(high, low, close, period := 14) AS _nse_natr(high, low, close, period);
-- plus_dm: plus_dm
CREATE OR REPLACE MACRO nse_plus_dm(high, low, period := 14) AS _nse_plus_dm(high, low, period);
-- minus_dm: minus_dm
CREATE OR REPLACE MACRO nse_minus_dm(high, low, period := 14) AS _nse_minus_dm(high, low, period);
-- plus_di: plus_di
CREATE OR REPLACE MACRO nse_plus_di(high, low, close, period := 14) AS _nse_plus_di(high, low, close, period);
-- minus_di: minus_di
CREATE OR REPLACE MACRO nse_minus_di(high, low, close, period := 14) AS _nse_minus_di(high, low, close, period);
-- dx: dx
CREATE OR REPLACE MACRO nse_dx(high, low, close, period := 14) AS _nse_dx(high, low, close, period);
-- adx: adx
CREATE OR REPLACE MACRO nse_adx(high, low, close, period := 14) AS _nse_adx(high, low, close, period);
-- adxr: adxr
CREATE OR REPLACE MACRO nse_adxr(high, low, close, period := 14) AS _nse_adxr(high, low, close, period);
-- stoch: slowk, slowd
CREATE OR REPLACE MACRO nse_stoch(high, low, close, fastk_period := 5, slowk_period := 3, slowk_ma_type := 'sma', slowd_period := 3, slowd_ma_type := 'sma') AS _nse_stoch(high, low, close, fastk_period, slowk_period, slowk_ma_type, slowd_period, slowd_ma_type);
-- stochf: fastk, fastd
CREATE OR REPLACE MACRO nse_stochf(high, low, close, fastk_period := 5, fastd_period := 3, fastd_ma_type := 'sma') AS _nse_stochf(high, low, close, fastk_period, fastd_period, fastd_ma_type);
-- willr: willr
CREATE OR REPLACE MACRO nse_willr(high, low, close, period := 14) AS _nse_willr(high, low, close, period);
-- cci: cci
CREATE OR REPLACE MACRO nse_cci(high, low, close, period := 14) AS _nse_cci(high, low, close, period);
-- ultosc: ultosc
CREATE OR REPLACE MACRO nse_ultosc(high, low, close, period1 := 7, period2 := 14, period3 := 28) AS _nse_ultosc(high, low, close, period1, period2, period3);
-- aroon: aroondown, aroonup
CREATE OR REPLACE MACRO nse_aroon(high, low, period := 14) AS _nse_aroon(high, low, period);
-- aroonosc: aroonosc
CREATE OR REPLACE MACRO nse_aroonosc(high, low, period := 14) AS _nse_aroonosc(high, low, period);
-- midprice: midprice
CREATE OR REPLACE MACRO nse_midprice(high, low, period := 14) AS _nse_midprice(high, low, period);
-- sar: sar
CREATE OR REPLACE MACRO nse_sar(high, low, acceleration := 0.02, maximum := 0.2) AS _nse_sar(high, low, acceleration, maximum);
-- supertrend: supertrend, direction
CREATE OR REPLACE MACRO nse_supertrend(high, low, close, period := 10, multiplier := 3.0) AS _nse_supertrend(high, low, close, period, multiplier);
-- donchian: upper, middle, lower
CREATE OR REPLACE MACRO nse_donchian(high, low, period := 20) AS _nse_donchian(high, low, period);
-- keltner: upper, middle, lower
CREATE OR REPLACE MACRO nse_keltner(high, low, close, period := 20, atr_period := 10, multiplier := 2.0) AS _nse_keltner(high, low, close, period, atr_period, multiplier);
-- obv: obv
CREATE OR REPLACE MACRO nse_obv(close, volume) AS _nse_obv(close, volume);
-- ad: ad
CREATE OR REPLACE MACRO nse_ad(high, low, close, volume) AS _nse_ad(high, low, close, volume);
-- adosc: adosc
CREATE OR REPLACE MACRO nse_adosc(high, low, close, volume, fast := 3, slow := 10) AS _nse_adosc(high, low, close, volume, fast, slow);
-- mfi: mfi
CREATE OR REPLACE MACRO nse_mfi(high, low, close, volume, period := 14) AS _nse_mfi(high, low, close, volume, period);
-- bop: bop
CREATE OR REPLACE MACRO nse_bop(open, high, low, close) AS _nse_bop(open, high, low, close);
-- beta: beta
CREATE OR REPLACE MACRO nse_beta(x, benchmark, period := 5) AS _nse_beta(x, benchmark, period);
-- correl: correl
CREATE OR REPLACE MACRO nse_correl(x, benchmark, period := 30) AS _nse_correl(x, benchmark, period);
-- vwap: vwap
CREATE OR REPLACE MACRO nse_vwap(high, low, close, volume, session) AS _nse_vwap(high, low, close, volume, session);
-- rolling_cov: rolling_cov
CREATE OR REPLACE MACRO nse_rolling_cov(x, benchmark, period := 20, ddof := 0) AS _nse_rolling_cov(x, benchmark, period, ddof);
-- rolling_corr: rolling_corr
CREATE OR REPLACE MACRO nse_rolling_corr(x, benchmark, period := 20) AS _nse_rolling_corr(x, benchmark, period);
-- rolling_beta: rolling_beta
CREATE OR REPLACE MACRO nse_rolling_beta(x, benchmark, period := 20) AS _nse_rolling_beta(x, benchmark, period);
-- backtest: a STRUCT of the metrics of nse_polars.BacktestResult.metrics
CREATE OR REPLACE MACRO nse_backtest(open, close, entries, exits, costs := 'none', fill := 'next_open', bars_per_year := 252, initial_capital := 100000, slippage_bps := 0, fixed_fee := 0, risk_free := 0, mar := 0) AS _nse_backtest(open, close, entries, exits, costs, fill, bars_per_year, initial_capital, slippage_bps, fixed_fee, risk_free, mar);
