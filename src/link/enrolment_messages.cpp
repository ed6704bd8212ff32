#include "link/enrolment_messages.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "link/json_fields.h"

namespace vigil::link {

namespace {

using nlohmann::json;

// The enrolment bodies are flat objects.
class Fields : public JsonFields {
 public:
  explicit Fields(std::string_view text) : JsonFields(text) {}
  NodeIdentity identity() {
    NodeIdentity n;
    n.id = string("id");
    if (ok() && !isValidId(n.id)) fail("id: must be 1 to 64 of a-z, 0-9, '_' and '-'");
    n.name = string("name");
    if (ok() && !isValidNodeName(n.name)) {
      fail(fmt::format("name: 1 to {} bytes of UTF-8, no control characters", kMaxNodeNameBytes));
    }
    const std::string tier = string("tier");
    if (ok()) {
      auto t = parseTier(tier);
      if (t) n.tier = *t;
      else fail("tier: " + t.status().message());
    }
    n.key = hex<kKeyBytes>("public_key");
    return n;
  }
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
