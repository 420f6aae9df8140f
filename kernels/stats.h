// Overfitting statistics: combinatorially symmetric cross-validation (CSCV) and the Probability
// of Backtest Overfitting (Bailey, Borwein, Lopez de Prado & Zhu 2017; REFERENCE.md,
// "Overfitting guards"). The closed-form statistics (PSR, MinTRL, DSR) live in
// nse_polars/stats.py: they are a few scalar operations each.
#pragma once

#include <cstdint>
#include <vector>

#include "params.h"

namespace nse::stats {

// The largest number of blocks accepted: C(24, 12) = 2,704,156 splits; block masks fit 32 bits.
constexpr int kMaxBlocks = 24;

// A T bars x N trials matrix of per-bar returns read in place through element strides (so a
// bars-major or a trials-major array, or a column slice of one, needs no copy).
struct ReturnMatrix {
  const double* data = nullptr;
  int64_t n_bars = 0;
  int64_t n_trials = 0;
  int64_t bar_stride = 0;    // elements between bar t and bar t+1 of one trial
  int64_t trial_stride = 0;  // elements between trial j and trial j+1 at one bar
  double at(int64_t t, int64_t j) const { return data[t * bar_stride + j * trial_stride]; }
};

// Per split (in the order of Python's itertools.combinations(range(S), S/2), the tuple being
// the in-sample blocks): the trial with the best in-sample Sharpe, its in-sample and
// out-of-sample per-bar Sharpe, its relative out-of-sample rank w and the logit ln(w / (1 - w)).
struct CscvResult {
  std::vector<int64_t> best_trial;
  std::vector<double> is_sharpe;
  std::vector<double> oos_sharpe;
  std::vector<double> rank;   // w = rank / (N + 1), mid-ranks for ties
  std::vector<double> logit;
  std::vector<double> trial_sharpe;  // each trial's per-bar Sharpe over all T bars
  double pbo = 0.0;                  // share of splits with logit <= 0
};

// Checks the inputs (S even, 2 <= S <= kMaxBlocks, T >= 2 S, N >= 2, every value finite; the
// message names the parameter, or the bar and trial of a bad value) and runs CSCV with S blocks,
// block b holding bars [floor(b T / S), floor((b + 1) T / S)). Sharpe is
// (mean - rf_per_bar) / std (ddof 1); a zero variance gives 0 when the excess mean is 0 and
// +/-infinity by its sign otherwise. Splits run in parallel (OpenMP when available); the result
// does not depend on the thread count.
// `table_bytes` caps the memory of the half-subset sum tables that make a split O(1) per trial
// (see stats.cpp); above it, each split sums its S blocks directly. The two paths may differ in
// the last bits of a Sharpe ratio (summation order), never otherwise.
constexpr double kDefaultTableBytes = 64.0 * 1024 * 1024;
Status cscv(const ReturnMatrix& returns, int n_blocks, double rf_per_bar, CscvResult* out,
            double table_bytes = kDefaultTableBytes);

// Number of splits C(S, S/2).
int64_t n_splits(int n_blocks);

}  // namespace nse::stats
