// The pybind11 door: numpy arrays and Arrow PyCapsules in, arrays out. Arguments are checked
// in Python (nse_polars/kernels.py); every call here releases the GIL while it computes.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <string>
#include <vector>

#include "arrow_abi.h"
#include "arrow_io.h"
#include "isa.h"
#include "numpy_buffers.h"
#include "params.h"

namespace py = pybind11;

namespace nse {
namespace {

const IndicatorDef& lookup(const std::string& name) {
  const IndicatorDef* def = find_indicator(name);
  if (!def) throw py::value_error("unknown indicator `" + name + "`");
  return *def;
}

// A str as UTF-8 bytes, a lone surrogate encoded as pickle encodes it (surrogatepass), so that
// both doors quote it alike in the parameter error (a plain cast raised an unhelpful
// RuntimeError); see printable() in params.cpp.
std::string utf8(const py::handle& text) {
  auto bytes = py::reinterpret_steal<py::object>(
      PyUnicode_AsEncodedString(text.ptr(), "utf-8", "surrogatepass"));
  if (!bytes) throw py::error_already_set();
  return {PyBytes_AS_STRING(bytes.ptr()), static_cast<size_t>(PyBytes_GET_SIZE(bytes.ptr()))};
}

KwargValue to_kwarg(const py::handle& value) {
  KwargValue v;
  if (value.is_none()) {
    v.type = KwargValue::Type::None;
  } else if (PyBool_Check(value.ptr())) {
    v.type = KwargValue::Type::Bool;
    v.int_value = value.ptr() == Py_True;
  } else if (PyFloat_Check(value.ptr())) {
    v.type = KwargValue::Type::Float;
    v.float_value = PyFloat_AsDouble(value.ptr());
  } else if (PyUnicode_Check(value.ptr())) {
    v.type = KwargValue::Type::Str;
    v.str_value = utf8(value);
  } else if (PyIndex_Check(value.ptr())) {  // int and numpy integers
    auto index = py::reinterpret_steal<py::object>(PyNumber_Index(value.ptr()));
    if (!index) throw py::error_already_set();
    int overflow = 0;
    const long long x = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
    v.type = KwargValue::Type::Int;
    v.int_value = x;
    v.int_overflow = overflow != 0;
  } else {
    v.type = KwargValue::Type::Unsupported;
  }
  return v;
}

ParamValues parse(const IndicatorDef& def, const py::dict& kwargs) {
  Kwargs parsed;
  for (const auto& item : kwargs) {
    if (!PyUnicode_Check(item.first.ptr())) throw py::type_error("parameter names must be str");
    parsed.emplace_back(utf8(item.first), to_kwarg(item.second));
  }
  ParamValues values;
  Status s = parse_params(def, parsed, &values);
  if (!s.ok) throw py::value_error(s.message);
  return values;
}

// The validated parameters with defaults filled in, as plain Python values.
py::dict check_params(const std::string& name, const py::dict& kwargs) {
  const IndicatorDef& def = lookup(name);
  const ParamValues values = parse(def, kwargs);
  py::dict out;
  for (int i = 0; i < def.n_params; ++i) {
    const ParamSpec& spec = def.params[i];
    if (spec.kind == ParamKind::Integer) {
      out[spec.name] = values.integer(i);
    } else if (spec.kind == ParamKind::Real) {
      out[spec.name] = values.real(i);
    } else {
      out[spec.name] = choice_name(spec, values.integer(i));
    }
  }
  return out;
}

py::list describe() {
  py::list out;
  for (const IndicatorDef* def : all_indicators()) {
    py::list params;
    for (int i = 0; i < def->n_params; ++i) {
      const ParamSpec& spec = def->params[i];
      const char* kind = spec.kind == ParamKind::Integer ? "int"
                         : spec.kind == ParamKind::Real  ? "float"
                                                         : "choice";
      params.append(py::dict(py::arg("name") = spec.name, py::arg("kind") = kind,
                             py::arg("default") = spec.kind == ParamKind::Choice
                                                      ? py::cast(choice_name(spec, 0))
                                                      : py::cast(spec.default_value),
                             py::arg("min") = spec.min_value, py::arg("max") = spec.max_value,
                             py::arg("min_exclusive") = spec.min_exclusive));
    }
    out.append(py::dict(
        py::arg("name") = def->name,
        py::arg("inputs") = std::vector<std::string>(def->input_names, def->input_names + def->n_inputs),
        py::arg("outputs") = std::vector<std::string>(def->output_names, def->output_names + def->n_outputs),
        py::arg("params") = params));
  }
  return out;
}

int64_t lookback(const std::string& name, const py::dict& kwargs) {
  const IndicatorDef& def = lookup(name);
  const ParamValues values = parse(def, kwargs);
  int64_t most = 0;
  for (int k = 0; k < def.n_outputs; ++k) most = std::max(most, def.lookback(values, k));
  return most;
}

using Float64Array = py::array_t<double, py::array::c_style>;

// numpy in, numpy out; NaN marks missing rows in and null rows out.
py::list compute_numpy(const std::string& name, const std::vector<Float64Array>& inputs,
                       const py::dict& kwargs) {
  const IndicatorDef& def = lookup(name);
  const ParamValues params = parse(def, kwargs);
  std::vector<ColumnView> views;
  for (const auto& a : inputs) {
    if (a.ndim() != 1) throw py::value_error("expected 1-D arrays");
    ColumnView v;
    v.values = a.data();
    v.length = a.shape(0);
    views.push_back(v);
  }
  const py::ssize_t n = views.empty() ? 0 : static_cast<py::ssize_t>(views[0].length);
  std::vector<Float64Array> outputs;
  double* out_ptrs[kMaxOutputs];
  for (int k = 0; k < def.n_outputs; ++k) {
    outputs.emplace_back(pooled_array<double>(n));
    out_ptrs[k] = outputs.back().mutable_data();
  }
  Status s;
  {
    py::gil_scoped_release release;
    s = run_indicator_into(def, params, views, out_ptrs);
  }
  if (!s.ok) throw py::value_error(s.message);
  py::list result;
  for (auto& o : outputs) result.append(o);
  return result;
}

// --- Arrow PyCapsules -----------------------------------------------------------------------

template <typename T>
T* capsule_pointer(const py::handle& capsule, const char* name) {
  void* p = PyCapsule_GetPointer(capsule.ptr(), name);
  if (!p) throw py::error_already_set();
  return static_cast<T*>(p);
}

// Chunks read from an Arrow stream; released when this goes away.
struct StreamChunks {
  ArrowSchema schema{};
  std::vector<ArrowArray> arrays;
  std::vector<ArrowArray*> pointers;
  StreamChunks() = default;
  StreamChunks(const StreamChunks&) = delete;
  StreamChunks& operator=(const StreamChunks&) = delete;
  ~StreamChunks() {
    for (auto& a : arrays) {
      if (a.release) a.release(&a);
    }
    if (schema.release) schema.release(&schema);
  }
};

void read_stream(ArrowArrayStream* stream, StreamChunks* out) {
  auto fail = [&](const char* what) {
    const char* detail = stream->get_last_error ? stream->get_last_error(stream) : nullptr;
    throw py::value_error(std::string("reading the Arrow stream failed (") + what +
                          "): " + (detail ? detail : "no detail"));
  };
  if (stream->get_schema(stream, &out->schema) != 0) fail("schema");
  for (;;) {
    ArrowArray array{};
    if (stream->get_next(stream, &array) != 0) fail("next chunk");
    if (!array.release) break;
    out->arrays.push_back(array);
  }
  for (auto& a : out->arrays) out->pointers.push_back(&a);
}

void capsule_release_schema(PyObject* capsule) {
  auto* s = static_cast<ArrowSchema*>(PyCapsule_GetPointer(capsule, "arrow_schema"));
  if (s && s->release) s->release(s);
  delete s;
}

void capsule_release_array(PyObject* capsule) {
  auto* a = static_cast<ArrowArray*>(PyCapsule_GetPointer(capsule, "arrow_array"));
  if (a && a->release) a->release(a);
  delete a;
}

// One (schema capsule, array capsule) pair per output column; consumes the result's buffers.
py::list export_outputs(const IndicatorDef& def, IndicatorResult&& result) {
  py::list out;
  for (int k = 0; k < def.n_outputs; ++k) {
    auto* schema = new ArrowSchema;
    export_float64_schema(def.output_names[k], schema);
    py::capsule schema_capsule(schema, "arrow_schema", capsule_release_schema);
    auto* array = new ArrowArray;
    export_float64(std::move(result.values[static_cast<size_t>(k)]),
                   std::move(result.validity[static_cast<size_t>(k)]), result.length,
                   result.null_counts[static_cast<size_t>(k)], array);
    py::capsule array_capsule(array, "arrow_array", capsule_release_array);
    out.append(py::make_tuple(schema_capsule, array_capsule));
  }
  return out;
}

// One Arrow input: a (schema capsule, array capsule) pair or an array-stream capsule, read in
// place. A stream's chunks are kept in `streams`, which must outlive the input.
struct ArrowInput {
  const ArrowSchema* schema = nullptr;
  ArrowArray* single = nullptr;          // a lone array,
  const StreamChunks* stream = nullptr;  // or the chunks of a stream
  ArrowArray* const* chunks() const { return stream ? stream->pointers.data() : &single; }
  size_t n_chunks() const { return stream ? stream->pointers.size() : 1; }
};

ArrowInput arrow_input(const py::handle& item,
                       std::vector<std::unique_ptr<StreamChunks>>* streams) {
  ArrowInput in;
  if (py::isinstance<py::tuple>(item)) {
    auto pair = item.cast<py::tuple>();
    in.schema = capsule_pointer<ArrowSchema>(pair[0], "arrow_schema");
    in.single = capsule_pointer<ArrowArray>(pair[1], "arrow_array");
  } else {
    streams->push_back(std::make_unique<StreamChunks>());
    read_stream(capsule_pointer<ArrowArrayStream>(item, "arrow_array_stream"),
                streams->back().get());
    in.stream = streams->back().get();
    in.schema = &in.stream->schema;
  }
  return in;
}

// Each input is either (schema capsule, array capsule) or an array-stream capsule. Returns one
// (schema capsule, array capsule) pair per output column.
py::list compute_arrow(const std::string& name, const py::list& inputs, const py::dict& kwargs) {
  const IndicatorDef& def = lookup(name);
  const ParamValues params = parse(def, kwargs);
  std::vector<std::unique_ptr<StreamChunks>> streams;
  std::vector<InputColumn> columns(inputs.size());
  std::vector<ColumnView> views;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ArrowInput in = arrow_input(inputs[i], &streams);
    const std::string column = in.schema->name ? in.schema->name : "";
    Status s = read_column(*in.schema, in.chunks(), in.n_chunks(),
                           column.empty() ? "input " + std::to_string(i) : column, &columns[i]);
    if (!s.ok) throw py::value_error(s.message);
    views.push_back(columns[i].view);
  }
  IndicatorResult result;
  Status s;
  {
    py::gil_scoped_release release;
    s = run_indicator(def, params, views, /*want_validity=*/true, &result);
  }
  if (!s.ok) throw py::value_error(s.message);
  return export_outputs(def, std::move(result));
}


// Segments of flat value arrays (the values of Arrow LIST arrays, e.g. DuckDB's list(close ORDER
// BY ts)): segment s is rows [offsets[s], offsets[s + 1]), computed as its own series, the
// segments in parallel (the grouped path of run_indicator_by). Inputs are (schema capsule,
// array capsule) pairs read in place; `offsets` runs from 0 to the values' length. Returns one
// (schema capsule, array capsule) pair of flat float64 values per output, aligned with the
// inputs, so that the caller builds the output lists from the same offsets.
using OffsetArray = py::array_t<int64_t, py::array::c_style | py::array::forcecast>;

py::list compute_segments(const std::string& name, const py::list& inputs,
                          const OffsetArray& offsets, const py::dict& kwargs, bool allow_threads) {
  const IndicatorDef& def = lookup(name);
  const ParamValues params = parse(def, kwargs);
  if (offsets.ndim() != 1 || offsets.shape(0) < 1) {
    throw py::value_error("`offsets` must be a 1-D array of at least one value");
  }
  std::vector<InputColumn> columns(inputs.size());
  std::vector<ColumnView> views;
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto pair = inputs[i].cast<py::tuple>();
    const auto* schema = capsule_pointer<ArrowSchema>(pair[0], "arrow_schema");
    auto* chunk = capsule_pointer<ArrowArray>(pair[1], "arrow_array");
    const std::string column = static_cast<int>(i) < def.n_inputs ? def.input_names[i]
                                                                   : "input " + std::to_string(i);
    Status s = read_column(*schema, &chunk, 1, column, &columns[i]);
    if (!s.ok) throw py::value_error(s.message);
    views.push_back(columns[i].view);
  }
  GroupRuns groups;
  const int64_t* o = offsets.data();
  const auto n_segments = static_cast<int64_t>(offsets.shape(0) - 1);
  const int64_t n = views.empty() ? 0 : views[0].length;
  if (o[0] != 0 || o[n_segments] != n) {
    throw py::value_error("`offsets` must run from 0 to the number of values (" +
                          std::to_string(n) + ")");
  }
  groups.starts.assign(o, o + n_segments + 1);
  groups.run_group.resize(static_cast<size_t>(n_segments));
  for (int64_t s = 0; s < n_segments; ++s) {
    if (o[s + 1] < o[s]) throw py::value_error("`offsets` must not decrease");
    groups.run_group[static_cast<size_t>(s)] = s;
  }
  groups.n_groups = n_segments;
  groups.contiguous = true;
  IndicatorResult result;
  Status s;
  {
    py::gil_scoped_release release;
    s = run_indicator_by(def, params, views, groups, allow_threads, &result);
  }
  if (!s.ok) throw py::value_error(s.message);
  return export_outputs(def, std::move(result));
}

// The rows where a key column differs from the row before (nulls equal to nulls), row 0
// included: the run starts that the by= path reads (read_group_runs), for the backtester's
// symbol runs. Input: (schema capsule, array capsule) or an array-stream capsule, read in place.
py::array_t<int64_t> group_run_starts(const py::object& input) {
  std::vector<std::unique_ptr<StreamChunks>> streams;
  const ArrowInput in = arrow_input(input, &streams);
  GroupRuns runs;
  Status s;
  {
    py::gil_scoped_release release;
    s = read_group_runs(*in.schema, in.chunks(), in.n_chunks(),
                        in.schema->name ? in.schema->name : "", &runs);
  }
  if (!s.ok) throw py::value_error(s.message);
  const size_t n_runs = runs.starts.size() - 1;  // the last entry is the row count
  py::array_t<int64_t> out(static_cast<py::ssize_t>(n_runs));
  std::copy(runs.starts.begin(), runs.starts.end() - 1, out.mutable_data());
  return out;
}

}  // namespace

void register_backtest(py::module_& m);  // kernels/backtest_module.cpp
void register_stats(py::module_& m);     // kernels/stats_module.cpp

}  // namespace nse

PYBIND11_MODULE(_core, m) {
  m.doc() = "nse_polars native kernels (C++17); see nse_polars.kernels for the Python API";
  m.def("plugin_abi_version", [] { return py::make_tuple(0, 1); },
        "The Polars plugin ABI version this module implements, as (major, minor).");
  m.def("check_params", &nse::check_params, py::arg("name"), py::arg("kwargs"),
        "Validate an indicator's parameters; returns them with defaults filled in.");
  m.def("lookback", &nse::lookback, py::arg("name"), py::arg("kwargs"),
        "Number of leading null rows for these parameters (dense input).");
  m.def("describe", &nse::describe, "The indicator table: names, inputs, outputs, parameters.");
  m.def("pool_stats", [] { return py::make_tuple(nse::pool_cached_bytes(), nse::pool_limit_bytes()); },
        "(bytes cached, limit) of the output-buffer pool.");
  m.def("pool_trim", &nse::pool_trim, "Return every cached output buffer to the system.");
  m.def("isa", [] { return std::string(nse::isa_name(nse::active_isa())); },
        "The instruction set the SIMD kernels use (NSE_POLARS_ISA caps it).");
  m.def("supported_isas", &nse::supported_isas, "Instruction sets this CPU and build can use.");
  m.def("compute_numpy", &nse::compute_numpy, py::arg("name"), py::arg("inputs"),
        py::arg("kwargs"));
  m.def("group_run_starts", &nse::group_run_starts, py::arg("input"),
        "Rows where an integer or string key column differs from the row before (row 0 "
        "included; nulls equal nulls), from an Arrow array or stream read in place.");
  m.def("compute_arrow", &nse::compute_arrow, py::arg("name"), py::arg("inputs"),
        py::arg("kwargs"));
  m.def("compute_segments", &nse::compute_segments, py::arg("name"), py::arg("inputs"),
        py::arg("offsets"), py::arg("kwargs"), py::arg("allow_threads") = true,
        "Every segment [offsets[s], offsets[s+1]) of flat Arrow inputs as its own series.");
  nse::register_backtest(m);
  nse::register_stats(m);
}
