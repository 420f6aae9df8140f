// Reading Arrow columns in place and building Arrow results; the null/NaN rule of
// REFERENCE.md (an indicator runs over the valid rows only and missing rows come out null).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "arrow_abi.h"
#include "params.h"

namespace nse {

// 64-byte aligned, uninitialised storage, so Polars and pyarrow import it without copying.
// Large buffers come from a process-wide pool and go back to it when freed: on this kind of
// machine a fresh 8 MB output costs about 3 ms of page faults, more than most kernels.
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t bytes);
  AlignedBuffer(AlignedBuffer&& other) noexcept;
  AlignedBuffer& operator=(AlignedBuffer&& other) noexcept;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer();

  template <typename T>
  T* as() const { return static_cast<T*>(data_); }
  bool empty() const { return data_ == nullptr; }

 private:
  void reset() noexcept;
  void* data_ = nullptr;
  size_t capacity_ = 0;
};

// Uninitialised float64 scratch from the buffer pool, for kernels that need a whole-series
// intermediate: a large fresh allocation pays its page faults on first touch, a pooled one
// does not.
class Scratch {
 public:
  explicit Scratch(int64_t n) : buffer_(static_cast<size_t>(n > 0 ? n : 1) * sizeof(double)) {}
  double* get() const { return buffer_.as<double>(); }
  double& operator[](int64_t i) const { return get()[i]; }

 private:
  AlignedBuffer buffer_;
};
inline Scratch scratch(int64_t n) { return Scratch(n); }

// Bytes currently cached by the buffer pool, and its limit (env NSE_POLARS_POOL_MB; default an
// eighth of physical memory, at most 4 GB; 0 disables pooling); pool_trim frees the cache.
size_t pool_cached_bytes();
size_t pool_limit_bytes();
void pool_trim();

// One input column as contiguous float64 values plus an optional validity bitmap.
struct ColumnView {
  const double* values = nullptr;
  const uint8_t* validity = nullptr;  // Arrow bitmap (LSB first), null when every row is set
  int64_t validity_offset = 0;
  int64_t length = 0;
};

// A column read from Arrow chunks: a zero-copy view for one float64 chunk, otherwise a
// converted contiguous copy in which nulls are NaN.
struct InputColumn {
  ColumnView view;
  AlignedBuffer storage;
};

// Human-readable dtype for an Arrow format string (for error messages), e.g. "String".
std::string dtype_name(const char* format);
bool is_numeric_format(const char* format);

// Ok for a numeric or Null-typed column; otherwise an error naming the column and its dtype.
Status check_numeric(const ArrowSchema& schema, const std::string& column);

// Reads `n_chunks` arrays of the type described by `schema`. `column` names the column in
// errors.
Status read_column(const ArrowSchema& schema, ArrowArray* const* chunks, size_t n_chunks,
                   const std::string& column, InputColumn* out);

// The computed outputs of one indicator call: float64 values (NaN where null) and validity.
struct IndicatorResult {
  int64_t length = 0;
  std::vector<AlignedBuffer> values;
  std::vector<AlignedBuffer> validity;  // empty when want_validity was false
  std::vector<int64_t> null_counts;     // one per output column
};

// Runs `def` over the inputs, applying the null/NaN rule; never throws.
Status run_indicator(const IndicatorDef& def, const ParamValues& params,
                     const std::vector<ColumnView>& inputs, bool want_validity,
                     IndicatorResult* out);

// Rows split into groups by a key column: runs of equal keys, each run's group (numbered in
// order of first appearance), and whether every group is one run (the frame is grouped).
struct GroupRuns {
  std::vector<int64_t> starts;     // run r is rows [starts[r], starts[r + 1])
  std::vector<int64_t> run_group;  // group of run r
  int64_t n_groups = 0;
  bool contiguous = true;
};

// Reads the key column in place: integers of any width or strings (including Arrow string
// views, as Polars sends them); null keys form one group. Only run starts are hashed.
Status read_group_runs(const ArrowSchema& schema, ArrowArray* const* chunks, size_t n_chunks,
                       const std::string& column, GroupRuns* out);
bool is_group_key_format(const ArrowSchema& schema);
bool is_integer_format(const char* format);

// Per group: each group computed on its own rows in their order, as if it were its own series
// (what .over() does, in one call). Contiguous groups are read in place; otherwise rows are
// gathered by group and scattered back. Groups run in parallel (OpenMP) when `allow_threads`;
// results do not depend on the thread count.
Status run_indicator_by(const IndicatorDef& def, const ParamValues& params,
                        const std::vector<ColumnView>& inputs, const GroupRuns& groups,
                        bool allow_threads, IndicatorResult* out);

// Same, but the caller provides the value buffers (e.g. numpy arrays); no validity bitmaps.
Status run_indicator_into(const IndicatorDef& def, const ParamValues& params,
                          const std::vector<ColumnView>& inputs, double* const* outputs);

// Arrow export of a result: one float64 array per output, or a struct array of them.
void export_float64(AlignedBuffer values, AlignedBuffer validity, int64_t length,
                    int64_t null_count, ArrowArray* out);
void export_struct(IndicatorResult&& result, ArrowArray* out);  // consumes the buffers
void export_float64_schema(const std::string& name, ArrowSchema* out);
void export_struct_schema(const std::string& name, const std::vector<std::string>& fields,
                          ArrowSchema* out);

}  // namespace nse
