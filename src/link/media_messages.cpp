#include "link/media_messages.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "link/json_fields.h"
#include "link/look_messages.h"

namespace vigil::link {

namespace {

using nlohmann::json;

constexpr size_t kMaxPath = 128;
constexpr size_t kMaxQuery = 1024;
constexpr size_t kMaxHeader = 256;
constexpr size_t kMaxReason = 256;

std::vector<uint8_t> bytes(const json& j) {
  const std::string s = j.dump();
  return {s.begin(), s.end()};
}

std::vector<uint8_t> part(MediaPart p, const json& j) {
  const std::string s = j.dump();
  std::vector<uint8_t> out{static_cast<uint8_t>(p)};
  out.insert(out.end(), s.begin(), s.end());
  return out;
}

// A reason as the decoder takes it: cut at kMaxReason bytes, not inside a
// UTF-8 character.
std::string clip(std::string_view reason) {
  if (reason.size() <= kMaxReason) return std::string(reason);
  size_t n = kMaxReason;
  while (n > 0 && (static_cast<uint8_t>(reason[n]) & 0xC0) == 0x80) --n;
  return std::string(reason.substr(0, n));
}

std::string_view text(std::span<const uint8_t> payload) {
  return {reinterpret_cast<const char*>(payload.data()), payload.size()};
}

bool printable(std::string_view s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// "playback/3.m4s": segments of [A-Za-z0-9._-] that are not "." or "..",
// so no path the owner routes can climb out of its camera.
bool isValidMediaPath(std::string_view path) {
  if (path.empty()) return false;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = std::min(path.find('/', start), path.size());
    const std::string_view segment = path.substr(start, slash - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    for (char c : segment) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                      c == '_' || c == '-';
      if (!ok) return false;
    }
    start = slash + 1;
  }
  return true;
}

// An optional printable string field.
std::string optionalText(JsonFields& f, const char* key, size_t maxBytes) {
  if (!f.has(key)) return {};
  std::string s = f.string(key, maxBytes);
  if (f.ok() && !printable(s)) f.fail(fmt::format("{}: printable ASCII only", key));
  return s;
}

uint32_t requestId(JsonFields& f) {
  const auto id = static_cast<uint32_t>(f.unsignedInt("request", UINT32_MAX));
  if (f.ok() && id == 0) f.fail("request: must not be 0");
  return id;
}

}  // namespace

std::vector<uint8_t> encode(const MediaOpen& m) {
  json j{{"request", m.request}, {"camera", m.camera}, {"path", m.path}, {"query", m.query},
         {"user", m.user},       {"via", m.via},       {"tier", tierName(m.tier)}, {"window", m.window}};
  if (!m.range.empty()) j["range"] = m.range;
  if (!m.ifRange.empty()) j["if_range"] = m.ifRange;
  writeProof(j, m.proof);
  return bytes(j);
}

std::vector<uint8_t> encode(const MediaCredit& m) { return bytes({{"request", m.request}, {"bytes", m.bytes}}); }

std::vector<uint8_t> encode(const MediaCancel& m) { return bytes({{"request", m.request}}); }

std::vector<uint8_t> encodeMediaHead(const MediaHead& h) {
  json j{{"status", h.status}, {"type", h.type}, {"length", h.length}, {"ranges", h.ranges}};
  if (!h.contentRange.empty()) j["content_range"] = h.contentRange;
  if (!h.disposition.empty()) j["disposition"] = h.disposition;
  if (!h.reason.empty()) j["reason"] = clip(h.reason);
  return part(MediaPart::kHead, j);
}

std::vector<uint8_t> encodeMediaBody(std::span<const uint8_t> body) {
  std::vector<uint8_t> out;
  out.reserve(1 + body.size());
  out.push_back(static_cast<uint8_t>(MediaPart::kBody));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

std::vector<uint8_t> encodeMediaEnd(std::string_view reason) {
  json j = json::object();
  if (!reason.empty()) j["reason"] = clip(reason);
  return part(MediaPart::kEnd, j);
}

Result<MediaOpen> decodeMediaOpen(std::span<const uint8_t> payload) {
  JsonFields f(text(payload), 2);
  MediaOpen m;
  m.request = requestId(f);
  m.path = f.string("path", kMaxPath);
  if (f.ok() && !isValidMediaPath(m.path)) f.fail("path: must be segments of [A-Za-z0-9._-] joined by '/'");
  m.query = f.string("query", kMaxQuery);
  if (f.ok() && !printable(m.query)) f.fail("query: printable ASCII only");
  m.range = optionalText(f, "range", kMaxHeader);
  m.ifRange = optionalText(f, "if_range", kMaxHeader);
  m.window = f.unsignedInt("window", kMaxMediaWindow);
  if (f.ok() && m.window < kMediaChunkBytes) f.fail(fmt::format("window: at least {} bytes", kMediaChunkBytes));
  readWhoAsks(f, m.camera, m.user, m.via, m.tier, m.proof);
  return f.result(std::move(m));
}

Result<MediaCredit> decodeMediaCredit(std::span<const uint8_t> payload) {
  JsonFields f(text(payload), 1);
  MediaCredit m;
  m.request = requestId(f);
  m.bytes = f.unsignedInt("bytes", kMaxMediaWindow);
  return f.result(m);
}

Result<MediaCancel> decodeMediaCancel(std::span<const uint8_t> payload) {
  JsonFields f(text(payload), 1);
  MediaCancel m;
  m.request = requestId(f);
  return f.result(m);
}

Result<MediaReply> decodeMediaReply(std::span<const uint8_t> payload) {
  if (payload.empty()) return Status::invalidArgument("media reply: empty");
  MediaReply m;
  const auto rest = payload.subspan(1);
  switch (payload[0]) {
    case static_cast<uint8_t>(MediaPart::kBody):
      m.part = MediaPart::kBody;
      if (rest.empty()) return Status::invalidArgument("media reply: an empty body part");
      m.body = rest;
      return m;
    case static_cast<uint8_t>(MediaPart::kEnd): {
      JsonFields f(text(rest), 1);
      m.part = MediaPart::kEnd;
      if (f.has("reason")) m.reason = f.string("reason", kMaxReason);
      return f.result(std::move(m));
    }
    case static_cast<uint8_t>(MediaPart::kHead): {
      JsonFields f(text(rest), 1);
      m.part = MediaPart::kHead;
      MediaHead& h = m.head;
      h.status = static_cast<int>(f.unsignedInt("status", 599));
      if (f.ok() && h.status < 100) f.fail("status: from 100 to 599");
      h.type = f.string("type", kMaxHeader);
      if (f.ok() && !printable(h.type)) f.fail("type: printable ASCII only");
      h.length = f.unsignedInt("length", uint64_t{1} << 50);
      h.ranges = f.boolean("ranges");
      h.contentRange = optionalText(f, "content_range", kMaxHeader);
      h.disposition = optionalText(f, "disposition", kMaxHeader);
      if (f.has("reason")) h.reason = f.string("reason", kMaxReason);
      return f.result(std::move(m));
    }
    default: return Status::invalidArgument("media reply: unknown part");
  }
}

}  // namespace vigil::link
