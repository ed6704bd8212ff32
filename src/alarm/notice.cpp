#include "alarm/notice.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "alarm/alarm.h"
#include "base/config.h"
#include "base/encoding.h"
#include "link/json_fields.h"

namespace vigil::alarm {

namespace {

using nlohmann::json;

constexpr std::string_view kAudioTypes[] = {"audio/webm", "audio/ogg", "audio/mpeg", "audio/wav", "audio/mp4"};
// Unix milliseconds up to the year 9999.
constexpr uint64_t kMaxMillis = 253402300799999;
constexpr size_t kChunkHeaderBytes = 32 + 4;

Status bad(std::string_view where, std::string_view what) {
  return Status::invalidArgument(fmt::format("notice.{}: {}", where, what));
}

Result<int64_t> millisField(const json& doc, const char* key) {
  const json& v = doc[key];
  if (!v.is_number_unsigned() || v.get<uint64_t>() > kMaxMillis) return bad(key, "must be Unix milliseconds");
  return static_cast<int64_t>(v.get<uint64_t>());
}

bool isNodeId(const json& v) { return v.is_string() && isValidId(v.get_ref<const std::string&>()); }
bool isTarget(const json& v) { return v.is_string() && isNoticeTarget(v.get_ref<const std::string&>()); }

// Parses at most `maxContainers` objects and arrays: the nesting is
// bounded before the parser sees it.
Result<json> parseJson(std::span<const uint8_t> body, size_t maxContainers, const char* what) {
  if (containersIn(body) > maxContainers) return bad(what, "too many objects and arrays");
  json doc = json::parse(body.begin(), body.end(), nullptr, false);
  if (doc.is_discarded()) return bad(what, "not JSON");
  return doc;
}

}  // namespace

std::string_view priorityName(Priority p) { return p == Priority::kUrgent ? "urgent" : "normal"; }

std::optional<Priority> priorityFromName(std::string_view name) {
  if (name == "normal") return Priority::kNormal;
  if (name == "urgent") return Priority::kUrgent;
  return std::nullopt;
}

bool isAudioType(std::string_view type) {
  return std::find(std::begin(kAudioTypes), std::end(kAudioTypes), type) != std::end(kAudioTypes);
}

bool isNoticeTarget(std::string_view path) {
  constexpr int kMaxDepth = 3;
  int depth = 0;
  for (size_t start = 0;; ++depth) {
    const size_t dot = path.find('.', start);
    if (depth == kMaxDepth || !isValidId(path.substr(start, dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

int64_t Notice::audioChunks() const {
  return (audioBytes + static_cast<int64_t>(kAudioChunkBytes) - 1) / static_cast<int64_t>(kAudioChunkBytes);
}

std::vector<uint8_t> encode(const Notice& n) {
  const std::string text = json{{"id", n.id},
                                {"from", n.from},
                                {"text", n.text},
                                {"priority", priorityName(n.priority)},
                                {"sent_at", n.sentAt},
                                {"expires_at", n.expiresAt},
                                {"to", n.to.empty() ? json("all") : json(n.to)},
                                {"audio_type", n.audioType},
                                {"audio_bytes", n.audioBytes}}
                               .dump();
  return {text.begin(), text.end()};
}

Result<Notice> decodeNotice(std::span<const uint8_t> body) {
  auto parsed = parseJson(body, 2, "body");
  if (!parsed) return parsed.status();
  const json& doc = *parsed;
  VIGIL_RETURN_IF_ERROR(link::onlyKeys(
      doc, "notice", {"id", "from", "text", "priority", "sent_at", "expires_at", "to", "audio_type", "audio_bytes"}));
  Notice n;
  if (!doc["id"].is_string() || !isValidAlarmId(doc["id"].get_ref<const std::string&>())) {
    return bad("id", "must be 32 hex digits");
  }
  n.id = doc["id"].get<std::string>();
  if (!isNodeId(doc["from"])) return bad("from", "must be a node id");
  n.from = doc["from"].get<std::string>();
  const json& text = doc["text"];
  if (!text.is_string() || text.get_ref<const std::string&>().empty() ||
      !isValidText(text.get_ref<const std::string&>(), kMaxNoticeChars)) {
    return bad("text", fmt::format("must be text of 1 to {} characters", kMaxNoticeChars));
  }
  n.text = text.get<std::string>();
  const json& priority = doc["priority"];
  if (!priority.is_string() || !priorityFromName(priority.get_ref<const std::string&>())) {
    return bad("priority", "must be normal or urgent");
  }
  n.priority = *priorityFromName(priority.get_ref<const std::string&>());
  auto sent = millisField(doc, "sent_at");
  if (!sent) return sent.status();
  auto expires = millisField(doc, "expires_at");
  if (!expires) return expires.status();
  if (*sent == 0 || *expires <= *sent) return bad("expires_at", "must be after sent_at");
  n.sentAt = *sent;
  n.expiresAt = *expires;
  const json& to = doc["to"];
  if (!(to.is_string() && to.get_ref<const std::string&>() == "all")) {
    if (!to.is_array() || to.empty() || to.size() > kMaxNoticeTargets ||
        !std::all_of(to.begin(), to.end(), isTarget)) {
      return bad("to", fmt::format("must be \"all\" or a list of 1 to {} node paths", kMaxNoticeTargets));
    }
    for (const json& id : to) n.to.push_back(id.get<std::string>());
  }
  const json& audioType = doc["audio_type"];
  if (!audioType.is_string() || (!audioType.get_ref<const std::string&>().empty() &&
                                 !isAudioType(audioType.get_ref<const std::string&>()))) {
    return bad("audio_type", "must be empty or an audio type a browser plays");
  }
  n.audioType = audioType.get<std::string>();
  const json& audioBytes = doc["audio_bytes"];
  if (!audioBytes.is_number_unsigned() || audioBytes.get<uint64_t>() > kMaxAudioBytes ||
      (audioBytes.get<uint64_t>() == 0) != n.audioType.empty()) {
    return bad("audio_bytes", fmt::format("must be 1 to {} with an audio_type, else 0", kMaxAudioBytes));
  }
  n.audioBytes = static_cast<int64_t>(audioBytes.get<uint64_t>());
  return n;
}

std::vector<uint8_t> encodeAudioChunk(const std::string& id, uint32_t index, std::span<const uint8_t> bytes) {
  std::vector<uint8_t> out(id.begin(), id.end());
  out.resize(kChunkHeaderBytes);
  writeBigEndian32(out.data() + 32, index);
  out.insert(out.end(), bytes.begin(), bytes.end());
  return out;
}

Result<AudioChunk> decodeAudioChunk(std::span<const uint8_t> body) {
  if (body.size() <= kChunkHeaderBytes || body.size() > kChunkHeaderBytes + kAudioChunkBytes) {
    return bad("audio", fmt::format("a chunk holds 1 to {} bytes after its header", kAudioChunkBytes));
  }
  AudioChunk c;
  c.id.assign(reinterpret_cast<const char*>(body.data()), 32);
  if (!isValidAlarmId(c.id)) return bad("audio", "must start with the notice's id");
  c.index = readBigEndian32(body.data() + 32);
  if (c.index >= kMaxAudioBytes / kAudioChunkBytes + 1) return bad("audio", "chunk index out of range");
  c.bytes = body.subspan(kChunkHeaderBytes);
  return c;
}

std::vector<uint8_t> encode(const Receipts& r) {
  json rows = json::array();
  for (const HouseholdReceipt& h : r.households) {
    rows.push_back({{"node", h.node}, {"delivered_at", h.deliveredAt}, {"seen_at", h.seenAt}});
  }
  const std::string text = json{{"id", r.id}, {"households", std::move(rows)}}.dump();
  return {text.begin(), text.end()};
}

Result<Receipts> decodeReceipts(std::span<const uint8_t> body) {
  auto parsed = parseJson(body, 2 + kMaxReceiptRows, "receipt");
  if (!parsed) return parsed.status();
  const json& doc = *parsed;
  VIGIL_RETURN_IF_ERROR(link::onlyKeys(doc, "notice.receipt", {"id", "households"}));
  Receipts r;
  if (!doc["id"].is_string() || !isValidAlarmId(doc["id"].get_ref<const std::string&>())) {
    return bad("receipt.id", "must be 32 hex digits");
  }
  r.id = doc["id"].get<std::string>();
  const json& rows = doc["households"];
  if (!rows.is_array() || rows.empty() || rows.size() > kMaxReceiptRows) {
    return bad("receipt.households", fmt::format("must be a list of 1 to {} receipts", kMaxReceiptRows));
  }
  for (const json& row : rows) {
    VIGIL_RETURN_IF_ERROR(link::onlyKeys(row, "notice.receipt.households[]", {"node", "delivered_at", "seen_at"}));
    if (!row["node"].is_string() || !isValidCameraRef(row["node"].get_ref<const std::string&>())) {
      return bad("receipt.node", "must be a node's path: up to 4 node ids joined by dots");
    }
    auto delivered = millisField(row, "delivered_at");
    if (!delivered) return delivered.status();
    auto seen = millisField(row, "seen_at");
    if (!seen) return seen.status();
    r.households.push_back({row["node"].get<std::string>(), *delivered, *seen});
  }
  return r;
}

bool merge(HouseholdReceipt& ours, const HouseholdReceipt& theirs) {
  const HouseholdReceipt before = ours;
  for (auto [mine, their] : {std::pair{&ours.deliveredAt, theirs.deliveredAt}, std::pair{&ours.seenAt, theirs.seenAt}}) {
    if (their != 0 && (*mine == 0 || their < *mine)) *mine = their;
  }
  return !(ours == before);
}

}  // namespace vigil::alarm
