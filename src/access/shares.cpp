#include "access/shares.h"

#include <fmt/format.h>

#include <ctime>
#include <nlohmann/json.hpp>

namespace vigil::access {

namespace {

constexpr int kMinutesPerDay = 24 * 60;
// [ { "rights": [ ] } ] opens containers at depths 0, 1 and 2: anything
// deeper is not a share list, and is refused before a deep value is built.
constexpr int kMaxDepth = 2;
constexpr size_t kMaxShares = 3;  // one per tier

constexpr ShareRight kRights[] = {ShareRight::kLive, ShareRight::kPlayback, ShareRight::kExport, ShareRight::kSnapshot};

// "HH:MM" as minutes of the day; 24:00 only when `endOfDay` is allowed.
std::optional<int> parseClockTime(std::string_view t, bool endOfDay) {
  auto digit = [&](size_t i) { return t[i] >= '0' && t[i] <= '9' ? t[i] - '0' : -1; };
  if (t.size() != 5 || t[2] != ':') return std::nullopt;
  for (size_t i : {0, 1, 3, 4}) {
    if (digit(i) < 0) return std::nullopt;
  }
  const int h = digit(0) * 10 + digit(1), m = digit(3) * 10 + digit(4);
  if (m > 59 || h > 24 || (h == 24 && (m != 0 || !endOfDay))) return std::nullopt;
  return h * 60 + m;
}

Status fieldError(size_t index, std::string_view field, std::string_view what) {
  return Status::invalidArgument(fmt::format("shares[{}].{}: {}", index, field, what));
}

Result<Share> parseShare(const nlohmann::json& j, size_t i) {
  if (!j.is_object()) return Status::invalidArgument(fmt::format("shares[{}]: must be an object", i));
  for (const auto& [key, value] : j.items()) {
    if (key != "tier" && key != "rights" && key != "only_during_alarm" && key != "hours" && key != "expires_at") {
      const bool plain = key.size() <= 64 && key.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos;
      return Status::invalidArgument(fmt::format("shares[{}]{}: unknown field", i, plain ? "." + key : ""));
    }
  }
  Share share;
  auto tier = j.find("tier");
  if (tier == j.end()) return fieldError(i, "tier", "required");
  const auto parsedTier = tier->is_string() ? parseTier(tier->get_ref<const std::string&>())
                                            : Result<Tier>(Status::invalidArgument("not a string"));
  if (!parsedTier || *parsedTier == Tier::kHousehold) return fieldError(i, "tier", "must be village, township or county (a camera is shared only upward)");
  share.tier = *parsedTier;

  auto rights = j.find("rights");
  if (rights == j.end()) return fieldError(i, "rights", "required");
  if (!rights->is_array() || rights->empty()) {
    return fieldError(i, "rights", "must be a non-empty array of live, playback, export, snapshot");
  }
  for (size_t r = 0; r < rights->size(); ++r) {
    const auto& v = (*rights)[r];
    const std::optional<ShareRight> right = v.is_string() ? parseShareRight(v.get_ref<const std::string&>()) : std::nullopt;
    const std::string field = fmt::format("rights[{}]", r);
    if (!right) return fieldError(i, field, "must be live, playback, export or snapshot");
    if (!share.rights.insert(*right).second) return fieldError(i, field, "given twice");
  }

  if (auto alarm = j.find("only_during_alarm"); alarm != j.end()) {
    if (!alarm->is_boolean()) return fieldError(i, "only_during_alarm", "must be true or false");
    share.onlyDuringAlarm = alarm->get<bool>();
  }
  if (auto hours = j.find("hours"); hours != j.end() && !hours->is_null()) {
    if (!hours->is_string()) return fieldError(i, "hours", "must be a string like \"08:00-20:00\"");
    auto parsed = parseDailyHours(hours->get_ref<const std::string&>());
    if (!parsed) return fieldError(i, "hours", parsed.status().message());
    share.hours = *parsed;
  }
  if (auto expires = j.find("expires_at"); expires != j.end() && !expires->is_null()) {
    if (!expires->is_string()) return fieldError(i, "expires_at", "must be an RFC 3339 time like 2027-01-01T00:00:00Z");
    auto parsed = WallTime::parseRfc3339(expires->get_ref<const std::string&>());
    if (!parsed) return fieldError(i, "expires_at", "must be an RFC 3339 time like 2027-01-01T00:00:00Z");
    share.expiresAt = *parsed;
  }
  return share;
}

}  // namespace

std::string_view shareRightName(ShareRight right) {
  switch (right) {
    case ShareRight::kLive: return "live";
    case ShareRight::kPlayback: return "playback";
    case ShareRight::kExport: return "export";
    case ShareRight::kSnapshot: return "snapshot";
  }
  return "live";
}

std::optional<ShareRight> parseShareRight(std::string_view name) {
  for (ShareRight r : kRights) {
    if (shareRightName(r) == name) return r;
  }
  return std::nullopt;
}

bool DailyHours::contains(int minuteOfDay) const {
  return start < end ? minuteOfDay >= start && minuteOfDay < end : minuteOfDay >= start || minuteOfDay < end;
}

std::string DailyHours::text() const {
  return fmt::format("{:02}:{:02}-{:02}:{:02}", start / 60, start % 60, end / 60, end % 60);
}

Result<DailyHours> parseDailyHours(std::string_view text) {
  const size_t dash = text.find('-');
  const std::optional<int> start = dash == std::string_view::npos ? std::nullopt : parseClockTime(text.substr(0, dash), false);
  const std::optional<int> end = dash == std::string_view::npos ? std::nullopt : parseClockTime(text.substr(dash + 1), true);
  if (!start || !end) return Status::invalidArgument("must be HH:MM-HH:MM, like 08:00-20:00 or 20:00-08:00");
  if (*start == *end % kMinutesPerDay) {
    return Status::invalidArgument("start and end are the same; leave hours out to share all day");
  }
  return DailyHours{*start, *end};
}

Result<std::vector<Share>> parseShares(std::string_view json) {
  bool tooDeep = false;
  nlohmann::json::parser_callback_t depthGuard = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
    using Event = nlohmann::json::parse_event_t;
    if ((event == Event::object_start || event == Event::array_start) && depth > kMaxDepth) tooDeep = true;
    return !tooDeep;
  };
  nlohmann::json j = nlohmann::json::parse(json, depthGuard, /*allow_exceptions=*/false);
  if (tooDeep) return Status::invalidArgument("shares: nested too deeply");
  if (j.is_discarded()) return Status::invalidArgument("shares: not valid JSON");
  if (!j.is_array()) return Status::invalidArgument("shares: must be a JSON array (empty: shared with no one)");
  if (j.size() > kMaxShares) return Status::invalidArgument("shares: more than 3 (one per tier at most)");
  std::vector<Share> shares;
  for (size_t i = 0; i < j.size(); ++i) {
    auto share = parseShare(j[i], i);
    if (!share) return share.status();
    for (const Share& earlier : shares) {
      if (earlier.tier == share->tier) return fieldError(i, "tier", fmt::format("{} is given twice", tierName(share->tier)));
    }
    shares.push_back(std::move(*share));
  }
  return shares;
}

std::string sharesJson(const std::vector<Share>& shares) {
  nlohmann::json list = nlohmann::json::array();
  for (const Share& s : shares) {
    nlohmann::json rights = nlohmann::json::array();
    for (ShareRight r : s.rights) rights.push_back(shareRightName(r));
    list.push_back({{"tier", tierName(s.tier)},
                    {"rights", rights},
                    {"only_during_alarm", s.onlyDuringAlarm},
                    {"hours", s.hours ? nlohmann::json(s.hours->text()) : nlohmann::json()},
                    {"expires_at", s.expiresAt ? nlohmann::json(s.expiresAt->toRfc3339()) : nlohmann::json()}});
  }
  return list.dump();
}

Status decideShare(const std::vector<Share>& shares, const ShareAsk& ask) {
  const std::string_view tier = tierName(ask.tier);
  for (const Share& s : shares) {
    if (s.tier != ask.tier) continue;
    if (!s.rights.contains(ask.right)) {
      return Status::permissionDenied(fmt::format("{} not shared with the {}", shareRightName(ask.right), tier));
    }
    if (s.expiresAt && ask.at >= *s.expiresAt) return Status::permissionDenied("expired");
    if (s.onlyDuringAlarm && !ask.alarmOpen) return Status::permissionDenied("only during an alarm");
    if (s.hours && !s.hours->contains(ask.localMinute)) {
      return Status::permissionDenied(fmt::format("outside hours {}", s.hours->text()));
    }
    return Status::ok();
  }
  return Status::permissionDenied(fmt::format("not shared with the {}", tier));
}

int localMinuteOfDay(WallTime at) {
  const std::time_t secs = static_cast<std::time_t>(at.unixMicros() / 1'000'000 - (at.unixMicros() % 1'000'000 < 0));
  std::tm local{};
  localtime_r(&secs, &local);
  return local.tm_hour * 60 + local.tm_min;
}

}  // namespace vigil::access
