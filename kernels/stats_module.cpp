// pybind11 door of the overfitting statistics (kernels/stats.h): a 2-D numpy array of returns
// read in place through its strides (bars x trials, or its transpose), the GIL released while
// the splits run. Arguments are checked here and in nse_polars/stats.py.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <string>
#include <vector>

#include "stats.h"

namespace py = pybind11;

namespace nse::stats {
namespace {

using F64 = py::array_t<double, py::array::forcecast>;

template <typename T>
py::array_t<T> to_numpy(const std::vector<T>& v) {
  py::array_t<T> a(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

py::dict run_cscv(const F64& returns, int n_blocks, double rf_per_bar,
                  double table_bytes) {
  if (returns.ndim() != 2) {
    throw py::value_error("`returns` must be 2-dimensional (bars x trials), got " +
                          std::to_string(returns.ndim()) + " dimension(s)");
  }
  constexpr auto item = static_cast<py::ssize_t>(sizeof(double));
  if (returns.strides(0) % item != 0 || returns.strides(1) % item != 0) {
    throw py::value_error("`returns`: strides must be whole multiples of 8 bytes");
  }
  ReturnMatrix m;
  m.data = returns.data();
  m.n_bars = returns.shape(0);
  m.n_trials = returns.shape(1);
  m.bar_stride = returns.strides(0) / item;
  m.trial_stride = returns.strides(1) / item;
  CscvResult res;
  Status s;
  {
    py::gil_scoped_release release;
    s = cscv(m, n_blocks, rf_per_bar, &res, table_bytes);
  }
  if (!s.ok) throw py::value_error(s.message);
  py::dict out;
  out["pbo"] = res.pbo;
  out["logit"] = to_numpy(res.logit);
  out["rank"] = to_numpy(res.rank);
  out["best_trial"] = to_numpy(res.best_trial);
  out["is_sharpe"] = to_numpy(res.is_sharpe);
  out["oos_sharpe"] = to_numpy(res.oos_sharpe);
  out["trial_sharpe"] = to_numpy(res.trial_sharpe);
  return out;
}

}  // namespace
}  // namespace nse::stats

namespace nse {
void register_stats(py::module_& m) {
  m.def("cscv", &stats::run_cscv, py::arg("returns"), py::arg("n_blocks") = 16,
        py::arg("rf_per_bar") = 0.0, py::arg("table_bytes") = stats::kDefaultTableBytes,
        "Combinatorially symmetric cross-validation over a bars x trials return matrix: the "
        "probability of backtest overfitting and, per split, the in-sample best trial, its "
        "in-sample and out-of-sample per-bar Sharpe, relative rank and logit.");
  m.def("cscv_n_splits", &stats::n_splits, py::arg("n_blocks"), "C(S, S/2).");
}
}  // namespace nse
