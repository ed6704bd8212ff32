#include "alarm/alarm.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <tuple>
#include <nlohmann/json.hpp>

#include "base/config.h"
#include "link/json_fields.h"

namespace vigil::alarm {

namespace {

using nlohmann::json;

constexpr std::pair<std::string_view, Kind> kKinds[] = {
    {"intrusion", Kind::kIntrusion}, {"fire", Kind::kFire}, {"medical", Kind::kMedical}, {"other", Kind::kOther}};
constexpr std::pair<std::string_view, State> kStates[] = {
    {"open", State::kOpen}, {"acknowledged", State::kAcknowledged}, {"closed", State::kClosed}};

// Unix milliseconds up to the year 9999.
constexpr uint64_t kMaxMillis = 253402300799999;

Status bad(std::string_view where, std::string_view what) {
  return Status::invalidArgument(fmt::format("alarm.{}: {}", where, what));
}

Result<std::string> textField(const json& doc, const char* key, size_t maxChars, bool required) {
  const json& v = doc[key];
  if (!v.is_string() || !isValidText(v.get_ref<const std::string&>(), maxChars) ||
      (required && v.get_ref<const std::string&>().empty())) {
    return bad(key, fmt::format("must be text of {} to {} characters", required ? 1 : 0, maxChars));
  }
  return v.get<std::string>();
}

Result<std::string> actorField(const json& doc, const char* key) {
  const json& v = doc[key];
  if (!v.is_string() || v.get_ref<const std::string&>().size() > kMaxActorBytes ||
      !isValidText(v.get_ref<const std::string&>(), kMaxActorBytes)) {
    return bad(key, fmt::format("must be text of at most {} bytes", kMaxActorBytes));
  }
  return v.get<std::string>();
}

Result<int64_t> millisField(const json& doc, const char* key) {
  const json& v = doc[key];
  if (!v.is_number_unsigned() || v.get<uint64_t>() > kMaxMillis) return bad(key, "must be Unix milliseconds");
  return static_cast<int64_t>(v.get<uint64_t>());
}

Result<std::vector<std::string>> idList(const json& doc, const char* key, size_t maxItems) {
  const json& v = doc[key];
  if (!v.is_array() || v.size() > maxItems) return bad(key, fmt::format("must be a list of at most {} ids", maxItems));
  std::vector<std::string> out;
  for (const json& item : v) {
    if (!item.is_string() || !isValidId(item.get_ref<const std::string&>())) {
      return bad(key, "must hold ids of 1 to 64 of a-z, 0-9, '_' and '-'");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

// Keeps in (by, at) the earlier of it and (theirBy, theirAt), theirs when it is unset; true when it took theirs.
bool takeEarlier(std::string& by, int64_t& at, const std::string& theirBy, int64_t theirAt) {
  if (theirBy.empty()) return false;
  if (!by.empty() && (at < theirAt || (at == theirAt && by <= theirBy))) return false;
  by = theirBy;
  at = theirAt;
  return true;
}

// The name of `value` in `table`, and the value a name stands for.
template <class E, size_t N>
std::string_view nameIn(const std::pair<std::string_view, E> (&table)[N], E value) {
  for (const auto& [name, v] : table) {
    if (v == value) return name;
  }
  return table[N - 1].first;
}
template <class E, size_t N>
std::optional<E> valueIn(const std::pair<std::string_view, E> (&table)[N], std::string_view name) {
  for (const auto& [n, v] : table) {
    if (n == name) return v;
  }
  return std::nullopt;
}

}  // namespace

std::string_view kindName(Kind kind) { return nameIn(kKinds, kind); }
std::optional<Kind> kindFromName(std::string_view name) { return valueIn(kKinds, name); }
std::string_view stateName(State state) { return nameIn(kStates, state); }
std::optional<State> stateFromName(std::string_view name) { return valueIn(kStates, name); }

State Alarm::state() const {
  if (closedAt != 0) return State::kClosed;
  if (!acknowledgedBy.empty()) return State::kAcknowledged;
  return State::kOpen;
}

bool isValidAlarmId(std::string_view id) {
  return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string newAlarmId() {
  uint8_t bytes[16];
  randombytes_buf(bytes, sizeof bytes);
  char hex[33];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return hex;
}

bool isValidText(std::string_view text, size_t maxChars) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++chars) {
    const auto c = static_cast<uint8_t>(text[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (len == 0 || i + len > text.size()) return false;
    uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<uint8_t>(text[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates, past U+10FFFF; control characters but newline.
    constexpr uint32_t kMinOfLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinOfLength[len] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return false;
    if ((cp < 0x20 && cp != '\n') || cp == 0x7f) return false;
    i += len;
  }
  return chars <= maxChars;
}

size_t containersIn(std::span<const uint8_t> body) {
  size_t n = 0;
  bool inString = false, escaped = false;
  for (uint8_t c : body) {
    if (escaped) {
      escaped = false;
    } else if (inString) {
      escaped = c == '\\';
      inString = c != '"';
    } else if (c == '"') {
      inString = true;
    } else if (c == '{' || c == '[') {
      ++n;
    }
  }
  return n;
}

std::vector<uint8_t> encode(const Alarm& a) {
  json notes = json::array();
  for (const Note& n : a.notes) notes.push_back({{"by", n.by}, {"at", n.at}, {"text", n.text}});
  const std::string text = json{{"id", a.id},
                                {"node", a.node},
                                {"node_path", a.nodePath},
                                {"kind", kindName(a.kind)},
                                {"note", a.note},
                                {"cameras", a.cameras},
                                {"raised_at", a.raisedAt},
                                {"delivered_at", a.deliveredAt},
                                {"acknowledged_by", a.acknowledgedBy},
                                {"acknowledged_at", a.acknowledgedAt},
                                {"assigned_to", a.assignedTo},
                                {"assigned_at", a.assignedAt},
                                {"notes", std::move(notes)},
                                {"closed_by", a.closedBy},
                                {"closed_at", a.closedAt},
                                {"outcome", a.outcome},
                                {"escalated_to", a.escalatedTo}}
                               .dump();
  return {text.begin(), text.end()};
}

Result<Alarm> decodeAlarm(std::span<const uint8_t> body) {
  // At most the record, the three lists and the notes open a container.
  if (containersIn(body) > 4 + kMaxNotes) {
    return bad("body", "too many objects and arrays");
  }
  const json doc = json::parse(body.begin(), body.end(), nullptr, false);
  if (doc.is_discarded()) return bad("body", "not JSON");
  VIGIL_RETURN_IF_ERROR(link::onlyKeys(doc, "alarm",
                                       {"id", "node", "node_path", "kind", "note", "cameras", "raised_at",
                                        "delivered_at", "acknowledged_by", "acknowledged_at", "assigned_to",
                                        "assigned_at", "notes", "closed_by", "closed_at", "outcome",
                                        "escalated_to"}));
  Alarm a;
  if (!doc["id"].is_string() || !isValidAlarmId(doc["id"].get_ref<const std::string&>())) {
    return bad("id", "must be 32 hex digits");
  }
  a.id = doc["id"].get<std::string>();
  if (!doc["node"].is_string() || !isValidId(doc["node"].get_ref<const std::string&>())) {
    return bad("node", "must be a node id");
  }
  a.node = doc["node"].get<std::string>();
  auto path = idList(doc, "node_path", kMaxPathNodes);
  if (!path) return path.status();
  a.nodePath = std::move(*path);
  if (!doc["kind"].is_string() || !kindFromName(doc["kind"].get_ref<const std::string&>())) {
    return bad("kind", "must be intrusion, fire, medical or other");
  }
  a.kind = *kindFromName(doc["kind"].get_ref<const std::string&>());
  auto cameras = idList(doc, "cameras", kMaxCameras);
  if (!cameras) return cameras.status();
  a.cameras = std::move(*cameras);
  struct TextField {
    const char* key;
    std::string* out;
  };
  for (auto [key, out] : {TextField{"note", &a.note}, TextField{"outcome", &a.outcome}}) {
    auto t = textField(doc, key, kMaxTextChars, false);
    if (!t) return t.status();
    *out = std::move(*t);
  }
  for (auto [key, out] : {TextField{"acknowledged_by", &a.acknowledgedBy}, TextField{"assigned_to", &a.assignedTo},
                          TextField{"closed_by", &a.closedBy}, TextField{"escalated_to", &a.escalatedTo}}) {
    auto t = actorField(doc, key);
    if (!t) return t.status();
    *out = std::move(*t);
  }
  struct TimeField {
    const char* key;
    int64_t* out;
  };
  for (auto [key, out] : {TimeField{"raised_at", &a.raisedAt}, TimeField{"delivered_at", &a.deliveredAt},
                          TimeField{"acknowledged_at", &a.acknowledgedAt}, TimeField{"assigned_at", &a.assignedAt},
                          TimeField{"closed_at", &a.closedAt}}) {
    auto t = millisField(doc, key);
    if (!t) return t.status();
    *out = *t;
  }
  if (a.raisedAt == 0) return bad("raised_at", "must be set");
  if (a.acknowledgedBy.empty() != (a.acknowledgedAt == 0)) return bad("acknowledged_at", "goes with acknowledged_by");
  if (a.closedBy.empty() != (a.closedAt == 0)) return bad("closed_at", "goes with closed_by");
  if (a.closedAt != 0 && a.acknowledgedBy.empty()) return bad("closed_at", "a closed alarm is acknowledged");
  const json& notes = doc["notes"];
  if (!notes.is_array() || notes.size() > kMaxNotes) return bad("notes", fmt::format("at most {}", kMaxNotes));
  for (const json& n : notes) {
    VIGIL_RETURN_IF_ERROR(link::onlyKeys(n, "alarm.notes[]", {"by", "at", "text"}));
    Note note;
    auto by = actorField(n, "by");
    if (!by) return by.status();
    auto at = millisField(n, "at");
    if (!at) return at.status();
    auto text = textField(n, "text", kMaxTextChars, true);
    if (!text) return text.status();
    a.notes.push_back({std::move(*by), *at, std::move(*text)});
  }
  return a;
}

bool merge(Alarm& ours, const Alarm& theirs, bool fromParent) {
  const Alarm before = ours;
  if (ours.deliveredAt == 0 || (theirs.deliveredAt != 0 && theirs.deliveredAt < ours.deliveredAt)) {
    ours.deliveredAt = theirs.deliveredAt;
  }
  takeEarlier(ours.acknowledgedBy, ours.acknowledgedAt, theirs.acknowledgedBy, theirs.acknowledgedAt);
  if (theirs.assignedAt > ours.assignedAt ||
      (theirs.assignedAt == ours.assignedAt && theirs.assignedTo > ours.assignedTo)) {
    ours.assignedTo = theirs.assignedTo;
    ours.assignedAt = theirs.assignedAt;
  }
  for (const Note& n : theirs.notes) {
    if (std::find(ours.notes.begin(), ours.notes.end(), n) == ours.notes.end()) ours.notes.push_back(n);
  }
  // One order and, past the cap, the same earliest notes on every node, so records converge.
  std::sort(ours.notes.begin(), ours.notes.end(),
            [](const Note& a, const Note& b) { return std::tie(a.at, a.by, a.text) < std::tie(b.at, b.by, b.text); });
  if (ours.notes.size() > kMaxNotes) ours.notes.resize(kMaxNotes);
  if (takeEarlier(ours.closedBy, ours.closedAt, theirs.closedBy, theirs.closedAt)) ours.outcome = theirs.outcome;
  if (!theirs.escalatedTo.empty() && (fromParent || ours.escalatedTo.empty())) ours.escalatedTo = theirs.escalatedTo;
  return !(ours == before);
}

std::vector<std::string> describeChanges(const Alarm& before, const Alarm& after) {
  std::vector<std::string> out;
  if (before.deliveredAt == 0 && after.deliveredAt != 0) out.push_back("delivered to the desk");
  if (before.escalatedTo != after.escalatedTo) out.push_back("escalated to " + after.escalatedTo);
  if (before.acknowledgedBy != after.acknowledgedBy) out.push_back("acknowledged by " + after.acknowledgedBy);
  if (before.assignedTo != after.assignedTo || before.assignedAt != after.assignedAt) {
    out.push_back("assigned to " + after.assignedTo);
  }
  for (const Note& n : after.notes) {
    if (std::find(before.notes.begin(), before.notes.end(), n) == before.notes.end()) {
      out.push_back("note by " + n.by + ": " + n.text);
    }
  }
  if (before.closedBy != after.closedBy) out.push_back("closed by " + after.closedBy + ": " + after.outcome);
  return out;
}

}  // namespace vigil::alarm
