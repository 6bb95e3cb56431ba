// Pickle decoding (opcode semantics from CPython's pickle.py / pickletools
// documentation, protocols 0-5) into py::Values, and their description.
#include "hornet/io/pickle.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <limits>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace hornet::io::py {

int64_t TensorRef::numel() const {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  return n;
}

const Value* Value::get(std::string_view key) const {
  if (kind != Kind::kDict) return nullptr;
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    if (it->first->kind == Kind::kStr && it->first->s == key) return it->second;
  }
  return nullptr;
}

std::string Value::type_name() const {
  switch (kind) {
    case Kind::kNone: return "None";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float";
    case Kind::kStr: return "str";
    case Kind::kBytes: return "bytes";
    case Kind::kTuple: return "tuple";
    case Kind::kList: return "list";
    case Kind::kDict: return "dict";
    case Kind::kSet: return b ? "frozenset" : "set";
    case Kind::kClass: return "class " + s;
    case Kind::kObject: return s;
    case Kind::kTensor: return "tensor";
  }
  return "?";
}

Value* Document::make(Kind kind) {
  if (values_.size() >= max_values_) {
    throw PickleError("pickle creates more than " + std::to_string(max_values_) +
                      " objects; refusing to continue");
  }
  values_.emplace_back(kind);
  return &values_.back();
}

void Document::charge(size_t n) {
  charged_ += n;
  if (charged_ > 4 * max_values_) {
    throw PickleError("pickle copies more than " + std::to_string(4 * max_values_) +
                      " container entries; refusing to continue");
  }
}

Value* Document::make_int(int64_t v) {
  Value* out = make(Kind::kInt);
  out->i = v;
  return out;
}

Value* Document::make_str(std::string v) {
  Value* out = make(Kind::kStr);
  out->s = std::move(v);
  return out;
}

Value* Document::make_bool(bool v) {
  Value* out = make(Kind::kBool);
  out->b = v;
  return out;
}

Value* Document::make_float(double v) {
  Value* out = make(Kind::kFloat);
  out->f = v;
  return out;
}

Value* Document::make_bytes(std::string v) {
  Value* out = make(Kind::kBytes);
  out->s = std::move(v);
  return out;
}

Value* Document::make_tensor(torch::Tensor v) {
  Value* out = make(Kind::kTensor);
  out->tensor = std::move(v);
  return out;
}

Value* Document::make_list(std::vector<Value*> items) {
  Value* out = make(Kind::kList);
  out->items = std::move(items);
  return out;
}

Value* Document::make_tuple(std::vector<Value*> items) {
  Value* out = make(Kind::kTuple);
  out->items = std::move(items);
  return out;
}

Value* Document::set(Value* dict, std::string key, Value* value) {
  if (dict->kind != Kind::kDict) throw PickleError("Document::set on a " + dict->type_name());
  dict->entries.emplace_back(make_str(std::move(key)), value);
  return dict;
}

namespace {

// Opcodes, named as in pickletools.
enum Op : uint8_t {
  MARK = '(', STOP = '.', POP = '0', POP_MARK = '1', DUP = '2', FLOAT = 'F', INT = 'I',
  BININT = 'J', BININT1 = 'K', LONG = 'L', BININT2 = 'M', NONE = 'N', PERSID = 'P',
  BINPERSID = 'Q', REDUCE = 'R', STRING = 'S', BINSTRING = 'T', SHORT_BINSTRING = 'U',
  UNICODE = 'V', BINUNICODE = 'X', APPEND = 'a', BUILD = 'b', GLOBAL = 'c', DICT = 'd',
  EMPTY_DICT = '}', APPENDS = 'e', GET = 'g', BINGET = 'h', INST = 'i', LONG_BINGET = 'j',
  LIST = 'l', EMPTY_LIST = ']', OBJ = 'o', PUT = 'p', BINPUT = 'q', LONG_BINPUT = 'r',
  SETITEM = 's', TUPLE = 't', EMPTY_TUPLE = ')', SETITEMS = 'u', BINFLOAT = 'G',
  PROTO = 0x80, NEWOBJ = 0x81, EXT1 = 0x82, EXT2 = 0x83, EXT4 = 0x84, TUPLE1 = 0x85,
  TUPLE2 = 0x86, TUPLE3 = 0x87, NEWTRUE = 0x88, NEWFALSE = 0x89, LONG1 = 0x8a, LONG4 = 0x8b,
  BINBYTES = 'B', SHORT_BINBYTES = 'C', SHORT_BINUNICODE = 0x8c, BINUNICODE8 = 0x8d,
  BINBYTES8 = 0x8e, EMPTY_SET = 0x8f, ADDITEMS = 0x90, FROZENSET = 0x91, NEWOBJ_EX = 0x92,
  STACK_GLOBAL = 0x93, MEMOIZE = 0x94, FRAME = 0x95, BYTEARRAY8 = 0x96, NEXT_BUFFER = 0x97,
  READONLY_BUFFER = 0x98,
};

// Integers beyond this many bytes (or decimal digits) are refused: torch files
// never hold them, and converting them costs time quadratic in their length.
constexpr size_t kMaxBigIntBytes = 4096;
constexpr size_t kMaxBigIntDigits = 10000;

// Little-endian two's complement bytes -> decimal digits (for ints beyond int64).
std::string bytes_to_decimal(std::string_view le) {
  std::vector<uint8_t> mag(le.begin(), le.end());
  const bool negative = !mag.empty() && (mag.back() & 0x80);
  if (negative) {  // magnitude = ~x + 1
    for (auto& b : mag) b = static_cast<uint8_t>(~b);
    for (auto& b : mag) {
      if (++b != 0) break;
    }
  }
  std::string digits;
  while (std::any_of(mag.begin(), mag.end(), [](uint8_t b) { return b != 0; })) {
    unsigned rem = 0;
    for (size_t k = mag.size(); k-- > 0;) {
      const unsigned cur = (rem << 8) | mag[k];
      mag[k] = static_cast<uint8_t>(cur / 10);
      rem = cur % 10;
    }
    digits.push_back(static_cast<char>('0' + rem));
  }
  if (digits.empty()) digits = "0";
  if (negative) digits.push_back('-');
  std::reverse(digits.begin(), digits.end());
  return digits;
}

// UTF-8 -> code points, each required to be < 256 (latin-1), as bytes.
std::string utf8_to_latin1(const std::string& text) {
  std::string out;
  for (size_t k = 0; k < text.size();) {
    const auto c = static_cast<unsigned char>(text[k]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      k += 1;
    } else if ((c & 0xe0) == 0xc0 && k + 1 < text.size()) {
      const unsigned cp = ((c & 0x1f) << 6) | (static_cast<unsigned char>(text[k + 1]) & 0x3f);
      if (cp > 0xff) throw PickleError("_codecs.encode: character beyond latin-1");
      out.push_back(static_cast<char>(cp));
      k += 2;
    } else {
      throw PickleError("_codecs.encode: character beyond latin-1");
    }
  }
  return out;
}

class Decoder {
 public:
  Decoder(std::string_view data, Document& doc, const DecodeHooks& hooks)
      : data_(data), doc_(doc), hooks_(hooks) {}

  size_t run();

 private:
  [[noreturn]] void fail(const std::string& what) const {
    std::ostringstream os;
    os << "pickle: " << what << " (opcode 0x" << std::hex << static_cast<int>(op_) << std::dec
       << " at byte " << op_pos_ << ")";
    throw PickleError(os.str());
  }
  void need(size_t n) const {
    if (n > data_.size() - pos_) {
      throw TruncatedPickle("pickle: data ends inside an opcode at byte " + std::to_string(op_pos_) +
                            " (needs " + std::to_string(n) + " more bytes, " +
                            std::to_string(data_.size() - pos_) + " left)");
    }
  }
  std::string_view take(size_t n) {
    need(n);
    const auto out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  uint64_t read_le(size_t n) {
    const auto b = take(n);
    uint64_t v = 0;
    for (size_t k = n; k-- > 0;) v = (v << 8) | static_cast<uint8_t>(b[k]);
    return v;
  }
  std::string_view readline() {
    const auto nl = data_.find('\n', pos_);
    if (nl == std::string_view::npos) {
      throw TruncatedPickle("pickle: data ends inside a text line at byte " + std::to_string(op_pos_));
    }
    const auto out = data_.substr(pos_, nl - pos_);
    pos_ = nl + 1;
    return out;
  }
  size_t length(uint64_t n) {
    // Claimed lengths must fit in what is left, so nothing huge is allocated.
    if (n > data_.size() - pos_) need(static_cast<size_t>(std::min<uint64_t>(n, SIZE_MAX)));
    return static_cast<size_t>(n);
  }

  void push(Value* v) { stack_.push_back(v); }
  Value* pop() {
    if (stack_.size() <= floor()) fail("stack underflow");
    Value* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  Value* top() {
    if (stack_.size() <= floor()) fail("stack underflow");
    return stack_.back();
  }
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  std::vector<Value*> pop_mark() {
    if (marks_.empty()) fail("no MARK on the stack");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<Value*> out(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return out;
  }
  void memo_put(uint64_t index) {
    if (stack_.size() <= floor()) fail("memo store with an empty stack");
    memo_[index] = stack_.back();
  }
  Value* memo_get(uint64_t index) {
    const auto it = memo_.find(index);
    if (it == memo_.end()) fail("memo reference " + std::to_string(index) + " is out of range");
    return it->second;
  }

  Value* make_int_text(std::string_view text);
  Value* make_long_bytes(std::string_view le);
  Value* make_global(const std::string& module, const std::string& name);
  Value* call(Value* callable, Value* args);
  void set_items(Value* target, const std::vector<Value*>& kv);
  void append_items(Value* target, const std::vector<Value*>& items);
  std::string unquote(std::string_view text);

  std::string_view data_;
  Document& doc_;
  const DecodeHooks& hooks_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  uint8_t op_ = 0;
  std::vector<Value*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Value*> memo_;
};

Value* Decoder::make_int_text(std::string_view text) {
  while (!text.empty() && (text.back() == 'L' || text.back() == ' ' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  if (text.empty()) fail("empty integer literal");
  const bool neg = text[0] == '-';
  const std::string_view digits = (neg || text[0] == '+') ? text.substr(1) : text;
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    fail("malformed integer literal '" + std::string(text.substr(0, 40)) + "'");
  }
  if (digits.size() > kMaxBigIntDigits) fail("integer literal of " + std::to_string(digits.size()) + " digits is too large");
  // Up to 18 digits always fit int64.
  if (digits.size() <= 18) return doc_.make_int(std::stoll(std::string(text)));
  Value* v = doc_.make(Kind::kInt);
  v->big_int = true;
  v->s = std::string(text);
  return v;
}

Value* Decoder::make_long_bytes(std::string_view le) {
  if (le.empty()) return doc_.make_int(0);
  if (le.size() > kMaxBigIntBytes) fail("integer of " + std::to_string(le.size()) + " bytes is too large");
  if (le.size() <= 8) {
    uint64_t u = 0;
    for (size_t k = le.size(); k-- > 0;) u = (u << 8) | static_cast<uint8_t>(le[k]);
    if (le.size() < 8 && (static_cast<uint8_t>(le.back()) & 0x80)) u |= ~uint64_t{0} << (8 * le.size());
    return doc_.make_int(static_cast<int64_t>(u));
  }
  Value* v = doc_.make(Kind::kInt);
  v->big_int = true;
  v->s = bytes_to_decimal(le);
  // A long encoding of a value that still fits int64 is just an int.
  if (v->s.size() <= 18) {
    v->big_int = false;
    v->i = std::stoll(v->s);
    v->s.clear();
  }
  return v;
}

Value* Decoder::make_global(const std::string& module, const std::string& name) {
  Value* cls = doc_.make(Kind::kClass);
  cls->s = module + "." + name;
  return cls;
}

Value* Decoder::call(Value* callable, Value* args) {
  if (callable->kind != Kind::kClass) fail("call of a non-class value (" + callable->type_name() + ")");
  if (args->kind != Kind::kTuple) fail("call arguments are not a tuple");
  const std::string& name = callable->s;
  const auto& a = args->items;
  if (name == "collections.OrderedDict" || name == "collections.defaultdict" || name == "builtins.dict" ||
      name == "__builtin__.dict") {
    Value* d = doc_.make(Kind::kDict);
    if (name != "collections.defaultdict" && a.size() == 1 && a[0]->kind == Kind::kList) {
      doc_.charge(a[0]->items.size());
      for (Value* pair : a[0]->items) {
        if ((pair->kind == Kind::kTuple || pair->kind == Kind::kList) && pair->items.size() == 2) {
          d->entries.emplace_back(pair->items[0], pair->items[1]);
        }
      }
    }
    return d;
  }
  if (name == "builtins.set" || name == "builtins.frozenset" || name == "__builtin__.set" ||
      name == "__builtin__.frozenset") {
    Value* s = doc_.make(Kind::kSet);
    s->b = name.find("frozenset") != std::string::npos;
    if (!a.empty() && (a[0]->kind == Kind::kList || a[0]->kind == Kind::kTuple)) {
      doc_.charge(a[0]->items.size());
      s->items = a[0]->items;
    }
    return s;
  }
  if (name == "_codecs.encode" && a.size() >= 1 && a[0]->kind == Kind::kStr) {
    Value* b = doc_.make(Kind::kBytes);
    b->s = utf8_to_latin1(a[0]->s);
    return b;
  }
  if ((name == "builtins.bytearray" || name == "__builtin__.bytearray" || name == "builtins.bytes" ||
       name == "__builtin__.bytes")) {
    Value* b = doc_.make(Kind::kBytes);
    if (!a.empty() && a[0]->kind == Kind::kBytes) b->s = a[0]->s;
    if (!a.empty() && a[0]->kind == Kind::kStr) b->s = utf8_to_latin1(a[0]->s);
    return b;
  }
  if (hooks_.call) {
    if (Value* out = hooks_.call(doc_, name, args)) return out;
  }
  Value* obj = doc_.make(Kind::kObject);
  obj->s = name;
  doc_.charge(a.size());
  obj->items = a;
  return obj;
}

void Decoder::set_items(Value* target, const std::vector<Value*>& kv) {
  if (kv.size() % 2 != 0) fail("odd number of items for a dict");
  if (target->kind != Kind::kDict && target->kind != Kind::kObject) {
    fail("SETITEM on a " + target->type_name());
  }
  // Duplicate keys are kept; lookups take the last one, as Python's dict would.
  for (size_t k = 0; k < kv.size(); k += 2) target->entries.emplace_back(kv[k], kv[k + 1]);
}

void Decoder::append_items(Value* target, const std::vector<Value*>& items) {
  if (target->kind == Kind::kList) {
    target->items.insert(target->items.end(), items.begin(), items.end());
  } else if (target->kind == Kind::kObject) {
    target->appended.insert(target->appended.end(), items.begin(), items.end());
  } else {
    fail("APPEND to a " + target->type_name());
  }
}

std::string Decoder::unquote(std::string_view text) {
  if (text.size() < 2 || (text.front() != '\'' && text.front() != '"') || text.back() != text.front()) {
    fail("malformed STRING literal");
  }
  text = text.substr(1, text.size() - 2);
  std::string out;
  for (size_t k = 0; k < text.size(); ++k) {
    if (text[k] != '\\' || k + 1 >= text.size()) {
      out.push_back(text[k]);
      continue;
    }
    const char e = text[++k];
    if (e == 'n') out.push_back('\n');
    else if (e == 't') out.push_back('\t');
    else if (e == 'r') out.push_back('\r');
    else if (e == 'x' && k + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[k + 1])) &&
             std::isxdigit(static_cast<unsigned char>(text[k + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(k + 1, 2)), nullptr, 16)));
      k += 2;
    } else out.push_back(e);
  }
  return out;
}

size_t Decoder::run() {
  while (true) {
    op_pos_ = pos_;
    op_ = static_cast<uint8_t>(take(1)[0]);
    switch (op_) {
      case PROTO: {
        const auto proto = static_cast<uint8_t>(take(1)[0]);
        if (proto > 5) fail("unsupported pickle protocol " + std::to_string(proto));
        break;
      }
      case FRAME: take(8); break;  // frames only group opcodes; the data is contiguous
      case STOP: {
        if (stack_.size() != 1 || !marks_.empty()) fail("STOP with " + std::to_string(stack_.size()) + " values on the stack");
        doc_.root = stack_.back();
        return pos_;
      }
      case MARK: marks_.push_back(stack_.size()); break;
      case POP:
        if (stack_.size() > floor()) {
          stack_.pop_back();
        } else {
          pop_mark();  // POP of a bare mark
        }
        break;
      case POP_MARK: pop_mark(); break;
      case DUP: push(top()); break;
      case NONE: push(doc_.make(Kind::kNone)); break;
      case NEWTRUE:
      case NEWFALSE: {
        Value* v = doc_.make(Kind::kBool);
        v->b = op_ == NEWTRUE;
        push(v);
        break;
      }
      case INT: {
        const auto text = readline();
        if (text == "01" || text == "00") {
          Value* v = doc_.make(Kind::kBool);
          v->b = text == "01";
          push(v);
        } else {
          push(make_int_text(text));
        }
        break;
      }
      case LONG: push(make_int_text(readline())); break;
      case BININT: push(doc_.make_int(static_cast<int32_t>(read_le(4)))); break;
      case BININT1: push(doc_.make_int(static_cast<int64_t>(read_le(1)))); break;
      case BININT2: push(doc_.make_int(static_cast<int64_t>(read_le(2)))); break;
      case LONG1: push(make_long_bytes(take(length(read_le(1))))); break;
      case LONG4: {
        const auto n = static_cast<int32_t>(read_le(4));
        if (n < 0) fail("negative LONG4 length");
        push(make_long_bytes(take(length(static_cast<uint64_t>(n)))));
        break;
      }
      case FLOAT: {
        Value* v = doc_.make(Kind::kFloat);
        const std::string text(readline());
        try {
          v->f = std::stod(text);
        } catch (const std::exception&) {
          fail("malformed float literal '" + text + "'");
        }
        push(v);
        break;
      }
      case BINFLOAT: {
        const auto b = take(8);
        uint64_t u = 0;
        for (size_t k = 0; k < 8; ++k) u = (u << 8) | static_cast<uint8_t>(b[k]);  // big-endian
        Value* v = doc_.make(Kind::kFloat);
        std::memcpy(&v->f, &u, 8);
        push(v);
        break;
      }
      case BINUNICODE: push(doc_.make_str(std::string(take(length(read_le(4)))))); break;
      case SHORT_BINUNICODE: push(doc_.make_str(std::string(take(length(read_le(1)))))); break;
      case BINUNICODE8: push(doc_.make_str(std::string(take(length(read_le(8)))))); break;
      case UNICODE: push(doc_.make_str(std::string(readline()))); break;
      case STRING:
      case BINSTRING:
      case SHORT_BINSTRING: {
        // Python 2 str: bytes, decoded as latin-1/ASCII text by Python 3's default.
        std::string raw;
        if (op_ == STRING) {
          raw = unquote(readline());
        } else {
          const auto n = op_ == BINSTRING ? static_cast<int32_t>(read_le(4)) : static_cast<int32_t>(read_le(1));
          if (n < 0) fail("negative string length");
          raw = std::string(take(length(static_cast<uint64_t>(n))));
        }
        push(doc_.make_str(std::move(raw)));
        break;
      }
      case BINBYTES:
      case SHORT_BINBYTES:
      case BINBYTES8:
      case BYTEARRAY8: {
        const uint64_t n = op_ == SHORT_BINBYTES ? read_le(1) : op_ == BINBYTES ? read_le(4) : read_le(8);
        Value* v = doc_.make(Kind::kBytes);
        v->s = std::string(take(length(n)));
        push(v);
        break;
      }
      case EMPTY_TUPLE: push(doc_.make(Kind::kTuple)); break;
      case TUPLE1:
      case TUPLE2:
      case TUPLE3: {
        const size_t n = op_ - TUPLE1 + 1;
        if (stack_.size() < floor() + n) fail("stack underflow");
        Value* t = doc_.make(Kind::kTuple);
        t->items.assign(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
        stack_.resize(stack_.size() - n);
        push(t);
        break;
      }
      case TUPLE: {
        Value* t = doc_.make(Kind::kTuple);
        t->items = pop_mark();
        push(t);
        break;
      }
      case EMPTY_LIST: push(doc_.make(Kind::kList)); break;
      case LIST: {
        Value* l = doc_.make(Kind::kList);
        l->items = pop_mark();
        push(l);
        break;
      }
      case APPEND: {
        Value* item = pop();
        append_items(top(), {item});
        break;
      }
      case APPENDS: {
        auto items = pop_mark();
        append_items(top(), items);
        break;
      }
      case EMPTY_DICT: push(doc_.make(Kind::kDict)); break;
      case DICT: {
        Value* d = doc_.make(Kind::kDict);
        set_items(d, pop_mark());
        push(d);
        break;
      }
      case SETITEM: {
        Value* value = pop();
        Value* key = pop();
        set_items(top(), {key, value});
        break;
      }
      case SETITEMS: {
        auto kv = pop_mark();
        set_items(top(), kv);
        break;
      }
      case EMPTY_SET: push(doc_.make(Kind::kSet)); break;
      case ADDITEMS: {
        auto items = pop_mark();
        Value* s = top();
        if (s->kind != Kind::kSet) fail("ADDITEMS on a " + s->type_name());
        s->items.insert(s->items.end(), items.begin(), items.end());
        break;
      }
      case FROZENSET: {
        Value* s = doc_.make(Kind::kSet);
        s->b = true;
        s->items = pop_mark();
        push(s);
        break;
      }
      case GLOBAL: {
        const std::string module(readline());
        const std::string name(readline());
        push(make_global(module, name));
        break;
      }
      case STACK_GLOBAL: {
        Value* name = pop();
        Value* module = pop();
        if (name->kind != Kind::kStr || module->kind != Kind::kStr) fail("STACK_GLOBAL needs two strings");
        push(make_global(module->s, name->s));
        break;
      }
      case REDUCE: {
        Value* args = pop();
        Value* callable = pop();
        push(call(callable, args));
        break;
      }
      case NEWOBJ: {
        Value* args = pop();
        Value* cls = pop();
        push(call(cls, args));
        break;
      }
      case NEWOBJ_EX: {
        Value* kwargs = pop();
        Value* args = pop();
        Value* cls = pop();
        Value* obj = call(cls, args);
        if (kwargs->kind == Kind::kDict && !kwargs->entries.empty() && obj->kind == Kind::kObject) {
          doc_.charge(kwargs->entries.size());
          obj->entries.insert(obj->entries.end(), kwargs->entries.begin(), kwargs->entries.end());
        }
        push(obj);
        break;
      }
      case INST: {
        const std::string module(readline());
        const std::string name(readline());
        Value* args = doc_.make(Kind::kTuple);
        args->items = pop_mark();
        push(call(make_global(module, name), args));
        break;
      }
      case OBJ: {
        auto items = pop_mark();
        if (items.empty()) fail("OBJ without a class");
        Value* args = doc_.make(Kind::kTuple);
        args->items.assign(items.begin() + 1, items.end());
        push(call(items[0], args));
        break;
      }
      case BUILD: {
        Value* state = pop();
        Value* obj = top();
        // Dicts (OrderedDict state dicts carry `_metadata`) and objects keep
        // their state for inspection; tensors and others ignore it.
        obj->state = state;
        break;
      }
      case PUT: {
        const auto text = readline();
        const auto v = make_int_text(text);
        if (v->big_int || v->i < 0) fail("bad memo index");
        memo_put(static_cast<uint64_t>(v->i));
        break;
      }
      case BINPUT: memo_put(read_le(1)); break;
      case LONG_BINPUT: memo_put(read_le(4)); break;
      case MEMOIZE: memo_put(memo_.size()); break;
      case GET: {
        const auto v = make_int_text(readline());
        if (v->big_int || v->i < 0) fail("bad memo index");
        push(memo_get(static_cast<uint64_t>(v->i)));
        break;
      }
      case BINGET: push(memo_get(read_le(1))); break;
      case LONG_BINGET: push(memo_get(read_le(4))); break;
      case PERSID:
      case BINPERSID: {
        Value* pid = op_ == PERSID ? doc_.make_str(std::string(readline())) : pop();
        if (!hooks_.persistent_load) fail("persistent id without a persistent_load hook");
        push(hooks_.persistent_load(doc_, pid));
        break;
      }
      case EXT1:
      case EXT2:
      case EXT4: fail("extension registry codes are not supported");
      case NEXT_BUFFER:
      case READONLY_BUFFER: fail("out-of-band buffers are not supported");
      default: fail("unknown opcode");
    }
  }
}

// ---------------------------------------------------------------------------

void escape_into(std::ostringstream& os, const std::string& s, size_t max_len) {
  os << '\'';
  for (size_t k = 0; k < s.size() && k < max_len; ++k) {
    const auto c = static_cast<unsigned char>(s[k]);
    if (c == '\'' || c == '\\') {
      os << '\\' << s[k];
    } else if (c < 0x20 || c == 0x7f) {
      const char* hex = "0123456789abcdef";
      os << "\\x" << hex[c >> 4] << hex[c & 15];
    } else {
      os << s[k];
    }
  }
  if (s.size() > max_len) os << "...";
  os << '\'';
}

class Describer {
 public:
  explicit Describer(int max_items) : max_items_(max_items) {}
  std::string run(const Value& v) {
    write(v, 0);
    if (cut_) os_ << "\n... (description cut at " << kMaxDescriptionBytes << " bytes)";
    return os_.str();
  }

 private:
  void indent(int depth) { os_ << std::string(static_cast<size_t>(2 * depth), ' '); }
  void inline_scalar(const Value& v) {
    switch (v.kind) {
      case Kind::kNone: os_ << "None"; break;
      case Kind::kBool: os_ << (v.b ? "True" : "False"); break;
      case Kind::kInt: v.big_int ? (os_ << v.s) : (os_ << v.i); break;
      case Kind::kFloat: os_ << v.f; break;
      case Kind::kStr: escape_into(os_, v.s, 120); break;
      case Kind::kBytes: os_ << "b"; escape_into(os_, v.s, 40); os_ << " (" << v.s.size() << " bytes)"; break;
      case Kind::kClass: os_ << "<class " << v.s << ">"; break;
      case Kind::kTensor: {
        const auto dtype = v.ref ? v.ref->dtype : v.tensor.scalar_type();
        const auto sizes = v.ref ? v.ref->sizes : v.tensor.sizes().vec();
        os_ << "tensor " << c10::toString(dtype) << " " << c10::IntArrayRef(sizes);
        break;
      }
      default: break;
    }
  }
  static bool is_container(const Value& v) {
    return v.kind == Kind::kTuple || v.kind == Kind::kList || v.kind == Kind::kDict ||
           v.kind == Kind::kSet || v.kind == Kind::kObject;
  }
  void write(const Value& v, int depth) {
    // A value reached twice (DUP, memo GET) is printed each time, so a few
    // hundred bytes of pickle can describe 2^40 leaves: stop at a size budget.
    if (cut_ || static_cast<size_t>(os_.tellp()) > kMaxDescriptionBytes) {
      cut_ = true;
      return;
    }
    if (!is_container(v)) {
      inline_scalar(v);
      return;
    }
    if (depth >= kMaxDepth) {
      os_ << "<nested too deeply>";
      return;
    }
    if (open_.count(&v)) {
      os_ << "<cycle>";
      return;
    }
    open_.insert(&v);
    const char* brackets = v.kind == Kind::kTuple ? "()" : v.kind == Kind::kList ? "[]" : "{}";
    if (v.kind == Kind::kObject) {
      os_ << v.s << "(";
      write_list(v.items, depth, ")");
      if (!v.entries.empty()) write_dict(v.entries, depth + 1, " items");
      if (!v.appended.empty()) {
        os_ << " appended ";
        write_list(v.appended, depth, "");
      }
      if (v.state) {
        os_ << " state=";
        write(*v.state, depth + 1);
      }
    } else if (v.kind == Kind::kDict) {
      write_dict(v.entries, depth, "");
    } else {
      os_ << brackets[0];
      write_list(v.items, depth, std::string(1, brackets[1]));
    }
    open_.erase(&v);
  }
  void write_list(const std::vector<Value*>& items, int depth, const std::string& close) {
    const bool simple = std::none_of(items.begin(), items.end(), [](const Value* x) { return is_container(*x); });
    const size_t shown = std::min(items.size(), static_cast<size_t>(max_items_));
    for (size_t k = 0; k < shown; ++k) {
      if (simple) {
        os_ << (k ? ", " : "");
      } else {
        os_ << "\n";
        indent(depth + 1);
      }
      write(*items[k], depth + 1);
    }
    if (items.size() > shown) os_ << (simple ? ", " : "\n") << "... (" << items.size() << " items)";
    if (!simple && !items.empty()) {
      os_ << "\n";
      indent(depth);
    }
    os_ << close;
  }
  void write_dict(const std::vector<std::pair<Value*, Value*>>& entries, int depth, const std::string& label) {
    os_ << label << "{";
    const size_t shown = std::min(entries.size(), static_cast<size_t>(max_items_));
    for (size_t k = 0; k < shown; ++k) {
      os_ << "\n";
      indent(depth + 1);
      write(*entries[k].first, depth + 1);
      os_ << ": ";
      write(*entries[k].second, depth + 1);
    }
    if (entries.size() > shown) {
      os_ << "\n";
      indent(depth + 1);
      os_ << "... (" << entries.size() << " entries)";
    }
    if (!entries.empty()) {
      os_ << "\n";
      indent(depth);
    }
    os_ << "}";
  }

  static constexpr size_t kMaxDescriptionBytes = size_t{1} << 20;
  int max_items_;
  bool cut_ = false;
  std::ostringstream os_;
  std::unordered_set<const Value*> open_;
};

}  // namespace

size_t decode(std::string_view data, Document& doc, const DecodeHooks& hooks) {
  Decoder decoder(data, doc, hooks);
  return decoder.run();
}

std::string describe(const Value& value, int max_items) { return Describer(max_items).run(value); }

}  // namespace hornet::io::py
