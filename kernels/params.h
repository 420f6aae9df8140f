// Indicator parameters: one table of specs per indicator, parsed from either door
// (pickled Polars plugin kwargs or a Python dict) and validated in one place.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nse {

// Kernels never throw across a C boundary: every fallible step returns a Status whose message
// names the parameter (or column) and the bad value.
struct Status {
  bool ok = true;
  std::string message;
  static Status Ok() { return {}; }
  static Status Error(std::string msg) { return {false, std::move(msg)}; }
};

// A keyword argument as it arrives from Python, before validation.
struct KwargValue {
  enum class Type { None, Bool, Int, Float, Str, Unsupported };
  Type type = Type::None;
  int64_t int_value = 0;
  bool int_overflow = false;  // a Python int outside int64
  double float_value = 0.0;
  std::string str_value;
};
using Kwargs = std::vector<std::pair<std::string, KwargValue>>;

// Reads `pickle.dumps(dict, protocol=5)` for a flat dict of str -> None/bool/int/float/str,
// which is how Polars serialises plugin kwargs.
Status parse_pickled_kwargs(const uint8_t* data, size_t size, Kwargs* out);

enum class ParamKind { Integer, Real, Choice };

struct ParamSpec {
  const char* name;
  ParamKind kind;
  double default_value;  // for Choice: the index of the default choice
  double min_value;      // inclusive bound (exclusive when min_exclusive)
  double max_value;      // inclusive bound
  bool min_exclusive;
  const char* choices;  // Choice only: '|'-separated, e.g. "sma|first"
};

constexpr int kMaxParams = 12;
constexpr int kMaxOutputs = 12;
constexpr int kMaxInputs = 5;  // vwap: high, low, close, volume, session

// Validated parameter values, in the order of the indicator's ParamSpec table; integers and
// choice indices are stored exactly as doubles.
struct ParamValues {
  std::array<double, kMaxParams> values{};
  double real(int i) const { return values[static_cast<size_t>(i)]; }
  int64_t integer(int i) const { return static_cast<int64_t>(values[static_cast<size_t>(i)]); }
};

// Returns false if an input held a NaN (the engine then reruns over the valid rows only).
using ComputeFn = bool (*)(const double* const* inputs, int64_t n, double* const* outputs,
                           const ParamValues& params);

struct IndicatorDef {
  const char* name;
  int n_inputs;
  const char* input_names[kMaxInputs];
  int n_outputs;
  const char* output_names[kMaxOutputs];
  int n_params;
  ParamSpec params[kMaxParams];
  // Rules that involve several parameters (e.g. fast < slow); may be null.
  Status (*check)(const ParamValues&);
  // Leading null rows of output `output` on dense input.
  int64_t (*lookback)(const ParamValues&, int output);
  // Dense kernel: inputs have no missing values; writes outputs[k][i] for i >= lookback.
  // Entries before the lookback are scratch space and may be overwritten.
  ComputeFn compute;
};

const IndicatorDef* find_indicator(std::string_view name);
const std::vector<const IndicatorDef*>& all_indicators();

// Validates kwargs against the indicator's table (unknown names, types, ranges, cross rules).
Status parse_params(const IndicatorDef& def, const Kwargs& kwargs, ParamValues* out);

// The choice string of a Choice parameter, e.g. "sma".
std::string choice_name(const ParamSpec& spec, int64_t index);

}  // namespace nse
