// The Polars expression-plugin ABI (version 0.1), implemented directly in C++: Polars dlopens
// this module and calls _polars_plugin_<name> with the input Series as Arrow C arrays.
// Nothing here touches Python or the GIL, and nothing may throw across this boundary.

#include <exception>
#include <string>
#include <vector>

#include "arrow_abi.h"
#include "arrow_io.h"
#include "params.h"

#if defined(_WIN32)
#define NSE_PLUGIN_EXPORT extern "C" __declspec(dllexport)
#else
#define NSE_PLUGIN_EXPORT extern "C" __attribute__((visibility("default")))
#endif

namespace nse {
namespace {

thread_local std::string last_error;

void set_error(const char* indicator, const std::string& message) {
  last_error = "nse_polars." + std::string(indicator) + ": " + message;
}

// The plugin owns its inputs: every chunk and then every SeriesExport is released on every
// path out of a call, including errors.
class InputsGuard {
 public:
  InputsGuard(const SeriesExport* inputs, size_t n) : inputs_(inputs), n_(n) {}
  InputsGuard(const InputsGuard&) = delete;
  InputsGuard& operator=(const InputsGuard&) = delete;
  ~InputsGuard() {
    for (size_t i = 0; i < n_; ++i) {
      auto* series = const_cast<SeriesExport*>(&inputs_[i]);
      for (size_t c = 0; c < series->len; ++c) {
        ArrowArray* chunk = series->arrays[c];
        if (chunk && chunk->release) chunk->release(chunk);
      }
      if (series->release) series->release(series);
    }
  }

 private:
  const SeriesExport* inputs_;
  size_t n_;
};

struct OutputPrivate {
  ArrowSchema* field = nullptr;
  std::vector<ArrowArray*> arrays;
};

// Polars moves each ArrowArray out by value and then calls this: free the containers and the
// schema, never the arrays' buffers.
void release_output(SeriesExport* e) {
  if (!e || !e->private_data) return;
  auto* priv = static_cast<OutputPrivate*>(e->private_data);
  if (priv->field) {
    if (priv->field->release) priv->field->release(priv->field);
    delete priv->field;
  }
  for (ArrowArray* a : priv->arrays) delete a;
  delete priv;
  e->private_data = nullptr;
  e->release = nullptr;
}

std::string field_name(const ArrowSchema* schema) {
  return schema && schema->name ? schema->name : "";
}

Status resolve(const char* indicator, const uint8_t* kwargs, size_t kwargs_len,
               const IndicatorDef** def, ParamValues* params) {
  *def = find_indicator(indicator);
  if (!*def) return Status::Error("unknown indicator");
  Kwargs parsed;
  Status s = parse_pickled_kwargs(kwargs, kwargs_len, &parsed);
  if (!s.ok) return s;
  return parse_params(**def, parsed, params);
}

Status check_arity(const IndicatorDef& def, size_t n_inputs, bool grouped) {
  const size_t want = static_cast<size_t>(def.n_inputs) + (grouped ? 1 : 0);
  if (n_inputs == want) return Status::Ok();
  return Status::Error("takes " + std::to_string(want) + " input column(s), got " +
                       std::to_string(n_inputs));
}

// The output field: a Float64 column named after the input, or a struct of them.
void export_schema(const IndicatorDef& def, const std::string& name, ArrowSchema* out) {
  if (def.n_outputs == 1) {
    export_float64_schema(name, out);
  } else {
    export_struct_schema(name, {def.output_names, def.output_names + def.n_outputs}, out);
  }
}

// Hands the result to Polars: a Float64 column, or a struct of them.
void export_result(const IndicatorDef& def, const std::string& name, IndicatorResult&& result,
                   SeriesExport* out) {
  auto* priv = new OutputPrivate;
  priv->field = new ArrowSchema;
  priv->arrays.push_back(new ArrowArray);
  export_schema(def, name, priv->field);
  if (def.n_outputs == 1) {
    export_float64(std::move(result.values[0]), std::move(result.validity[0]), result.length,
                   result.null_counts[0], priv->arrays[0]);
  } else {
    export_struct(std::move(result), priv->arrays[0]);
  }
  out->field = priv->field;
  out->arrays = priv->arrays.data();
  out->len = priv->arrays.size();
  out->release = release_output;
  out->private_data = priv;
}

// `grouped`: the last input holds integer group keys (the `_by` variants).
void compute(const char* indicator, bool grouped, const SeriesExport* inputs, size_t n_inputs,
             const uint8_t* kwargs, size_t kwargs_len, SeriesExport* out,
             const CallerContext* context) {
  InputsGuard guard(inputs, n_inputs);
  try {
    const IndicatorDef* def = nullptr;
    ParamValues params;
    Status s = resolve(indicator, kwargs, kwargs_len, &def, &params);
    if (s.ok) s = check_arity(*def, n_inputs, grouped);
    const size_t n_values = s.ok ? n_inputs - (grouped ? 1 : 0) : 0;
    std::vector<InputColumn> columns(n_values);
    std::vector<ColumnView> views;
    for (size_t i = 0; s.ok && i < n_values; ++i) {
      s = read_column(*inputs[i].field, inputs[i].arrays, inputs[i].len,
                      field_name(inputs[i].field), &columns[i]);
      views.push_back(columns[i].view);
    }
    IndicatorResult result;
    if (s.ok && grouped) {
      const SeriesExport& key_input = inputs[n_inputs - 1];
      GroupRuns groups;
      s = read_group_runs(*key_input.field, key_input.arrays, key_input.len,
                          field_name(key_input.field), &groups);
      // Bit 0 of the caller context: Polars already runs this call in parallel with others.
      const bool allow_threads = context == nullptr || (context->bitflags & 1u) == 0;
      if (s.ok) s = run_indicator_by(*def, params, views, groups, allow_threads, &result);
    } else if (s.ok) {
      s = run_indicator(*def, params, views, /*want_validity=*/true, &result);
    }
    if (!s.ok) {
      set_error(indicator, s.message);
      return;
    }
    export_result(*def, field_name(inputs[0].field), std::move(result), out);
  } catch (const std::exception& e) {
    set_error(indicator, std::string("internal error: ") + e.what());
  } catch (...) {
    set_error(indicator, "internal error");
  }
}

void output_field(const char* indicator, bool grouped, const ArrowSchema* fields,
                  size_t n_fields, ArrowSchema* out, const uint8_t* kwargs, size_t kwargs_len) {
  // Polars owns (and frees) the input fields here.
  try {
    const IndicatorDef* def = nullptr;
    ParamValues params;
    Status s = resolve(indicator, kwargs, kwargs_len, &def, &params);
    if (s.ok) s = check_arity(*def, n_fields, grouped);
    const size_t n_values = s.ok ? n_fields - (grouped ? 1 : 0) : 0;
    for (size_t i = 0; s.ok && i < n_values; ++i) s = check_numeric(fields[i], field_name(&fields[i]));
    if (s.ok && grouped) {
      const ArrowSchema& key = fields[n_fields - 1];
      if (!is_group_key_format(key)) {
        s = Status::Error("the group column `" + field_name(&key) + "` has dtype " +
                          dtype_name(key.format) + "; expected integer or string keys");
      }
    }
    if (!s.ok) {
      set_error(indicator, s.message);
      return;
    }
    export_schema(*def, field_name(&fields[0]), out);
  } catch (const std::exception& e) {
    set_error(indicator, std::string("internal error: ") + e.what());
  } catch (...) {
    set_error(indicator, "internal error");
  }
}

}  // namespace
}  // namespace nse

NSE_PLUGIN_EXPORT uint32_t _polars_plugin_get_version(void) {
  constexpr uint32_t kMajor = 0;
  constexpr uint32_t kMinor = 1;
  return (kMajor << 16) | kMinor;
}

NSE_PLUGIN_EXPORT const char* _polars_plugin_get_last_error_message(void) {
  return nse::last_error.c_str();
}

// Each indicator NAME exports _polars_plugin_NAME (one series) and _polars_plugin_NAME_by (per
// group of an integer key column, its last input), each with its output-field function.
#define NSE_POLARS_PLUGIN_ENTRY(SYMBOL, NAME, GROUPED)                                       \
  NSE_PLUGIN_EXPORT void _polars_plugin_##SYMBOL(const SeriesExport* inputs, size_t n_inputs,  \
                                                 const uint8_t* kwargs, size_t kwargs_len,     \
                                                 SeriesExport* out,                            \
                                                 const CallerContext* context) {               \
    nse::compute(NAME, GROUPED, inputs, n_inputs, kwargs, kwargs_len, out, context);          \
  }                                                                                           \
  NSE_PLUGIN_EXPORT void _polars_plugin_field_##SYMBOL(const ArrowSchema* fields,             \
                                                       size_t n_fields, ArrowSchema* out,     \
                                                       const uint8_t* kwargs,                 \
                                                       size_t kwargs_len) {                   \
    nse::output_field(NAME, GROUPED, fields, n_fields, out, kwargs, kwargs_len);              \
  }

#define NSE_POLARS_PLUGIN(NAME)                   \
  NSE_POLARS_PLUGIN_ENTRY(NAME, #NAME, false)     \
  NSE_POLARS_PLUGIN_ENTRY(NAME##_by, #NAME, true)

NSE_POLARS_PLUGIN(sma)
NSE_POLARS_PLUGIN(ema)
NSE_POLARS_PLUGIN(rsi)
NSE_POLARS_PLUGIN(macd)
NSE_POLARS_PLUGIN(bbands)
NSE_POLARS_PLUGIN(overlay)

#include "plugin_price.inc"   // NOLINT(bugprone-suspicious-include)
#include "plugin_hlc.inc"     // NOLINT(bugprone-suspicious-include)
#include "plugin_volume.inc"  // NOLINT(bugprone-suspicious-include)
