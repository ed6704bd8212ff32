#include "http/overview_routes.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>

#include "http/input.h"
#include "link/overview.h"

namespace vigil::http {

namespace {

using nlohmann::json;

constexpr size_t kWorst = 10;
constexpr int64_t kDayMicros = int64_t{86400} * 1'000'000;

json optional(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

std::string dotted(const std::vector<std::string>& path) {
  std::string out;
  for (const std::string& id : path) out += (out.empty() ? "" : ".") + id;
  return out;
}

// A node of the overview: this one (path empty) or one under it.
struct Row {
  link::NodeBelow node;
  std::string link;  // "self", "connected", "offline"
  bool totals = false;
  std::vector<std::optional<double>> daily;  // this node's and its children's: their subtree's
  int64_t camerasNamed = 0;                  // its cameras this node may name (its children's only)
};

struct CameraRow {
  std::string id;
  std::vector<std::string> node;  // the path of the node it belongs to (empty: this one)
  OverviewCamera camera;
};

struct Overview {
  std::vector<Row> rows;
  std::vector<CameraRow> cameras;
};

Result<Overview> gather(const OverviewSources& s, WallTime now) {
  Overview o;
  const link::HealthSummary own = s.own();
  o.rows.push_back({.node = {.name = s.node.name,
                             .tier = std::string(tierName(s.node.tier)),
                             .connected = true,
                             .lastSeen = now,
                             .camerasTotal = own.camerasTotal,
                             .camerasOnline = own.camerasOnline,
                             .figures = own.figures},
                    .link = "self",
                    .totals = true,
                    .daily = own.daily});
  for (OverviewCamera& c : s.cameras()) o.cameras.push_back({c.id, {}, std::move(c)});
  if (!s.children || !s.health) return o;
  for (link::NodeRow& r : link::nodesBelow(s.children->status(), s.health->summaries())) {
    const std::string state = r.node.connected ? "connected" : "offline";
    o.rows.push_back({.node = std::move(r.node), .link = state, .totals = r.totals, .daily = std::move(r.daily)});
  }
  // A child's camera is named only as this tier's catalog lists it (shared with this tier).
  std::map<std::pair<std::string, std::string>, std::string> listed;
  if (s.remote) {
    for (const link::RemoteCamera& c : s.remote()) {
      if (c.nodePath.size() == 1) listed[{c.nodePath.front(), c.id.substr(c.id.find('.') + 1)}] = c.entry.name;
    }
  }
  std::map<std::string, Row*> childRows;
  for (Row& row : o.rows) {
    if (row.node.path.size() == 1) childRows[row.node.path.front()] = &row;
  }
  auto reported = s.health->reportedCameras(now);
  if (!reported) return reported.status();
  for (const link::ReportedCamera& c : *reported) {
    auto name = listed.find({c.child, c.camera});
    if (name == listed.end()) continue;
    o.cameras.push_back({c.child + "." + c.camera,
                         {c.child},
                         {c.child + "." + c.camera, name->second, c.last.online.value_or(false), false, c.week.rate,
                          c.month.rate}});
    if (auto row = childRows.find(c.child); row != childRows.end()) ++row->second->camerasNamed;
  }
  return o;
}

bool startsWith(const std::vector<std::string>& path, const std::vector<std::string>& prefix) {
  return path.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
}

// `under`: a dotted path from this node's child, or a node's id when only one node has it.
Result<std::optional<std::vector<std::string>>> findUnder(const Overview& o, const std::string& under) {
  if (under.empty()) return std::optional<std::vector<std::string>>();
  std::vector<const Row*> found;
  for (const Row& r : o.rows) {
    if (!r.node.path.empty() && (dotted(r.node.path) == under || r.node.path.back() == under)) found.push_back(&r);
  }
  if (found.empty()) return Status::notFound(fmt::format("no node {} under this one", under));
  const auto exact = std::find_if(found.begin(), found.end(), [&](const Row* r) { return dotted(r->node.path) == under; });
  if (exact != found.end()) return std::optional((*exact)->node.path);
  if (found.size() > 1) return Status::invalidArgument(fmt::format("{} names several nodes: give its dotted path", under));
  return std::optional(found.front()->node.path);
}

void keepUnder(Overview& o, const std::vector<std::string>& path) {
  std::erase_if(o.rows, [&](const Row& r) { return !startsWith(r.node.path, path); });
  std::erase_if(o.cameras, [&](const CameraRow& c) { return c.node.empty() || !startsWith(c.node, path); });
}

std::optional<double> daysBetween(WallTime from, WallTime to) {
  return static_cast<double>((to - from).count()) / static_cast<double>(kDayMicros);
}

// The rows as JSON text: at a county (2,000 nodes) building them as a
// json tree and dumping it was most of the answer's time (DECISIONS.md 92).
class JsonText {
 public:
  explicit JsonText(std::string& out) : out_(out) {}
  // One object's fields, then end() closes it.
  JsonText& begin() {
    out_ += '{';
    first_ = true;
    return *this;
  }
  void end() { out_ += '}'; }
  JsonText& field(std::string_view key, std::nullptr_t) { return name(key).raw("null"); }
  JsonText& field(std::string_view key, bool v) { return name(key).raw(v ? "true" : "false"); }
  JsonText& field(std::string_view key, int64_t v) { return number(key, v); }
  JsonText& field(std::string_view key, uint64_t v) { return number(key, v); }
  JsonText& field(std::string_view key, double v) { return number(key, v); }
  JsonText& field(std::string_view key, const std::optional<double>& v) {
    return v ? field(key, *v) : field(key, nullptr);
  }
  JsonText& field(std::string_view key, std::string_view v) {
    name(key);
    string(v);
    return *this;
  }
  JsonText& field(std::string_view key, const std::vector<std::string>& v) {
    name(key);
    out_ += '[';
    for (size_t i = 0; i < v.size(); ++i) {
      if (i > 0) out_ += ',';
      string(v[i]);
    }
    out_ += ']';
    return *this;
  }

 private:
  JsonText& name(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    string(key);
    out_ += ':';
    return *this;
  }
  JsonText& raw(std::string_view text) {
    out_ += text;
    return *this;
  }
  JsonText& number(std::string_view key, auto v) {
    name(key);
    fmt::format_to(std::back_inserter(out_), "{}", v);
    return *this;
  }
  // Quoted, with '"', '\\' and control characters escaped (names are valid UTF-8: link::isValidNodeName).
  void string(std::string_view v) {
    out_ += '"';
    for (char c : v) {
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        fmt::format_to(std::back_inserter(out_), "\\u{:04x}", static_cast<unsigned>(c));
      } else {
        out_ += c;
      }
    }
    out_ += '"';
  }

  std::string& out_;
  bool first_ = true;
};

void rowJson(JsonText& out, const Row& r, WallTime now) {
  out.begin()
      .field("id", r.node.path.empty() ? std::string() : dotted(r.node.path))
      .field("path", r.node.path)
      .field("name", r.node.name)
      .field("tier", r.node.tier)
      .field("link", r.link);
  if (r.node.lastSeen) {
    out.field("last_seen", r.node.lastSeen->toRfc3339());
  } else {
    out.field("last_seen", nullptr);
  }
  out.field("totals_shared", r.totals).field("cameras_named", r.camerasNamed);
  const char* const figures[] = {"cameras_total", "cameras_online", "cameras_recording", "online_rate_7d",
                                 "online_rate_30d", "storage_used_bytes", "storage_bytes_per_day",
                                 "storage_capacity_bytes", "days_kept", "days_forecast", "alarms_open"};
  if (!r.totals) {
    for (const char* key : figures) out.field(key, nullptr);  // its owner shares none
    out.end();
    return;
  }
  const link::NodeFigures& f = r.node.figures;
  out.field("cameras_total", r.node.camerasTotal)
      .field("cameras_online", r.node.camerasOnline)
      .field("cameras_recording", f.camerasRecording)
      .field("online_rate_7d", f.rate7d)
      .field("online_rate_30d", f.rate30d)
      .field("storage_used_bytes", f.storageUsedBytes)
      .field("storage_bytes_per_day", f.storageBytesPerDay)
      .field("storage_capacity_bytes", f.storageCapacityBytes)
      .field("days_kept", f.oldestRecording ? daysBetween(*f.oldestRecording, now) : std::nullopt)
      // At the current write rate, how many days the storage holds.
      .field("days_forecast", f.storageBytesPerDay > 0 ? std::optional(static_cast<double>(f.storageCapacityBytes) /
                                                                       static_cast<double>(f.storageBytesPerDay))
                                                       : std::nullopt)
      .field("alarms_open", f.alarmsOpen)
      .end();
}

void cameraJson(JsonText& out, const CameraRow& c) {
  out.begin()
      .field("id", c.id)
      .field("node", dotted(c.node))
      .field("name", c.camera.name)
      .field("online", c.camera.online)
      .field("recording", c.camera.recording)
      .field("online_rate_7d", c.camera.rate7d)
      .field("online_rate_30d", c.camera.rate30d)
      .end();
}

// `items` as a JSON array written by `write`.
template <class T>
std::string arrayText(const std::vector<T>& items, auto write) {
  std::string text = "[";
  JsonText out(text);
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) text += ',';
    write(out, items[i]);
  }
  return text + "]";
}

// Lowest first; unknown last; offline before online at equal rates.
template <class T>
std::vector<const T*> worst(std::vector<const T*> out, auto rate, auto online) {
  std::stable_sort(out.begin(), out.end(), [&](const T* a, const T* b) {
    const std::optional<double> ra = rate(*a);
    const std::optional<double> rb = rate(*b);
    if (ra.has_value() != rb.has_value()) return ra.has_value();
    if (ra && *ra != *rb) return *ra < *rb;
    return online(*a) < online(*b);
  });
  if (out.size() > kWorst) out.resize(kWorst);
  return out;
}

// The answer as JSON text.
std::string overviewJson(const OverviewSources& s, const Overview& o, const std::string& under, WallTime now) {
  json totals{{"nodes", o.rows.size()}, {"nodes_offline", 0}, {"cameras_total", 0}, {"cameras_online", 0},
              {"cameras_recording", 0}, {"storage_used_bytes", 0}, {"alarms_open", 0}};
  double weight7 = 0, sum7 = 0, weight30 = 0, sum30 = 0;
  std::vector<std::pair<link::DailyRates, int64_t>> daily;
  const size_t top = o.rows.empty() ? 0 : o.rows.front().node.path.size();  // this node's row (0), or the one asked
  // The cameras below each node (with totals), for its series' weight.
  std::map<std::vector<std::string>, int64_t> camerasBelow;
  for (const Row& r : o.rows) {
    if (!r.totals) continue;
    for (size_t depth = 1; depth < r.node.path.size(); ++depth) {
      camerasBelow[{r.node.path.begin(), r.node.path.begin() + static_cast<ptrdiff_t>(depth)}] += r.node.camerasTotal;
    }
  }
  for (const Row& r : o.rows) {
    if (r.link == "offline") totals["nodes_offline"] = totals["nodes_offline"].get<int64_t>() + 1;
    if (!r.totals) continue;
    totals["cameras_total"] = totals["cameras_total"].get<int64_t>() + r.node.camerasTotal;
    totals["cameras_online"] = totals["cameras_online"].get<int64_t>() + r.node.camerasOnline;
    totals["cameras_recording"] = totals["cameras_recording"].get<int64_t>() + r.node.figures.camerasRecording;
    totals["storage_used_bytes"] = totals["storage_used_bytes"].get<uint64_t>() + r.node.figures.storageUsedBytes;
    totals["alarms_open"] = totals["alarms_open"].get<int64_t>() + r.node.figures.alarmsOpen;
    const auto cameras = static_cast<double>(r.node.camerasTotal);
    if (r.node.figures.rate7d) sum7 += *r.node.figures.rate7d * cameras, weight7 += cameras;
    if (r.node.figures.rate30d) sum30 += *r.node.figures.rate30d * cameras, weight30 += cameras;
    // The chart: this node's own series and each child's (its subtree's), or the series of the node asked.
    const bool series = top == 0 ? r.link == "self" || r.node.path.size() == 1 : r.node.path.size() == top;
    if (!series) continue;
    int64_t weight = r.node.camerasTotal;
    if (auto below = camerasBelow.find(r.node.path); r.link != "self" && below != camerasBelow.end()) {
      weight += below->second;
    }
    daily.emplace_back(r.daily, weight);
  }
  totals["online_rate_7d"] = weight7 > 0 ? json(sum7 / weight7) : json(nullptr);
  totals["online_rate_30d"] = weight30 > 0 ? json(sum30 / weight30) : json(nullptr);
  json days = json::array();
  const link::DailyRates combined = link::combineDaily(daily);
  const int64_t today = now.unixMicros() / kDayMicros * kDayMicros;
  for (size_t i = 0; i < combined.size(); ++i) {
    const WallTime day = WallTime::fromUnixMicros(today - static_cast<int64_t>(combined.size() - 1 - i) * kDayMicros);
    days.push_back({{"day", day.toRfc3339().substr(0, 10)}, {"online_rate", optional(combined[i])}});
  }
  std::vector<const CameraRow*> worstCameras;
  for (const CameraRow& c : o.cameras) worstCameras.push_back(&c);
  worstCameras = worst(std::move(worstCameras), [](const CameraRow& c) { return c.camera.rate7d; },
                       [](const CameraRow& c) { return c.camera.online; });
  std::vector<const Row*> worstNodes;
  for (const Row& r : o.rows) {
    if (r.totals && r.link != "self") worstNodes.push_back(&r);
  }
  worstNodes = worst(std::move(worstNodes), [](const Row& r) { return r.node.figures.rate7d; },
                     [](const Row& r) { return r.link == "connected"; });
  const auto row = [now](JsonText& out, const Row& r) { rowJson(out, r, now); };
  const auto camera = [](JsonText& out, const CameraRow& c) { cameraJson(out, c); };
  const json head{{"node", {{"id", s.node.id}, {"name", s.node.name}, {"tier", tierName(s.node.tier)}}},
                  {"at", now.toRfc3339()},
                  {"under", under.empty() ? json(nullptr) : json(under)},
                  {"totals", std::move(totals)},
                  {"daily", std::move(days)}};
  std::string text = head.dump();
  text.pop_back();  // its '}': the arrays follow
  text += ",\"nodes\":" + arrayText(o.rows, row);
  text += ",\"cameras\":" + arrayText(o.cameras, camera);
  text += ",\"worst_cameras\":" + arrayText(worstCameras, [&](JsonText& out, const CameraRow* c) { camera(out, *c); });
  text += ",\"worst_nodes\":" + arrayText(worstNodes, [&](JsonText& out, const Row* r) { row(out, *r); });
  return text + "}";
}

// RFC 4180: a field with a comma, quote or line break is quoted, its
// quotes doubled; one that a spreadsheet would take for a formula gets a
// leading quote (names come from other nodes).
std::string csvField(const json& v) {
  std::string text = v.is_null() ? "" : v.is_string() ? v.get<std::string>() : v.dump();
  if (!text.empty() && std::string_view("=+-@\t\r").find(text.front()) != std::string_view::npos && !v.is_number()) {
    text.insert(text.begin(), '\'');
  }
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string overviewCsv(const json& overview) {
  static const char* const kColumns[] = {
      "kind", "id", "node", "name", "tier", "link", "last_seen", "cameras_total", "cameras_online",
      "cameras_recording", "online", "online_rate_7d", "online_rate_30d", "storage_used_bytes",
      "storage_bytes_per_day", "storage_capacity_bytes", "days_kept", "days_forecast", "alarms_open"};
  std::string out;
  for (const char* c : kColumns) out += std::string(out.empty() ? "" : ",") + c;
  out += "\r\n";
  auto line = [&](const char* kind, json row) {
    row["kind"] = kind;
    std::string text;
    for (const char* c : kColumns) text += std::string(text.empty() ? "" : ",") + csvField(row.value(c, json(nullptr)));
    out += text + "\r\n";
  };
  for (const json& n : overview["nodes"]) line("node", n);
  for (const json& c : overview["cameras"]) line("camera", c);
  return out;
}

Result<std::string> answer(const OverviewSources& s, const Request& req) {
  auto query = parseQuery(req.query);
  if (!query) return query.status();
  const std::string under = query->count("under") ? query->at("under") : std::string();
  const WallTime now = SystemClock::instance().now();
  auto o = gather(s, now);
  if (!o) return o.status();
  auto path = findUnder(*o, under);
  if (!path) return path.status();
  if (*path) keepUnder(*o, **path);
  return overviewJson(s, *o, under, now);
}

}  // namespace

void addOverviewRoutes(HttpServer& server, OverviewSources sources) {
  server.route("GET", "/api/v1/overview", Access::kOperator, [sources](const Request& req) {
    auto text = answer(sources, req);
    if (!text) return errorResponse(text.status());
    return Response::json(200, std::move(*text));
  });
  server.route("GET", "/api/v1/overview.csv", Access::kOperator, [sources](const Request& req) {
    auto text = answer(sources, req);
    if (!text) return errorResponse(text.status());
    Response r{.status = 200, .contentType = "text/csv; charset=utf-8", .body = overviewCsv(json::parse(*text))};
    r.headers.emplace_back("Content-Disposition", attachmentDisposition("overview.csv"));
    return r;
  });
}

}  // namespace vigil::http
