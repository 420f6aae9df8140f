// numpy arrays over pooled buffers: the numpy door's outputs and the backtester's bar series.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>

#include "arrow_io.h"

namespace nse {

// A 1-D numpy array of n uninitialised T over an AlignedBuffer, which goes back to the buffer
// pool when numpy frees the array: a fresh 8 MB output costs about 3 ms of page faults.
template <typename T>
pybind11::array_t<T> pooled_array(pybind11::ssize_t n) {
  auto buffer = std::make_unique<AlignedBuffer>(static_cast<size_t>(n) * sizeof(T));
  T* data = buffer->as<T>();
  // The capsule owns the buffer once it exists (if making it throws, unique_ptr frees it).
  pybind11::capsule owner(buffer.get(), [](void* p) { delete static_cast<AlignedBuffer*>(p); });
  static_cast<void>(buffer.release());
  return pybind11::array_t<T>({n}, {static_cast<pybind11::ssize_t>(sizeof(T))}, data, owner);
}

}  // namespace nse
