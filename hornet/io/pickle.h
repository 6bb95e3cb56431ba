// Python pickle values and a decoder for protocols 0-5 that never imports or
// runs anything.
//
// A pickle is a program for a small stack machine; decoding it here builds a
// tree of `py::Value`s. Classes are only names: a GLOBAL becomes a kClass value
// and calling it (REDUCE, NEWOBJ, BUILD) makes an opaque kObject holding the
// class, its constructor arguments and its state, which can still be walked and
// printed. Hooks let the caller give meaning to chosen classes (torch's tensor
// rebuilders, OrderedDict, ...) and to persistent ids (torch's storages).
//
// Every length, offset and memo index is checked against the input, and the
// number of values is capped, so malformed input fails with py::PickleError
// instead of crashing, hanging or allocating without bound.
#pragma once

#include <c10/core/ScalarType.h>
#include <torch/types.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hornet::io::py {

/// Malformed or unsupported pickle data.
class PickleError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The input ended before the pickle's STOP opcode.
class TruncatedPickle : public PickleError {
 public:
  using PickleError::PickleError;
};

enum class Kind : uint8_t {
  kNone,
  kBool,
  kInt,     ///< fits int64 in `i`; larger ints keep their decimal digits in `s` (big_int)
  kFloat,
  kStr,
  kBytes,
  kTuple,
  kList,
  kDict,
  kSet,     ///< set and frozenset
  kClass,   ///< a global name: module + name
  kObject,  ///< an instance of a class we do not interpret
  kTensor,  ///< a tensor, lazily backed by a checkpoint storage or held in memory
};

/// Where a checkpoint tensor's data lives; materialised on demand by the file
/// that decoded it (see torch_file.h).
struct TensorRef {
  /// A whole storage (or a legacy storage view) from a persistent id, as
  /// opposed to a tensor view rebuilt over one.
  bool is_storage = false;
  std::string storage_key;
  c10::ScalarType dtype = c10::ScalarType::Float;
  int64_t storage_numel = 0;  ///< elements in the whole storage
  int64_t offset = 0;         ///< in elements
  std::vector<int64_t> sizes;
  std::vector<int64_t> strides;
  bool requires_grad = false;
  /// Number of elements of the view itself.
  int64_t numel() const;
};

class Value {
 public:
  explicit Value(Kind kind) : kind(kind) {}

  Kind kind;
  bool b = false;         ///< kBool; kSet: a frozenset
  bool big_int = false;   ///< kInt too large for int64: digits in `s`
  int64_t i = 0;          ///< kInt
  double f = 0.0;         ///< kFloat
  std::string s;          ///< kStr (UTF-8), kBytes; kClass/kObject: "module.name"
  std::vector<Value*> items;                     ///< tuple, list, set; kObject: constructor args
  std::vector<std::pair<Value*, Value*>> entries;  ///< kDict, in insertion order; kObject: set items / kwargs
  std::vector<Value*> appended;  ///< kObject: items appended to a list-like instance
  Value* state = nullptr;  ///< BUILD state (kObject, or a dict subclass's attributes)
  std::shared_ptr<TensorRef> ref;  ///< kTensor backed by a checkpoint storage
  torch::Tensor tensor;            ///< kTensor held in memory (what writers take)

  bool is(Kind k) const { return kind == k; }
  /// For kDict: the value under string key `key`, or nullptr.
  const Value* get(std::string_view key) const;
  /// For kClass/kObject: the "module.name" string.
  const std::string& class_name() const { return s; }
  /// "dict", "list", "int", "tensor", or the class name of an object.
  std::string type_name() const;
};

/// Owns the values of one decoded pickle (values may reference each other,
/// even cyclically, so they live and die together).
class Document {
 public:
  static constexpr size_t kDefaultMaxValues = 4'000'000;
  explicit Document(size_t max_values = kDefaultMaxValues) : max_values_(max_values) {}

  /// Accounts for `n` container slots copied while decoding (a set built from a
  /// list, a class called with a tuple): repeated copies of one memoised list
  /// would otherwise grow quadratically with the input. Throws PickleError
  /// past 4 x max_values slots.
  void charge(size_t n);
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;

  Value* make(Kind kind);
  Value* make_none() { return make(Kind::kNone); }
  Value* make_bool(bool v);
  Value* make_int(int64_t v);
  Value* make_float(double v);
  Value* make_str(std::string v);
  Value* make_bytes(std::string v);
  Value* make_tensor(torch::Tensor v);
  Value* make_dict() { return make(Kind::kDict); }
  Value* make_list(std::vector<Value*> items = {});
  Value* make_tuple(std::vector<Value*> items = {});
  /// Appends `key: value` to dict `dict` (a str key) and returns `dict`.
  Value* set(Value* dict, std::string key, Value* value);
  size_t size() const { return values_.size(); }
  /// Every value the document owns, in creation order.
  std::deque<Value>& values() { return values_; }
  /// Drops every value (pointers into the document become invalid).
  void clear() {
    values_.clear();
    root = nullptr;
  }

  Value* root = nullptr;

 private:
  size_t max_values_;
  size_t charged_ = 0;
  std::deque<Value> values_;
};

/// Gives meaning to classes and persistent ids while decoding.
struct DecodeHooks {
  /// Called for PERSID/BINPERSID with the id value; must return a value.
  /// Without it, persistent ids are a PickleError.
  std::function<Value*(Document&, Value* pid)> persistent_load;
  /// Called when a class is called (REDUCE, NEWOBJ) with its arguments tuple;
  /// returns the result, or nullptr to keep an opaque kObject.
  std::function<Value*(Document&, const std::string& class_name, Value* args)> call;
};

/// Decodes one pickle from `data`, stores the result in `doc.root` and
/// returns the number of bytes consumed (up to and including STOP).
/// Collections.OrderedDict/defaultdict become dicts, builtins.set/frozenset
/// sets, _codecs.encode and bytearray bytes, before `hooks.call` is asked.
size_t decode(std::string_view data, Document& doc, const DecodeHooks& hooks = {});

/// Maximum nesting depth that tree walkers (printing, writing) accept.
constexpr int kMaxDepth = 1000;

/// A readable, indented rendering of `value` for inspection: dict keys,
/// tensor shapes and dtypes, object class names; long containers elided,
/// and the whole cut at 1 MiB (values shared through the memo repeat).
std::string describe(const Value& value, int max_items = 20);

}  // namespace hornet::io::py
