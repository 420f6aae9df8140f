#include "arrow_io.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <new>
#include <utility>

#if defined(__linux__)
#include <sys/mman.h>
#endif
#if !defined(_WIN32)
#include <unistd.h>
#endif

namespace nse {

// --- aligned storage and the buffer pool ------------------------------------------------------

namespace {
constexpr size_t kAlignment = 64;
constexpr size_t kPooledMin = size_t{64} << 10;   // smaller buffers are cheap to allocate
constexpr size_t kHugeMin = size_t{2} << 20;      // from here on, ask for transparent huge pages
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Large buffers start at a staggered offset from their 2 MB boundary (a multiple of 64 bytes,
// different for consecutive allocations). Otherwise the outputs of one call would all share
// their addresses modulo 4 KB, and a loop writing several of them while reading the input
// stalls on false store-to-load dependencies ("4K aliasing").
constexpr size_t kStaggerStep = size_t{5} * 64;
constexpr size_t kStaggerSlots = 16;
std::atomic<size_t> stagger_counter{0};

void* raw_allocate(size_t bytes) {
  const bool huge = bytes >= kHugeMin;
  const size_t offset =
      huge ? (stagger_counter.fetch_add(1, std::memory_order_relaxed) % kStaggerSlots) * kStaggerStep
           : 0;
  const size_t total = bytes + (huge ? kStaggerSlots * kStaggerStep : 0);
  const size_t alignment = huge ? kHugeMin : kAlignment;
#if defined(_WIN32)
  void* p = _aligned_malloc(total, alignment);
#else
  void* p = nullptr;
  if (posix_memalign(&p, alignment, total) != 0) p = nullptr;
#endif
  if (!p) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  // One fault per 2 MB instead of per 4 KB on first touch; harmless where THP is off.
  if (huge) madvise(p, total, MADV_HUGEPAGE);
#endif
  return static_cast<char*>(p) + offset;
}

// `bytes` as given to raw_allocate: a huge buffer's base is its 2 MB boundary.
void raw_free(void* p, size_t bytes) {
  if (bytes >= kHugeMin) {
    p = reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(p) & ~(uintptr_t{kHugeMin} - 1));
  }
#if defined(_WIN32)
  _aligned_free(p);
#else
  std::free(p);
#endif
}

// Default: an eighth of physical memory, at most 4 GB (256 MB where that is unknown), so that
// the outputs of a large multi-symbol call (720 MB for 10M rows x 9 columns) are reused.
size_t default_limit() {
  size_t limit = size_t{256} << 20;
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page_size > 0) {
    limit = static_cast<size_t>(pages) * static_cast<size_t>(page_size) / 8;
  }
#endif
  return std::min(limit, size_t{4} << 30);
}

size_t limit_from_env() {
  const char* text = std::getenv("NSE_POLARS_POOL_MB");
  if (!text || !*text) return default_limit();
  char* end = nullptr;
  const unsigned long long mb = std::strtoull(text, &end, 10);
  return (end && *end == '\0') ? static_cast<size_t>(mb) << 20 : default_limit();
}

// Buffers that Polars or pyarrow released, kept touched for the next call of the same size.
class BufferPool {
 public:
  static BufferPool& instance() {
    static auto* pool = new BufferPool;  // never destroyed: buffers may outlive statics
    return *pool;
  }

  void* acquire(size_t bytes, size_t* capacity) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // The most recently returned buffer that fits without wasting more than a quarter of
      // it: the last one released is the likeliest to still be in cache.
      for (size_t i = free_.size(); i-- > 0;) {
        const size_t c = free_[i].first;
        if (c >= bytes && c - bytes <= c / 4) {
          *capacity = c;
          void* p = free_[i].second;
          cached_ -= c;
          free_.erase(free_.begin() + static_cast<std::ptrdiff_t>(i));
          return p;
        }
      }
    }
    *capacity = bytes;
    return raw_allocate(bytes);
  }

  void give_back(void* p, size_t capacity) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cached_ + capacity <= limit_) {
        free_.emplace_back(capacity, p);
        cached_ += capacity;
        return;
      }
    }
    raw_free(p, capacity);
  }

  size_t cached() {
    std::lock_guard<std::mutex> lock(mutex_);
    return cached_;
  }

  // Returns every cached buffer to the system.
  void trim() {
    std::vector<std::pair<size_t, void*>> drop;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      drop.swap(free_);
      cached_ = 0;
    }
    for (const auto& [capacity, p] : drop) raw_free(p, capacity);
  }
  size_t limit() const { return limit_; }

 private:
  std::mutex mutex_;
  std::vector<std::pair<size_t, void*>> free_;
  size_t cached_ = 0;
  const size_t limit_ = limit_from_env();
};

}  // namespace

AlignedBuffer::AlignedBuffer(size_t bytes) {
  // A whole number of cache lines, so vector loops may run to the end of the last line.
  bytes = std::max(kAlignment, (bytes + kAlignment - 1) / kAlignment * kAlignment);
  if (bytes >= kPooledMin) {
    data_ = BufferPool::instance().acquire(bytes, &capacity_);
  } else {
    data_ = raw_allocate(bytes);
    capacity_ = bytes;
  }
}
AlignedBuffer::AlignedBuffer(AlignedBuffer&& other) noexcept
    : data_(other.data_), capacity_(other.capacity_) {
  other.data_ = nullptr;
  other.capacity_ = 0;
}
AlignedBuffer& AlignedBuffer::operator=(AlignedBuffer&& other) noexcept {
  if (this != &other) {
    reset();
    data_ = other.data_;
    capacity_ = other.capacity_;
    other.data_ = nullptr;
    other.capacity_ = 0;
  }
  return *this;
}
AlignedBuffer::~AlignedBuffer() { reset(); }

void AlignedBuffer::reset() noexcept {
  if (!data_) return;
  if (capacity_ >= kPooledMin) {
    BufferPool::instance().give_back(data_, capacity_);
  } else {
    raw_free(data_, capacity_);
  }
  data_ = nullptr;
  capacity_ = 0;
}

size_t pool_cached_bytes() { return BufferPool::instance().cached(); }
size_t pool_limit_bytes() { return BufferPool::instance().limit(); }
void pool_trim() { BufferPool::instance().trim(); }

// --- reading -------------------------------------------------------------------------------

std::string dtype_name(const char* format) {
  const std::string f = format ? format : "";
  static const struct { const char* format; const char* name; } kNames[] = {
      {"g", "Float64"}, {"f", "Float32"}, {"e", "Float16"}, {"c", "Int8"},    {"C", "UInt8"},
      {"s", "Int16"},   {"S", "UInt16"},  {"i", "Int32"},   {"I", "UInt32"},  {"l", "Int64"},
      {"L", "UInt64"},  {"b", "Boolean"}, {"u", "String"},  {"U", "String"},  {"vu", "String"},
      {"z", "Binary"},  {"Z", "Binary"},  {"vz", "Binary"}, {"tdD", "Date"},  {"tdm", "Date"},
      {"n", "Null"},    {"+s", "Struct"}, {"+l", "List"},   {"+L", "List"},   {"+vl", "List"},
      {"+w", "Array"}};
  for (const auto& entry : kNames) {
    if (f == entry.format) return entry.name;
  }
  if (f.rfind("ts", 0) == 0) return "Datetime";
  if (f.rfind("+w", 0) == 0) return "Array";
  if (f.rfind("_pli128", 0) == 0) return "Int128";
  if (f.rfind("_plu128", 0) == 0) return "UInt128";
  if (f.rfind("tD", 0) == 0) return "Duration";
  if (f.rfind("tt", 0) == 0) return "Time";
  if (f.rfind("d:", 0) == 0) return "Decimal";
  return "Arrow type '" + f + "'";
}

bool is_numeric_format(const char* format) {
  if (!format || !format[0] || format[1] != '\0') return false;
  return std::strchr("gfcCsSiIlL", format[0]) != nullptr;
}

namespace {

inline bool bit_is_set(const uint8_t* bitmap, int64_t i) {
  return (bitmap[i >> 3] >> (i & 7)) & 1;
}

template <typename T>
void convert_chunk(const ArrowArray& chunk, double* dst) {
  const T* src = static_cast<const T*>(chunk.buffers[1]) + chunk.offset;
  const auto* validity = static_cast<const uint8_t*>(chunk.buffers[0]);
  if (chunk.null_count == 0 || validity == nullptr) {
    for (int64_t i = 0; i < chunk.length; ++i) dst[i] = static_cast<double>(src[i]);
  } else {
    for (int64_t i = 0; i < chunk.length; ++i) {
      dst[i] = bit_is_set(validity, chunk.offset + i) ? static_cast<double>(src[i]) : kNaN;
    }
  }
}

void convert_any(char format, const ArrowArray& chunk, double* dst) {
  switch (format) {
    case 'g': convert_chunk<double>(chunk, dst); break;
    case 'f': convert_chunk<float>(chunk, dst); break;
    case 'c': convert_chunk<int8_t>(chunk, dst); break;
    case 'C': convert_chunk<uint8_t>(chunk, dst); break;
    case 's': convert_chunk<int16_t>(chunk, dst); break;
    case 'S': convert_chunk<uint16_t>(chunk, dst); break;
    case 'i': convert_chunk<int32_t>(chunk, dst); break;
    case 'I': convert_chunk<uint32_t>(chunk, dst); break;
    case 'l': convert_chunk<int64_t>(chunk, dst); break;
    case 'L': convert_chunk<uint64_t>(chunk, dst); break;
    default: break;
  }
}

}  // namespace

Status check_numeric(const ArrowSchema& schema, const std::string& column) {
  const char* format = schema.format ? schema.format : "";
  // Categorical and Enum arrive dictionary-encoded: integer codes whose values mean nothing.
  if (schema.dictionary != nullptr) {
    return Status::Error("column `" + column +
                         "` has dtype Categorical/Enum (dictionary-encoded); expected a numeric "
                         "column (floats or integers)");
  }
  if (std::strcmp(format, "n") == 0 || is_numeric_format(format)) return Status::Ok();
  return Status::Error("column `" + column + "` has dtype " + dtype_name(format) +
                       "; expected a numeric column (floats or integers)");
}

Status read_column(const ArrowSchema& schema, ArrowArray* const* chunks, size_t n_chunks,
                   const std::string& column, InputColumn* out) {
  int64_t total = 0;
  for (size_t c = 0; c < n_chunks; ++c) total += chunks[c]->length;
  out->view = ColumnView{};
  out->view.length = total;
  const char* format = schema.format ? schema.format : "";
  if (std::strcmp(format, "n") == 0) {  // a Null-typed column: every row is missing
    out->storage = AlignedBuffer(static_cast<size_t>(total) * sizeof(double));
    std::fill(out->storage.as<double>(), out->storage.as<double>() + total, kNaN);
    out->view.values = out->storage.as<double>();
    return Status::Ok();
  }
  Status s = check_numeric(schema, column);
  if (!s.ok) return s;
  if (n_chunks == 1 && format[0] == 'g') {  // the common case: read the buffer in place
    const ArrowArray& chunk = *chunks[0];
    out->view.values = static_cast<const double*>(chunk.buffers[1]) + chunk.offset;
    if (chunk.null_count != 0 && chunk.buffers[0] != nullptr) {
      out->view.validity = static_cast<const uint8_t*>(chunk.buffers[0]);
      out->view.validity_offset = chunk.offset;
    }
    return Status::Ok();
  }
  out->storage = AlignedBuffer(static_cast<size_t>(total) * sizeof(double));
  auto* dst = out->storage.as<double>();
  for (size_t c = 0; c < n_chunks; ++c) {
    convert_any(format[0], *chunks[c], dst);
    dst += chunks[c]->length;
  }
  out->view.values = out->storage.as<double>();
  return Status::Ok();
}

// --- the null/NaN rule ---------------------------------------------------------------------

namespace {

// Null, NaN and +/-inf rows are missing (an infinite price is as unusable as a NaN one).
bool row_valid(const ColumnView& c, int64_t i) {
  if (c.validity && !bit_is_set(c.validity, c.validity_offset + i)) return false;
  return c.values[i] - c.values[i] == 0.0;
}

// Sets bits [from, to) of `bitmap` to `value`, whole bytes at a time where possible.
void set_bits(uint8_t* bitmap, int64_t from, int64_t to, bool value) {
  while (from < to && (from & 7) != 0) {
    if (value) bitmap[from >> 3] |= static_cast<uint8_t>(1u << (from & 7));
    else bitmap[from >> 3] &= static_cast<uint8_t>(~(1u << (from & 7)));
    ++from;
  }
  const int64_t whole_end = to & ~int64_t{7};
  if (from < whole_end) {
    std::memset(bitmap + (from >> 3), value ? 0xff : 0x00, static_cast<size_t>((whole_end - from) >> 3));
    from = whole_end;
  }
  for (; from < to; ++from) {
    if (value) bitmap[from >> 3] |= static_cast<uint8_t>(1u << (from & 7));
    else bitmap[from >> 3] &= static_cast<uint8_t>(~(1u << (from & 7)));
  }
}

// Computes into `outputs` (each of the column length); validity bitmaps are optional.
// Writes the number of null rows of each output to null_counts.
// Returns true when the input had no missing rows: output k is then null exactly on its first
// min(lookback, n) rows.
bool run_impl(const IndicatorDef& def, const ParamValues& params,
              const std::vector<ColumnView>& inputs, double* const* outputs,
              uint8_t* const* validity, int64_t* null_counts) {
  const int64_t n = inputs.empty() ? 0 : inputs[0].length;
  bool has_bitmap = false;
  for (const auto& c : inputs) has_bitmap = has_bitmap || c.validity != nullptr;
  const double* in_ptrs[kMaxInputs];
  // A series no longer than every output's lookback is all null: the kernel is not run (some
  // kernels allocate in proportion to the period, which may be far larger than the series).
  bool all_warmup = true;
  for (int k = 0; k < def.n_outputs; ++k) all_warmup = all_warmup && def.lookback(params, k) >= n;
  if (all_warmup) {
    for (int k = 0; k < def.n_outputs; ++k) {
      std::fill(outputs[k], outputs[k] + n, kNaN);
      if (validity) set_bits(validity[k], 0, n, false);
      null_counts[k] = n;
    }
    return true;
  }
  // Optimistic dense pass: the kernel itself reports a NaN, so clean input is read once.
  if (!has_bitmap) {
    for (size_t k = 0; k < inputs.size(); ++k) in_ptrs[k] = inputs[k].values;
    if (def.compute(in_ptrs, n, outputs, params)) {
      for (int k = 0; k < def.n_outputs; ++k) {
        const int64_t warmup = std::min(def.lookback(params, k), n);
        std::fill(outputs[k], outputs[k] + warmup, kNaN);
        if (validity) {
          set_bits(validity[k], 0, warmup, false);
          set_bits(validity[k], warmup, n, true);
        }
        null_counts[k] = warmup;
      }
      return true;
    }
  }
  // Missing rows: run the dense kernel over the valid rows only, so state carries over a gap
  // and the warm-up counts valid values, then scatter back with the missing rows null.
  std::vector<int64_t> rows;
  rows.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    bool ok = true;
    for (const auto& c : inputs) ok = ok && row_valid(c, i);
    if (ok) rows.push_back(i);
  }
  const auto m = static_cast<int64_t>(rows.size());
  const auto stride = static_cast<size_t>(m);
  std::vector<double> compact_in(stride * inputs.size());
  std::vector<double> compact_out(stride * static_cast<size_t>(def.n_outputs));
  double* out_ptrs[kMaxOutputs];
  for (size_t k = 0; k < inputs.size(); ++k) {
    double* dst = compact_in.data() + k * stride;
    for (size_t j = 0; j < stride; ++j) dst[j] = inputs[k].values[rows[j]];
    in_ptrs[k] = dst;
  }
  for (int k = 0; k < def.n_outputs; ++k) {
    out_ptrs[k] = compact_out.data() + static_cast<size_t>(k) * stride;
  }
  bool compact_warmup = true;
  for (int k = 0; k < def.n_outputs; ++k) {
    compact_warmup = compact_warmup && def.lookback(params, k) >= m;
  }
  if (!compact_warmup) def.compute(in_ptrs, m, out_ptrs, params);  // compacted: no NaN left
  for (int k = 0; k < def.n_outputs; ++k) {
    const int64_t first = std::min(def.lookback(params, k), m);
    std::fill(outputs[k], outputs[k] + n, kNaN);
    if (validity) set_bits(validity[k], 0, n, false);
    for (int64_t j = first; j < m; ++j) {
      const int64_t row = rows[static_cast<size_t>(j)];
      outputs[k][row] = out_ptrs[k][j];
      if (validity) validity[k][row >> 3] |= static_cast<uint8_t>(1u << (row & 7));
    }
    null_counts[k] = n - (m - first);
  }
  return false;
}

// Allocates the result's value buffers (and bitmaps) for n rows; out_ptrs/validity_ptrs (may be
// null) receive their addresses.
void allocate_outputs(const IndicatorDef& def, int64_t n, bool want_validity,
                      IndicatorResult* out, double** out_ptrs, uint8_t** validity_ptrs) {
  out->length = n;
  out->null_counts.assign(static_cast<size_t>(def.n_outputs), 0);
  for (int k = 0; k < def.n_outputs; ++k) {
    out->values.emplace_back(static_cast<size_t>(n) * sizeof(double));
    out_ptrs[k] = out->values.back().as<double>();
    if (want_validity) {
      out->validity.emplace_back(static_cast<size_t>((n + 7) / 8));
      if (validity_ptrs) validity_ptrs[k] = out->validity.back().as<uint8_t>();
    }
  }
}

Status check_lengths(const IndicatorDef& def, const std::vector<ColumnView>& inputs) {
  if (static_cast<int>(inputs.size()) != def.n_inputs) {
    return Status::Error("`" + std::string(def.name) + "` takes " + std::to_string(def.n_inputs) +
                         " input column(s), got " + std::to_string(inputs.size()));
  }
  for (const auto& c : inputs) {
    if (c.length != inputs[0].length) {
      return Status::Error("`" + std::string(def.name) +
                           "`: input columns differ in length (" + std::to_string(inputs[0].length) +
                           " vs " + std::to_string(c.length) + ")");
    }
  }
  return Status::Ok();
}

}  // namespace

Status run_indicator(const IndicatorDef& def, const ParamValues& params,
                     const std::vector<ColumnView>& inputs, bool want_validity,
                     IndicatorResult* out) {
  Status s = check_lengths(def, inputs);
  if (!s.ok) return s;
  double* out_ptrs[kMaxOutputs];
  uint8_t* validity_ptrs[kMaxOutputs];
  allocate_outputs(def, inputs[0].length, want_validity, out, out_ptrs, validity_ptrs);
  run_impl(def, params, inputs, out_ptrs, want_validity ? validity_ptrs : nullptr,
           out->null_counts.data());
  return Status::Ok();
}

namespace {

// Validity bits for rows [begin, end) (begin a multiple of 8) from the values: the grouped
// path computes with NaN standing for null, so that threads never write bitmap bytes they
// share, and derives the bitmaps afterwards. Returns the number of null rows.
int64_t validity_from_values(const double* values, int64_t begin, int64_t end,
                             uint8_t* validity) {
  int64_t valid = 0;
  for (int64_t i = begin; i < end; i += 8) {
    const int64_t stop = std::min(end, i + 8);
    unsigned byte = 0;
    for (int64_t j = i; j < stop; ++j) {
      const bool ok = values[j] == values[j];
      byte |= static_cast<unsigned>(ok) << (j - i);
      valid += ok;
    }
    validity[i >> 3] = static_cast<uint8_t>(byte);
  }
  return (end - begin) - valid;
}

}  // namespace

Status run_indicator_by(const IndicatorDef& def, const ParamValues& params,
                        const std::vector<ColumnView>& inputs, const GroupRuns& groups,
                        bool allow_threads, IndicatorResult* out) {
  Status s = check_lengths(def, inputs);
  if (!s.ok) return s;
  const int64_t n = inputs[0].length;
  const int64_t rows_in_runs = groups.starts.empty() ? 0 : groups.starts.back();
  if (rows_in_runs != n) {
    return Status::Error("the group column has " + std::to_string(rows_in_runs) +
                         " rows, the data " + std::to_string(n));
  }
  const auto n_out = static_cast<size_t>(def.n_outputs);
  double* out_ptrs[kMaxOutputs];
  allocate_outputs(def, n, /*want_validity=*/true, out, out_ptrs, nullptr);
  const bool contiguous = groups.contiguous;
  const int64_t n_groups = groups.n_groups;
  const size_t n_in = inputs.size();

  // The rows of group g are rows [offsets[g], offsets[g + 1]) of the input itself (a grouped
  // frame) or of a copy gathered by group.
  std::vector<int64_t> offsets;
  std::vector<int64_t> order;  // gathered position -> original row (gather path only)
  std::vector<AlignedBuffer> gathered_in;
  std::vector<AlignedBuffer> gathered_out;
  if (contiguous) {
    offsets = groups.starts;
  } else {
    // Stable counting sort of the runs by group, groups in order of first appearance.
    const size_t n_runs = groups.run_group.size();
    offsets.assign(static_cast<size_t>(n_groups) + 1, 0);
    for (size_t r = 0; r < n_runs; ++r) {
      offsets[static_cast<size_t>(groups.run_group[r]) + 1] +=
          groups.starts[r + 1] - groups.starts[r];
    }
    for (size_t g = 0; g < static_cast<size_t>(n_groups); ++g) offsets[g + 1] += offsets[g];
    std::vector<int64_t> next(offsets.begin(), offsets.end() - 1);
    order.resize(static_cast<size_t>(n));
    for (size_t r = 0; r < n_runs; ++r) {
      int64_t& at = next[static_cast<size_t>(groups.run_group[r])];
      for (int64_t row = groups.starts[r]; row < groups.starts[r + 1]; ++row) {
        order[static_cast<size_t>(at++)] = row;
      }
    }
    for (size_t k = 0; k < n_in; ++k) {
      gathered_in.emplace_back(static_cast<size_t>(n) * sizeof(double));
      auto* dst = gathered_in.back().as<double>();
      for (int64_t j = 0; j < n; ++j) {
        const int64_t row = order[static_cast<size_t>(j)];
        dst[j] = row_valid(inputs[k], row) ? inputs[k].values[row] : kNaN;
      }
    }
    for (size_t k = 0; k < n_out; ++k) {
      gathered_out.emplace_back(static_cast<size_t>(n) * sizeof(double));
    }
  }

  std::vector<uint8_t> dense(static_cast<size_t>(n_groups), 0);
  auto run_group = [&](int64_t g) {
    const int64_t begin = offsets[static_cast<size_t>(g)];
    const int64_t length = offsets[static_cast<size_t>(g) + 1] - begin;
    std::vector<ColumnView> views(n_in);
    double* group_out[kMaxOutputs];
    int64_t null_counts[kMaxOutputs];
    for (size_t k = 0; k < n_in; ++k) {
      ColumnView& v = views[k];
      v.length = length;
      if (contiguous) {
        v.values = inputs[k].values + begin;
        v.validity = inputs[k].validity;
        v.validity_offset = inputs[k].validity_offset + begin;
      } else {
        v.values = gathered_in[k].as<double>() + begin;
      }
    }
    for (size_t k = 0; k < n_out; ++k) {
      group_out[k] = (contiguous ? out_ptrs[k] : gathered_out[k].as<double>()) + begin;
    }
    dense[static_cast<size_t>(g)] = run_impl(def, params, views, group_out, nullptr, null_counts);
  };
  const bool parallel = allow_threads && n_groups > 1;
#if defined(_OPENMP)
#pragma omp parallel for schedule(dynamic, 1) if (parallel)
#endif
  for (int64_t g = 0; g < n_groups; ++g) run_group(g);

  if (contiguous) {
    // Bitmaps group by group, in one thread (groups share bytes at their edges): a group
    // without missing rows is null on exactly its warm-up rows, so only the others are read.
    for (size_t k = 0; k < n_out; ++k) {
      auto* bits = out->validity[k].as<uint8_t>();
      for (int64_t g = 0; g < n_groups; ++g) {
        const int64_t begin = offsets[static_cast<size_t>(g)];
        const int64_t end = offsets[static_cast<size_t>(g) + 1];
        if (dense[static_cast<size_t>(g)]) {
          const int64_t warmup = std::min(def.lookback(params, static_cast<int>(k)), end - begin);
          set_bits(bits, begin, begin + warmup, false);
          set_bits(bits, begin + warmup, end, true);
          out->null_counts[k] += warmup;
        } else {
          for (int64_t row = begin; row < end; ++row) {
            const bool ok = out_ptrs[k][row] == out_ptrs[k][row];
            set_bits(bits, row, row + 1, ok);
            out->null_counts[k] += !ok;
          }
        }
      }
    }
    return Status::Ok();
  }
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) if (parallel)
#endif
  for (int64_t k = 0; k < static_cast<int64_t>(n_out); ++k) {  // scatter back: each row once
    const double* src = gathered_out[static_cast<size_t>(k)].as<double>();
    double* dst = out_ptrs[static_cast<size_t>(k)];
    for (int64_t j = 0; j < n; ++j) dst[order[static_cast<size_t>(j)]] = src[j];
  }
  // The bitmaps, in blocks of rows starting on a whole byte: no two threads share a byte.
  constexpr int64_t kBlock = int64_t{1} << 16;
  const int64_t n_blocks = (n + kBlock - 1) / kBlock;
  std::vector<int64_t> block_nulls(static_cast<size_t>(n_blocks) * n_out, 0);
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) if (parallel && n_blocks > 1)
#endif
  for (int64_t blk = 0; blk < n_blocks; ++blk) {
    const int64_t begin = blk * kBlock;
    const int64_t end = std::min(n, begin + kBlock);
    for (size_t k = 0; k < n_out; ++k) {
      block_nulls[static_cast<size_t>(blk) * n_out + k] =
          validity_from_values(out_ptrs[k], begin, end, out->validity[k].as<uint8_t>());
    }
  }
  for (size_t i = 0; i < block_nulls.size(); ++i) out->null_counts[i % n_out] += block_nulls[i];
  return Status::Ok();
}

bool is_integer_format(const char* format) {
  return format && format[0] && !format[1] && std::strchr("cCsSiIlL", format[0]) != nullptr;
}

namespace {

// One key per row, read in place: integers as int64 (unsigned 64-bit wraps, one to one),
// strings as views of their bytes.
template <class T>
int64_t skip_equal(const T* values, int64_t i, int64_t end) {
  const T prev = values[i - 1];
  while (i < end && values[i] == prev) ++i;
  return i;
}

class KeyReader {
 public:
  KeyReader(const ArrowSchema& schema, const ArrowArray& chunk)
      : format_(schema.format ? schema.format : ""), chunk_(chunk),
        validity_(chunk.null_count == 0 ? nullptr
                                        : static_cast<const uint8_t*>(chunk.buffers[0])) {}

  bool is_null(int64_t i) const {
    return validity_ != nullptr && !bit_is_set(validity_, chunk_.offset + i);
  }
  bool is_string() const { return !is_integer_format(format_); }
  bool is_view() const { return format_[0] == 'v'; }
  // Rows i and j (of this chunk, both not null) have byte-identical string views.
  bool same_view(int64_t i, int64_t j) const {
    const auto* views = static_cast<const uint8_t*>(chunk_.buffers[1]);
    return std::memcmp(views + 16 * (chunk_.offset + i), views + 16 * (chunk_.offset + j), 16) == 0;
  }
  bool has_nulls() const { return validity_ != nullptr; }
  // The first row j in [i, end] whose key is not identical to row i - 1's (i >= 1, a chunk
  // without nulls): equal integers, or byte-identical string views. The tight loop that skips
  // the rest of a run; strings in offset layouts are left to the caller (returns i).
  int64_t skip_run(int64_t i, int64_t end) const {
    const void* data = chunk_.buffers[1];
    const int64_t base = chunk_.offset;
    switch (format_[0]) {
      case 'c': return skip_equal(static_cast<const int8_t*>(data) + base, i, end);
      case 'C': return skip_equal(static_cast<const uint8_t*>(data) + base, i, end);
      case 's': return skip_equal(static_cast<const int16_t*>(data) + base, i, end);
      case 'S': return skip_equal(static_cast<const uint16_t*>(data) + base, i, end);
      case 'i': return skip_equal(static_cast<const int32_t*>(data) + base, i, end);
      case 'I': return skip_equal(static_cast<const uint32_t*>(data) + base, i, end);
      case 'l': return skip_equal(static_cast<const int64_t*>(data) + base, i, end);
      case 'L': return skip_equal(static_cast<const uint64_t*>(data) + base, i, end);
      case 'v': {
        const auto* views = static_cast<const uint8_t*>(data) + 16 * base;
        uint64_t lo, hi;
        std::memcpy(&lo, views + 16 * (i - 1), 8);
        std::memcpy(&hi, views + 16 * (i - 1) + 8, 8);
        for (; i < end; ++i) {
          uint64_t a, b;
          std::memcpy(&a, views + 16 * i, 8);
          std::memcpy(&b, views + 16 * i + 8, 8);
          if (a != lo || b != hi) break;
        }
        return i;
      }
      default: return i;
    }
  }
  int64_t integer(int64_t i) const {
    const int64_t at = chunk_.offset + i;
    const void* data = chunk_.buffers[1];
    switch (format_[0]) {
      case 'c': return static_cast<const int8_t*>(data)[at];
      case 'C': return static_cast<const uint8_t*>(data)[at];
      case 's': return static_cast<const int16_t*>(data)[at];
      case 'S': return static_cast<const uint16_t*>(data)[at];
      case 'i': return static_cast<const int32_t*>(data)[at];
      case 'I': return static_cast<const uint32_t*>(data)[at];
      case 'l': return static_cast<const int64_t*>(data)[at];
      default: return static_cast<int64_t>(static_cast<const uint64_t*>(data)[at]);
    }
  }
  std::string_view text(int64_t i) const {
    const int64_t at = chunk_.offset + i;
    if (format_[0] == 'u') {
      const auto* offsets = static_cast<const int32_t*>(chunk_.buffers[1]);
      const auto* bytes = static_cast<const char*>(chunk_.buffers[2]);
      return {bytes + offsets[at], static_cast<size_t>(offsets[at + 1] - offsets[at])};
    }
    if (format_[0] == 'U') {
      const auto* offsets = static_cast<const int64_t*>(chunk_.buffers[1]);
      const auto* bytes = static_cast<const char*>(chunk_.buffers[2]);
      return {bytes + offsets[at], static_cast<size_t>(offsets[at + 1] - offsets[at])};
    }
    // A string view ("vu"): 16 bytes per row; the string inline when it has at most 12 bytes,
    // else a 4-byte prefix, the index of a data buffer and an offset into it.
    const auto* view = static_cast<const uint8_t*>(chunk_.buffers[1]) + 16 * at;
    int32_t length;
    std::memcpy(&length, view, 4);
    if (length <= 12) return {reinterpret_cast<const char*>(view + 4), static_cast<size_t>(length)};
    int32_t buffer, offset;
    std::memcpy(&buffer, view + 8, 4);
    std::memcpy(&offset, view + 12, 4);
    const auto* bytes = static_cast<const char*>(chunk_.buffers[2 + buffer]);
    return {bytes + offset, static_cast<size_t>(length)};
  }

 private:
  const char* format_;
  const ArrowArray& chunk_;
  const uint8_t* validity_;
};

}  // namespace

bool is_group_key_format(const ArrowSchema& schema) {
  const char* f = schema.format ? schema.format : "";
  if (schema.dictionary != nullptr) return false;
  return is_integer_format(f) || std::strcmp(f, "u") == 0 || std::strcmp(f, "U") == 0 ||
         std::strcmp(f, "vu") == 0;
}

Status read_group_runs(const ArrowSchema& schema, ArrowArray* const* chunks, size_t n_chunks,
                       const std::string& column, GroupRuns* out) {
  if (!is_group_key_format(schema)) {
    return Status::Error("the group column `" + column + "` has dtype " +
                         dtype_name(schema.format) + "; expected integer or string keys");
  }
  *out = GroupRuns{};
  // Each row is compared with the previous one; only a run's first row is looked up.
  std::unordered_map<int64_t, int64_t> integer_groups;
  std::unordered_map<std::string, int64_t> string_groups;
  int64_t null_group = -1;
  bool have_prev = false;
  bool prev_null = false;
  int64_t prev_integer = 0;
  std::string prev_text;  // owned: the previous row may sit in another chunk
  int64_t row = 0;
  for (size_t c = 0; c < n_chunks; ++c) {
    const KeyReader keys(schema, *chunks[c]);
    const bool strings = keys.is_string();
    const bool views = keys.is_view();
    const int64_t length = chunks[c]->length;
    for (int64_t i = 0; i < length; ++i, ++row) {
      if (i > 0 && have_prev && !keys.has_nulls()) {  // the rest of the current run at once
        const int64_t next = keys.skip_run(i, length);
        row += next - i;
        i = next;
        if (i == length) break;
      }
      const bool null = keys.is_null(i);
      bool same = have_prev && null == prev_null;
      int64_t integer = 0;
      std::string_view text;
      if (!null) {
        if (strings) {
          // Identical 16-byte string views hold the same string: the common case costs no
          // byte comparison (different views of equal strings fall through to one).
          if (same && views && i > 0 && keys.same_view(i, i - 1)) continue;
          text = keys.text(i);
          same = same && text == prev_text;
        } else {
          integer = keys.integer(i);
          same = same && integer == prev_integer;
        }
      }
      if (same) continue;
      int64_t group;
      bool fresh;
      if (null) {
        fresh = null_group < 0;
        if (fresh) null_group = out->n_groups;
        group = null_group;
      } else if (strings) {
        const auto found = string_groups.emplace(std::string(text), out->n_groups);
        fresh = found.second;
        group = found.first->second;
        prev_text.assign(text.data(), text.size());
      } else {
        const auto found = integer_groups.emplace(integer, out->n_groups);
        fresh = found.second;
        group = found.first->second;
        prev_integer = integer;
      }
      if (fresh) ++out->n_groups;
      out->contiguous = out->contiguous && fresh;
      out->starts.push_back(row);
      out->run_group.push_back(group);
      have_prev = true;
      prev_null = null;
    }
  }
  out->starts.push_back(row);
  return Status::Ok();
}

Status run_indicator_into(const IndicatorDef& def, const ParamValues& params,
                          const std::vector<ColumnView>& inputs, double* const* outputs) {
  Status s = check_lengths(def, inputs);
  if (!s.ok) return s;
  int64_t null_counts[kMaxOutputs];
  run_impl(def, params, inputs, outputs, nullptr, null_counts);
  return Status::Ok();
}

// --- export --------------------------------------------------------------------------------

namespace {

struct ArrayPrivate {
  std::vector<AlignedBuffer> owned;
  const void* buffers[2] = {nullptr, nullptr};
  std::vector<ArrowArray*> children;
};

void release_array(ArrowArray* array) {
  if (!array || !array->release) return;
  auto* priv = static_cast<ArrayPrivate*>(array->private_data);
  for (ArrowArray* child : priv->children) {
    if (child->release) child->release(child);
    delete child;
  }
  delete priv;  // returns the buffers to the pool
  array->release = nullptr;
}

struct SchemaPrivate {
  std::string name;
  std::string format;
  std::vector<ArrowSchema*> children;
};

void release_schema(ArrowSchema* schema) {
  if (!schema || !schema->release) return;
  auto* priv = static_cast<SchemaPrivate*>(schema->private_data);
  for (ArrowSchema* child : priv->children) {
    if (child->release) child->release(child);
    delete child;
  }
  delete priv;
  schema->release = nullptr;
}

void init_schema(const std::string& name, const char* format, ArrowSchema* out) {
  auto* priv = new SchemaPrivate{name, format, {}};
  *out = ArrowSchema{};
  out->format = priv->format.c_str();
  out->name = priv->name.c_str();
  out->metadata = nullptr;
  out->flags = ARROW_FLAG_NULLABLE;
  out->release = release_schema;
  out->private_data = priv;
}

}  // namespace

void export_float64(AlignedBuffer values, AlignedBuffer validity, int64_t length,
                    int64_t null_count, ArrowArray* out) {
  auto* priv = new ArrayPrivate;
  priv->buffers[0] = validity.empty() || null_count == 0 ? nullptr : validity.as<void>();
  priv->buffers[1] = values.as<void>();
  priv->owned.push_back(std::move(values));
  if (!validity.empty()) priv->owned.push_back(std::move(validity));
  *out = ArrowArray{};
  out->length = length;
  out->null_count = null_count;
  out->offset = 0;
  out->n_buffers = 2;
  out->n_children = 0;
  out->buffers = priv->buffers;
  out->children = nullptr;
  out->dictionary = nullptr;
  out->release = release_array;
  out->private_data = priv;
}

void export_struct(IndicatorResult&& result, ArrowArray* out) {
  auto* priv = new ArrayPrivate;
  for (size_t k = 0; k < result.values.size(); ++k) {
    auto* child = new ArrowArray;
    export_float64(std::move(result.values[k]),
                   k < result.validity.size() ? std::move(result.validity[k]) : AlignedBuffer(),
                   result.length, result.null_counts[k], child);
    priv->children.push_back(child);
  }
  *out = ArrowArray{};
  out->length = result.length;
  out->null_count = 0;
  out->offset = 0;
  out->n_buffers = 1;
  out->n_children = static_cast<int64_t>(priv->children.size());
  out->buffers = priv->buffers;  // buffers[0] == nullptr: no struct-level nulls
  out->children = priv->children.data();
  out->release = release_array;
  out->private_data = priv;
}

void export_float64_schema(const std::string& name, ArrowSchema* out) {
  init_schema(name, "g", out);
}

void export_struct_schema(const std::string& name, const std::vector<std::string>& fields,
                          ArrowSchema* out) {
  init_schema(name, "+s", out);
  auto* priv = static_cast<SchemaPrivate*>(out->private_data);
  for (const auto& field : fields) {
    auto* child = new ArrowSchema;
    init_schema(field, "g", child);
    priv->children.push_back(child);
  }
  out->n_children = static_cast<int64_t>(priv->children.size());
  out->children = priv->children.data();
}

}  // namespace nse
