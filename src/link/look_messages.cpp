#include "link/look_messages.h"

#include <nlohmann/json.hpp>

#include "base/encoding.h"


namespace vigil::link {

namespace {

using nlohmann::json;

constexpr size_t kMaxCameraPath = 5 * 65;  // node ids and a camera id, dotted
constexpr size_t kMaxReason = 256;
constexpr size_t kMaxUser = 64;

std::vector<uint8_t> bytes(const json& j) {
  const std::string s = j.dump();
  return {s.begin(), s.end()};
}

std::string_view text(std::span<const uint8_t> payload) {
  return {reinterpret_cast<const char*>(payload.data()), payload.size()};
}

}  // namespace

std::vector<uint8_t> encode(const LookOpen& m) {
  json j{{"look", m.look},
         {"camera", m.camera},
         {"right", access::shareRightName(m.right)},
         {"user", m.user},
         {"via", m.via},
         {"tier", tierName(m.tier)}};
  writeProof(j, m.proof);
  return bytes(j);
}

std::vector<uint8_t> encode(const LookAnswer& m) {
  json j{{"look", m.look}, {"ok", m.ok}};
  if (!m.ok) j["reason"] = m.reason;
  if (m.channel != 0) j["channel"] = m.channel;
  return bytes(j);
}

std::vector<uint8_t> encode(const LookClose& m) { return bytes({{"look", m.look}}); }

std::vector<uint8_t> encode(const LookEnd& m) { return bytes({{"look", m.look}, {"reason", m.reason}}); }

void writeProof(json& j, const std::optional<AskProof>& proof) {
  if (!proof) return;
  j["at"] = proof->atMs;
  j["nonce"] = hexEncode(proof->nonce);
  j["signature"] = hexEncode(proof->signature);
}

void readWhoAsks(JsonFields& f, std::string& camera, std::string& user, std::vector<std::string>& via, Tier& tier,
                 std::optional<AskProof>& proof) {
  camera = f.string("camera", kMaxCameraPath);
  if (f.ok() && !isValidCameraRef(camera)) f.fail("camera: must be up to four ids of [a-z0-9_-]{1,64} joined by dots");
  user = f.string("user", kMaxUser);
  if (f.ok() && !isValidId(user)) f.fail("user: must match [a-z0-9_-]{1,64}");
  via = f.strings("via", kMaxViaNodes, 64);
  if (f.ok() && via.empty()) f.fail("via: must name the node that asked");
  for (const auto& id : via) {
    if (f.ok() && !isValidId(id)) f.fail("via: each a node id of [a-z0-9_-]{1,64}");
  }
  const std::string name = f.string("tier", 16);
  if (f.ok()) {
    auto t = parseTier(name);
    if (t && *t != Tier::kHousehold) tier = *t;
    else f.fail("tier: must be village, township or county");
  }
  if (f.has("at") || f.has("nonce") || f.has("signature")) {
    AskProof p;
    p.atMs = f.unsignedInt("at");
    p.nonce = f.hex<kAskNonceBytes>("nonce");
    p.signature = f.hex<kSignatureBytes>("signature");
    if (f.ok()) proof = p;
  }
}

Result<LookOpen> decodeLookOpen(std::span<const uint8_t> payload) {
  JsonFields f(text(payload), 2);
  LookOpen m;
  m.look = f.unsignedInt("look");
  const std::string right = f.string("right", 16);
  if (f.ok()) {
    if (auto r = access::parseShareRight(right)) m.right = *r;
    else f.fail("right: must be live, playback, export or snapshot");
  }
  readWhoAsks(f, m.camera, m.user, m.via, m.tier, m.proof);
  return f.result(std::move(m));
}

Result<LookAnswer> decodeLookAnswer(std::span<const uint8_t> payload) {
  JsonFields f(text(payload), 1);
  LookAnswer m;
  m.look = f.unsignedInt("look");
  m.ok = f.boolean("ok");
  if (!m.ok && f.has("reason")) m.reason = f.string("reason", kMaxReason);
  if (m.ok && f.has("channel")) m.channel = static_cast<uint32_t>(f.unsignedInt("channel", UINT32_MAX));
  return f.result(std::move(m));
}

Result<LookClose> decodeLookClose(std::span<const uint8_t> payload) {
  JsonFields f(text(payload), 1);
  LookClose m;
  m.look = f.unsignedInt("look");
  return f.result(m);
}

Result<LookEnd> decodeLookEnd(std::span<const uint8_t> payload) {
  JsonFields f(text(payload), 1);
  LookEnd m;
  m.look = f.unsignedInt("look");
  m.reason = f.string("reason", kMaxReason);
  return f.result(std::move(m));
}

}  // namespace vigil::link
