#include "link/enrolment_messages.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/encoding.h"

namespace vigil::link {

namespace {

using nlohmann::json;

// Reads the fields of one JSON object, remembering the first problem.
class Fields {
 public:
  explicit Fields(std::string_view text) {
    // Every body is one flat object: refuse deep nesting before parsing.
    if (std::count(text.begin(), text.end(), '{') + std::count(text.begin(), text.end(), '[') > 16) {
      error_ = Status::invalidArgument("body: must be a flat JSON object");
      return;
    }
    doc_ = json::parse(text, nullptr, false);
    if (doc_.is_discarded() || !doc_.is_object()) error_ = Status::invalidArgument("body: must be a JSON object");
  }
  std::string string(const char* key) {
    if (!error_.isOk()) return {};
    auto it = doc_.find(key);
    if (it == doc_.end() || !it->is_string()) {
      error_ = Status::invalidArgument(fmt::format("{}: required, a string", key));
      return {};
    }
    return it->get<std::string>();
  }
  template <size_t N>
  std::array<uint8_t, N> hex(const char* key) {
    std::array<uint8_t, N> out{};
    const std::string text = string(key);
    size_t decoded = 0;
    if (error_.isOk() && (text.size() != 2 * N ||
                          sodium_hex2bin(out.data(), N, text.data(), text.size(), nullptr, &decoded, nullptr) != 0 ||
                          decoded != N)) {
      error_ = Status::invalidArgument(fmt::format("{}: must be {} hex digits", key, 2 * N));
    }
    return out;
  }
  NodeIdentity identity() {
    NodeIdentity n;
    n.id = string("id");
    if (error_.isOk() && !isValidId(n.id)) error_ = Status::invalidArgument("id: must be 1 to 64 of a-z, 0-9, '_' and '-'");
    n.name = string("name");
    if (error_.isOk() && !isValidNodeName(n.name)) {
      error_ = Status::invalidArgument(fmt::format("name: 1 to {} bytes of UTF-8, no control characters", kMaxNodeNameBytes));
    }
    const std::string tier = string("tier");
    if (error_.isOk()) {
      auto t = parseTier(tier);
      if (t) n.tier = *t;
      else error_ = Status::invalidArgument("tier: " + t.status().message());
    }
    n.key = hex<kKeyBytes>("public_key");
    return n;
  }
  template <class T>
  Result<T> result(T value) const {
    if (!error_.isOk()) return error_;
    return value;
  }

 private:
  json doc_;
  Status error_;
};

json identityJson(const NodeIdentity& n) {
  return {{"id", n.id}, {"name", n.name}, {"tier", tierName(n.tier)}, {"public_key", hexEncode(n.key)}};
}

}  // namespace

bool isValidNodeName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNodeNameBytes) return false;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  // Valid UTF-8: nlohmann's dump() throws on anything else.
  try {
    (void)json(std::string(name)).dump();
  } catch (const json::exception&) {
    return false;
  }
  return true;
}

std::string toJson(const JoinHello& m) { return json{{"nonce", hexEncode(m.nonce)}}.dump(); }

std::string toJson(const JoinHelloAnswer& m) {
  json j = identityJson(m.parent);
  j["proof"] = hexEncode(m.proof);
  return j.dump();
}

std::string toJson(const JoinRequest& m) {
  json j = identityJson(m.child);
  j["nonce"] = hexEncode(m.nonce);
  j["code"] = m.code;
  j["proof"] = hexEncode(m.proof);
  return j.dump();
}

std::string toJson(const NodeIdentity& m) { return identityJson(m).dump(); }

Result<JoinHello> parseJoinHello(std::string_view text) {
  Fields f(text);
  JoinHello m;
  m.nonce = f.hex<kNonceBytes>("nonce");
  return f.result(m);
}

Result<JoinHelloAnswer> parseJoinHelloAnswer(std::string_view text) {
  Fields f(text);
  JoinHelloAnswer m;
  m.parent = f.identity();
  m.proof = f.hex<kSignatureBytes>("proof");
  return f.result(m);
}

Result<JoinRequest> parseJoinRequest(std::string_view text) {
  Fields f(text);
  JoinRequest m;
  m.nonce = f.hex<kNonceBytes>("nonce");
  m.code = f.string("code");
  m.child = f.identity();
  m.proof = f.hex<kSignatureBytes>("proof");
  return f.result(m);
}

Result<NodeIdentity> parseNodeIdentity(std::string_view text) {
  Fields f(text);
  NodeIdentity n = f.identity();
  return f.result(n);
}

}  // namespace vigil::link
