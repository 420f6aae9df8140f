#include "params.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace nse {
namespace {

// Shortest decimal text that reads back to the same double, as Python's repr does.
std::string format_real(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::string s(buf);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

// Length of the well-formed UTF-8 sequence at text[i] (RFC 3629: no overlong forms, no
// surrogates, nothing past U+10FFFF), or 0 if it is not one.
size_t utf8_sequence(const std::string& text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // the allowed range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (i + len > text.size() || byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  }
  return len;
}

// Text for an error message: control characters and bytes that are not well-formed UTF-8 (a
// lone surrogate) as \xNN. A NUL would cut the message where it crosses a C string, and
// Polars shows malformed bytes as U+FFFD.
std::string printable(const std::string& text) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const size_t len = c < 0x80 ? (c < 0x20 || c == 0x7f ? 0 : 1) : utf8_sequence(text, i);
    if (len == 0) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
      ++i;
    } else {
      out.append(text, i, len);
      i += len;
    }
  }
  return out;
}

std::string describe(const KwargValue& v) {
  switch (v.type) {
    case KwargValue::Type::None: return "None";
    case KwargValue::Type::Bool: return v.int_value ? "True" : "False";
    case KwargValue::Type::Int:
      return v.int_overflow ? std::string("an integer outside the 64-bit range")
                            : std::to_string(v.int_value);
    case KwargValue::Type::Float: return format_real(v.float_value);
    case KwargValue::Type::Str: return "'" + printable(v.str_value) + "'";
    case KwargValue::Type::Unsupported: break;
  }
  return "a value of an unsupported type";
}

std::string format_bound(const ParamSpec& spec, double bound) {
  return spec.kind == ParamKind::Integer ? std::to_string(static_cast<int64_t>(bound))
                                         : format_real(bound);
}

std::vector<std::string> split_choices(const char* choices) {
  std::vector<std::string> out;
  std::string current;
  for (const char* c = choices; *c; ++c) {
    if (*c == '|') {
      out.push_back(current);
      current.clear();
    } else {
      current += *c;
    }
  }
  out.push_back(current);
  return out;
}

Status check_one(const IndicatorDef& def, const ParamSpec& spec, const KwargValue& v,
                 double* out) {
  const std::string who = "`" + std::string(spec.name) + "`";
  const std::string what = " (in `" + std::string(def.name) + "`)";
  if (spec.kind == ParamKind::Choice) {
    const auto choices = split_choices(spec.choices);
    if (v.type == KwargValue::Type::Str) {
      for (size_t i = 0; i < choices.size(); ++i) {
        if (choices[i] == v.str_value) {
          *out = static_cast<double>(i);
          return Status::Ok();
        }
      }
    }
    std::string list;
    for (const auto& c : choices) list += (list.empty() ? "'" : ", '") + c + "'";
    return Status::Error(who + " must be one of " + list + ", got " + describe(v) + what);
  }
  double value = 0.0;
  if (spec.kind == ParamKind::Integer) {
    if (v.type != KwargValue::Type::Int || v.int_overflow) {
      return Status::Error(who + " must be an integer, got " + describe(v) + what);
    }
    value = static_cast<double>(v.int_value);
    if (v.int_value < static_cast<int64_t>(spec.min_value) ||
        v.int_value > static_cast<int64_t>(spec.max_value)) {
      return Status::Error(who + " must be an integer in [" + format_bound(spec, spec.min_value) +
                           ", " + format_bound(spec, spec.max_value) + "], got " + describe(v) +
                           what);
    }
  } else {
    if (v.type == KwargValue::Type::Int && !v.int_overflow) {
      value = static_cast<double>(v.int_value);
    } else if (v.type == KwargValue::Type::Float) {
      value = v.float_value;
    } else {
      return Status::Error(who + " must be a number, got " + describe(v) + what);
    }
    const bool below = spec.min_exclusive ? !(value > spec.min_value) : !(value >= spec.min_value);
    if (!std::isfinite(value) || below || value > spec.max_value) {
      const std::string lo = spec.min_exclusive ? "> " : ">= ";
      return Status::Error(who + " must be a finite number " + lo +
                           format_bound(spec, spec.min_value) + " and <= " +
                           format_bound(spec, spec.max_value) + ", got " + describe(v) + what);
    }
  }
  *out = value;
  return Status::Ok();
}

// --- pickle protocol 2..5, restricted to what a flat dict of scalars produces -------------

class PickleReader {
 public:
  PickleReader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}

  Status read(Kwargs* out) {
    bool have_dict = false;
    std::vector<size_t> marks;
    while (p_ < end_) {
      const uint8_t op = *p_++;
      KwargValue v;
      switch (op) {
        case 0x80: if (!skip(1)) return truncated(); break;        // PROTO
        case 0x95: if (!skip(8)) return truncated(); break;        // FRAME
        case 0x94: memo_.push_back(stack_.empty() ? KwargValue{} : stack_.back()); break;
        case '}': have_dict = true; break;                         // EMPTY_DICT
        case '(': marks.push_back(stack_.size()); break;           // MARK
        case 'N': stack_.emplace_back(); break;                    // NONE
        case 0x88: case 0x89:                                      // NEWTRUE / NEWFALSE
          v.type = KwargValue::Type::Bool;
          v.int_value = op == 0x88;
          stack_.push_back(v);
          break;
        case 'K': { uint64_t x; if (!le(1, &x)) return truncated(); push_int(static_cast<int64_t>(x)); break; }
        case 'M': { uint64_t x; if (!le(2, &x)) return truncated(); push_int(static_cast<int64_t>(x)); break; }
        case 'J': { uint64_t x; if (!le(4, &x)) return truncated();
                    push_int(static_cast<int32_t>(static_cast<uint32_t>(x))); break; }
        case 0x8a: {                                               // LONG1
          if (p_ >= end_) return truncated();
          const size_t n = *p_++;
          if (static_cast<size_t>(end_ - p_) < n) return truncated();
          push_long(p_, n);
          p_ += n;
          break;
        }
        case 'G': {                                                // BINFLOAT, big-endian
          if (end_ - p_ < 8) return truncated();
          uint64_t bits = 0;
          for (int i = 0; i < 8; ++i) bits = (bits << 8) | p_[i];
          p_ += 8;
          v.type = KwargValue::Type::Float;
          std::memcpy(&v.float_value, &bits, sizeof bits);
          stack_.push_back(v);
          break;
        }
        case 0x8c: { uint64_t n; if (!le(1, &n)) return truncated(); if (!push_str(n)) return truncated(); break; }
        case 'X': { uint64_t n; if (!le(4, &n)) return truncated(); if (!push_str(n)) return truncated(); break; }
        case 0x8d: { uint64_t n; if (!le(8, &n)) return truncated(); if (!push_str(n)) return truncated(); break; }
        case 'h': case 'j': {                                      // BINGET / LONG_BINGET
          uint64_t i;
          if (!le(op == 'h' ? 1 : 4, &i)) return truncated();
          if (i >= memo_.size()) return Status::Error("kwargs: bad memo reference");
          stack_.push_back(memo_[i]);
          break;
        }
        case 's': {                                                // SETITEM
          if (stack_.size() < 2) return Status::Error("kwargs: malformed pickle");
          set_items(stack_.size() - 2, out);
          break;
        }
        case 'u': {                                                // SETITEMS
          if (marks.empty()) return Status::Error("kwargs: malformed pickle");
          const size_t mark = marks.back();
          marks.pop_back();
          if ((stack_.size() - mark) % 2 != 0) return Status::Error("kwargs: malformed pickle");
          set_items(mark, out);
          break;
        }
        case '.':                                                  // STOP
          if (!have_dict) return Status::Error("kwargs: expected a pickled dict");
          return Status::Ok();
        default: {
          // Any other opcode means a value type the parameters never use (list, tuple, ...).
          // The keyword names are still worth reporting, so fail with the opcode.
          char buf[64];
          std::snprintf(buf, sizeof buf, "kwargs: unsupported pickle opcode 0x%02x", op);
          return Status::Error(buf);
        }
      }
    }
    return truncated();
  }

 private:
  static Status truncated() { return Status::Error("kwargs: truncated pickle"); }
  bool skip(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    p_ += n;
    return true;
  }
  bool le(size_t n, uint64_t* x) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    *x = 0;
    for (size_t i = 0; i < n; ++i) *x |= static_cast<uint64_t>(p_[i]) << (8 * i);
    p_ += n;
    return true;
  }
  void push_int(int64_t x) {
    KwargValue v;
    v.type = KwargValue::Type::Int;
    v.int_value = x;
    stack_.push_back(v);
  }
  // LONG1: little-endian two's complement of n bytes.
  void push_long(const uint8_t* bytes, size_t n) {
    KwargValue v;
    v.type = KwargValue::Type::Int;
    if (n > 8) {
      // Fits in int64 only if the extra bytes are pure sign extension.
      const uint8_t sign = (bytes[n - 1] & 0x80) ? 0xff : 0x00;
      bool fits = (bytes[7] & 0x80) == (sign & 0x80);
      for (size_t i = 8; i < n; ++i) fits = fits && bytes[i] == sign;
      if (!fits) {
        v.int_overflow = true;
        stack_.push_back(v);
        return;
      }
      n = 8;
    }
    uint64_t x = 0;
    for (size_t i = 0; i < n; ++i) x |= static_cast<uint64_t>(bytes[i]) << (8 * i);
    if (n > 0 && n < 8 && (bytes[n - 1] & 0x80)) x |= ~uint64_t{0} << (8 * n);
    v.int_value = static_cast<int64_t>(x);
    stack_.push_back(v);
  }
  bool push_str(uint64_t n) {
    if (static_cast<uint64_t>(end_ - p_) < n) return false;
    KwargValue v;
    v.type = KwargValue::Type::Str;
    v.str_value.assign(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
    p_ += n;
    stack_.push_back(v);
    return true;
  }
  void set_items(size_t from, Kwargs* out) {
    for (size_t i = from; i + 1 < stack_.size(); i += 2) {
      const KwargValue& key = stack_[i];
      out->emplace_back(key.type == KwargValue::Type::Str ? key.str_value : std::string("?"),
                        stack_[i + 1]);
    }
    stack_.resize(from);
  }

  const uint8_t* p_;
  const uint8_t* end_;
  std::vector<KwargValue> stack_;
  std::vector<KwargValue> memo_;
};

}  // namespace

Status parse_pickled_kwargs(const uint8_t* data, size_t size, Kwargs* out) {
  out->clear();
  if (size == 0) return Status::Ok();  // Polars sends no bytes for an empty kwargs dict.
  return PickleReader(data, size).read(out);
}

std::string choice_name(const ParamSpec& spec, int64_t index) {
  const auto choices = split_choices(spec.choices);
  return index >= 0 && static_cast<size_t>(index) < choices.size()
             ? choices[static_cast<size_t>(index)]
             : std::string();
}

Status parse_params(const IndicatorDef& def, const Kwargs& kwargs, ParamValues* out) {
  std::array<bool, kMaxParams> seen{};
  for (int i = 0; i < def.n_params; ++i) out->values[static_cast<size_t>(i)] = def.params[i].default_value;
  for (const auto& [key, value] : kwargs) {
    int index = -1;
    for (int i = 0; i < def.n_params; ++i) {
      if (key == def.params[i].name) index = i;
    }
    if (index < 0) {
      std::string names;
      for (int i = 0; i < def.n_params; ++i) names += (i ? ", `" : "`") + std::string(def.params[i].name) + "`";
      return Status::Error("unknown parameter `" + printable(key) + "` for `" + def.name +
                           "`; expected " + (names.empty() ? std::string("none") : names));
    }
    if (seen[static_cast<size_t>(index)]) {
      return Status::Error("parameter `" + printable(key) + "` given twice for `" + def.name + "`");
    }
    seen[static_cast<size_t>(index)] = true;
    Status s = check_one(def, def.params[index], value, &out->values[static_cast<size_t>(index)]);
    if (!s.ok) return s;
  }
  return def.check ? def.check(*out) : Status::Ok();
}

}  // namespace nse
