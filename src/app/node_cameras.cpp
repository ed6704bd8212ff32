#include "app/node_cameras.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "access/node_key.h"
#include "app/camera_json.h"
#include "base/encoding.h"
#include "base/log.h"
#include "base/url_credentials.h"
#include "camera/config.h"
#include "http/onvif_routes.h"

namespace vigil::app {

namespace {

using json = nlohmann::json;

constexpr std::string_view kManagedByFile = "file";
constexpr std::string_view kManagedByUi = "ui";

std::string_view recordModeName(storage::RecordMode mode) {
  switch (mode) {
    case storage::RecordMode::kContinuous: return "continuous";
    case storage::RecordMode::kEvents: return "events";
    case storage::RecordMode::kOff: return "off";
  }
  return "?";
}

// A file camera as get() shows it: the keys people edit in the UI.
json fileCameraTable(const ConfiguredCamera& c) {
  json table = {{"id", c.camera.id},
                {"name", c.camera.name},
                {"url", c.camera.url},
                {"record", recordModeName(c.recording.record)},
                {"retain_days", c.recording.retainDays},
                {"pre_roll_s", c.recording.preRollSeconds},
                {"post_roll_s", c.recording.postRollSeconds}};
  if (!c.camera.subUrl.empty()) table["sub_url"] = c.camera.subUrl;
  if (c.recording.recordSub) table["record_sub"] = "continuous";
  if (!c.camera.username.empty()) table["username"] = c.camera.username;
  if (!c.camera.password.empty()) table["password"] = c.camera.password;
  json shown = publicCameraTable(table);
  shown["managed_by"] = kManagedByFile;
  shown["enabled"] = true;
  return shown;
}

json shownStored(const StoredCamera& c) {
  json shown = publicCameraTable(c.table);
  shown["id"] = c.id;
  shown["managed_by"] = kManagedByUi;
  shown["enabled"] = c.enabled;
  return shown;
}

bool isPasswordKey(std::string_view key) { return key == "password" || key.ends_with("_password"); }
bool isOnvifLoginKey(std::string_view key) { return key == "onvif_username" || key == "onvif_password"; }

// Whether `s` can be a TOML string: nlohmann refuses to write invalid UTF-8.
bool isUtf8(const std::string& s) {
  try {
    (void)json(s).dump();
    return true;
  } catch (const json::exception&) {
    return false;
  }
}

bool hasMasks(const ConfiguredCamera& c) { return !c.detect.masks.empty(); }

// The keys whose values differ between two tables, for the audit row
// (names only: values may be secret).
json changedKeys(const json& before, const json& after) {
  json keys = json::array();
  for (const auto& [key, value] : after.items()) {
    if (!before.contains(key) || before[key] != value) keys.push_back(key);
  }
  for (const auto& [key, value] : before.items()) {
    if (!after.contains(key)) keys.push_back(key);
  }
  return keys;
}

}  // namespace

json publicCameraTable(const json& table) {
  json shown = json::object();
  bool hasPassword = false;
  for (const auto& [key, value] : table.items()) {
    if (isPasswordKey(key)) {
      const bool set = value.is_string() && !value.get_ref<const std::string&>().empty();
      if (key == "password") {
        hasPassword = hasPassword || set;
      } else {
        shown["has_" + key] = set;  // onvif_password: has_onvif_password
      }
      continue;
    }
    if (value.is_string() && value.get_ref<const std::string&>().find("://") != std::string::npos) {
      const std::string& url = value.get_ref<const std::string&>();
      if (auto userinfo = findUrlUserinfo(url); userinfo && userinfo->password && !userinfo->password->empty()) {
        hasPassword = true;
      }
      shown[key] = redactWholeUrl(url);
      continue;
    }
    shown[key] = value;
  }
  shown["has_password"] = hasPassword;
  return shown;
}

namespace {

// The host of a URL ("rtsp://u:p@10.0.0.7:554/s" -> "10.0.0.7"), lower case.
std::string hostOf(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  std::string_view authority = url.substr(scheme + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) authority = authority.substr(at + 1);
  const size_t end = authority.starts_with('[') ? authority.find(']') + 1 : authority.find(':');
  std::string host(authority.substr(0, end));
  std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
  return host;
}

// The hosts a password of `table` goes to: the ONVIF device's for
// onvif_password; those of the camera's URLs for its own, and the
// device's too when the device has no password of its own.
std::set<std::string> hostsOfPassword(std::string_view key, const json& table, bool deviceHasItsOwn) {
  std::set<std::string> hosts;
  for (const auto& [name, value] : table.items()) {
    if (!value.is_string() || value.get_ref<const std::string&>().find("://") == std::string::npos) continue;
    const bool device = name == "onvif";
    if (key == "onvif_password" ? device : (!device || !deviceHasItsOwn)) {
      hosts.insert(hostOf(value.get_ref<const std::string&>()));
    }
  }
  return hosts;
}

}  // namespace

Status keepStoredSecrets(const json& stored, json& sent) {
  // The device keeps a password of its own while `onvif` stays.
  const bool deviceHasItsOwn =
      sent.contains("onvif_password") || (stored.contains("onvif_password") && sent.contains("onvif"));
  for (const auto& [key, value] : stored.items()) {
    if (!isSecretCameraKey(key, value)) continue;
    auto given = sent.find(key);
    if (given == sent.end()) {
      // Left out: kept; but the ONVIF device's login goes with its address.
      const bool kept = isPasswordKey(key) || key == "username" || key == "onvif_username";
      if (!kept || (isOnvifLoginKey(key) && !sent.contains("onvif"))) continue;
      // Not to a host it was not given for: an admin, who may not read it,
      // could point the camera (an RTSP server asking Basic reads it in
      // clear) or its device (which gets its digest) at a host of theirs.
      if (isPasswordKey(key) && value.is_string() && !value.get_ref<const std::string&>().empty()) {
        const auto before = hostsOfPassword(key, stored, stored.contains("onvif_password"));
        for (const std::string& host : hostsOfPassword(key, sent, deviceHasItsOwn)) {
          if (!before.contains(host)) {
            return Status::invalidArgument(fmt::format(
                "{}: give it again for the new address (host {}): a password left out is kept only for the hosts "
                "it was given for",
                key, host));
          }
        }
      }
      sent[key] = value;
    } else if (value.is_string() && given->is_string() &&
               *given == redactWholeUrl(value.get_ref<const std::string&>())) {
      *given = value;  // sent back as shown: kept
    }
  }
  return Status::ok();
}

void moveUrlCredentials(json& table) {
  auto url = table.find("url");
  if (url == table.end() || !url->is_string()) return;
  const std::string main = url->get<std::string>();
  const auto userinfo = findUrlUserinfo(main);
  if (!userinfo) return;
  const auto user = percentDecode(userinfo->user);
  const auto password = userinfo->password ? percentDecode(*userinfo->password) : std::optional<std::string>("");
  if (!user || !password || !isUtf8(*user) || !isUtf8(*password)) return;  // left as written: the reader decides
  if (!table.contains("username") && !table.contains("password")) {
    table["username"] = *user;
    table["password"] = *password;
    *url = main.substr(0, userinfo->begin) + main.substr(userinfo->end + 1);
  }
  auto sub = table.find("sub_url");
  if (sub == table.end() || !sub->is_string()) return;
  const std::string subUrl = sub->get<std::string>();
  const auto subInfo = findUrlUserinfo(subUrl);
  if (subInfo && subInfo->user == userinfo->user && subInfo->password == userinfo->password &&
      table.value("username", "") == *user && table.value("password", "") == *password) {
    *sub = subUrl.substr(0, subInfo->begin) + subUrl.substr(subInfo->end + 1);
  }
}

Result<std::unique_ptr<NodeCameras>> NodeCameras::open(const std::string& dataDir,
                                                       const std::vector<ConfiguredCamera>& file,
                                                       std::string filePath) {
  std::error_code ec;
  std::filesystem::create_directories(dataDir, ec);
  auto key = access::NodeKey::loadOrCreate(std::filesystem::path(dataDir) / "node.key");
  if (!key) return key.status();
  auto store = CameraStore::open((std::filesystem::path(dataDir) / "cameras.db").string(),
                                 access::SecretBox(*key, "camera-secrets"));
  if (!store) return store.status();
  auto rows = (*store)->list();
  if (!rows) return rows.status();
  std::map<std::string, StoredCamera> stored;
  std::map<std::string, json> fileTables;
  for (const ConfiguredCamera& c : file) fileTables[c.camera.id] = fileCameraTable(c);
  for (StoredCamera& c : *rows) {
    if (fileTables.contains(c.id)) {
      // The file names it now: the file's wins, the row waits unused.
      log::warn("cameras.shadowed_by_file", {{"camera", c.id}, {"file", filePath}});
      continue;
    }
    stored.emplace(c.id, std::move(c));
  }
  return std::unique_ptr<NodeCameras>(
      new NodeCameras(std::move(*store), std::move(stored), std::move(fileTables), std::move(filePath)));
}

std::vector<ConfiguredCamera> NodeCameras::enabledCameras() const {
  MutexLock lock(mutex_);
  std::vector<ConfiguredCamera> out;
  for (const auto& [id, c] : stored_) {
    if (!c.enabled) continue;
    auto camera = readCameraJson(c.table);
    if (!camera) {
      log::error("cameras.unreadable", {{"camera", id}, {"error", camera.status()}});
      continue;
    }
    out.push_back(std::move(*camera));
  }
  return out;
}

std::map<std::string, int> NodeCameras::retainDays() const {
  MutexLock lock(mutex_);
  std::map<std::string, int> out;
  for (const auto& [id, c] : stored_) {
    if (auto camera = readCameraJson(c.table)) out[id] = camera->recording.retainDays;
  }
  return out;
}

void NodeCameras::onChange(ChangeHook hook) {
  MutexLock lock(mutex_);
  onChange_ = std::move(hook);
}

void NodeCameras::attach(Node& node, storage::Store* store, access::AuditLog& audit, std::function<void()> restart) {
  MutexLock lock(mutex_);
  attached_ = {&node, store, &audit, std::move(restart)};
}

std::vector<camera::CameraStatus> NodeCameras::statuses() const {
  MutexLock lock(mutex_);
  std::vector<camera::CameraStatus> out;
  if (attached_.node) out = attached_.node->cameraStatuses();
  for (camera::CameraStatus& s : out) s.managedBy = file_.contains(s.id) ? kManagedByFile : kManagedByUi;
  for (const auto& [id, c] : stored_) {
    // Enabled but not running: between the removal and the addition of
    // an update (Node::removeCamera's grace period), it is connecting.
    const std::string& cameraId = id;  // a structured binding cannot be captured
    if (c.enabled &&
        std::any_of(out.begin(), out.end(), [&](const camera::CameraStatus& s) { return s.id == cameraId; })) {
      continue;
    }
    // Disabled but still running: within Node::removeCamera's grace period.
    std::erase_if(out, [&](const camera::CameraStatus& s) { return s.id == cameraId; });
    camera::CameraStatus s;
    s.id = id;
    s.name = c.table.value("name", id);
    s.state = c.enabled ? camera::CameraState::kConnecting : camera::CameraState::kStopped;
    if (!c.enabled) {
      s.reason = "disabled";
      s.reasonCode = camera::ReasonCode::kDisabled;
    }
    s.managedBy = kManagedByUi;
    out.push_back(std::move(s));
  }
  return out;
}

bool NodeCameras::has(const std::string& id) const {
  MutexLock lock(mutex_);
  return file_.contains(id) || stored_.contains(id);
}

Result<json> NodeCameras::get(const std::string& id) const {
  MutexLock lock(mutex_);
  if (auto f = file_.find(id); f != file_.end()) return f->second;
  if (auto s = stored_.find(id); s != stored_.end()) return shownStored(s->second);
  return Status::notFound(fmt::format("no camera \"{}\"", id));
}

std::optional<http::OnvifCamera> NodeCameras::onvifDevice(const std::string& id) const {
  MutexLock lock(mutex_);
  auto stored = stored_.find(id);
  if (stored == stored_.end()) return std::nullopt;
  onvif::CameraOnvifConfig device;
  auto camera = readCameraJson(stored->second.table, &device);
  if (!camera || device.deviceUrl.empty()) return std::nullopt;
  return http::OnvifCamera{device.deviceUrl, device.login(camera->camera.username, camera->camera.password)};
}

Status NodeCameras::checkChangeable(const std::string& id) const {
  if (file_.contains(id)) {
    return Status::failedPrecondition(fmt::format(
        "camera \"{}\" is set in the config file {}: edit the file to change it", id, filePath_));
  }
  if (!stored_.contains(id)) return Status::notFound(fmt::format("no camera \"{}\"", id));
  if (!attached_.node) return Status::unavailable("the node is not running yet");
  return Status::ok();
}

Status NodeCameras::audit(const std::string& id, json detail, const CameraChangeBy& by) {
  return attached_.audit->record({by.user, access::audit_kind::kCameraChange, id, by.client, detail.dump()});
}

void NodeCameras::apply(const std::string& id, bool running, bool masks, bool deleteRecordings) {
  if (masks) {
    // Read again from the database by the restart (runServe).
    log::info("cameras.masks_changed", {{"camera", id}, {"effect", "restart in place"}});
    if (attached_.restart) attached_.restart();
    return;
  }
  if (deleteRecordings) recordingsToDelete_.insert(id);
  // A removal still in its grace period starts the camera as stored when
  // it ends: a change made meanwhile (a rename, then a disable within
  // 500 ms) is not overtaken by the earlier one's restart.
  if (stopping_.contains(id)) return;
  if (running) {
    stopping_.insert(id);
    Status removing = attached_.node->removeCamera(id, [this, id] {
      MutexLock lock(mutex_);
      stopping_.erase(id);
      startAsStored(id);
    });
    if (removing.isOk()) return;
    stopping_.erase(id);  // not running after all (its start failed)
  }
  startAsStored(id);
}

void NodeCameras::startAsStored(const std::string& id) {
  if (recordingsToDelete_.erase(id) > 0 && attached_.store) {
    attached_.store->deleteRecordings(id);
    attached_.store->deleteRecordings(camera::subStreamId(id));  // record_sub's, if any
  }
  auto stored = stored_.find(id);
  if (stored == stored_.end() || !stored->second.enabled) return;
  auto camera = readCameraJson(stored->second.table);
  Status started = camera ? attached_.node->addCamera(std::move(*camera)) : camera.status();
  if (!started.isOk()) log::error("cameras.start_failed", {{"camera", id}, {"error", started}});
}

Result<json> NodeCameras::add(json table, bool enabled, const CameraChangeBy& by) {
  moveUrlCredentials(table);
  auto camera = readCameraJson(table);
  if (!camera) return camera.status();
  const std::string id = camera->camera.id;
  MutexLock lock(mutex_);
  if (!attached_.node) return Status::unavailable("the node is not running yet");
  if (file_.contains(id) || stored_.contains(id)) {
    return Status::alreadyExists(fmt::format("a camera \"{}\" exists already", id));
  }
  // Written first: a change whose row cannot be written is not made.
  VIGIL_RETURN_IF_ERROR(audit(id, {{"action", "add"}, {"enabled", enabled}}, by));
  if (onChange_) VIGIL_RETURN_IF_ERROR(onChange_({id, &*camera, true}, by));
  StoredCamera stored{.id = id, .table = std::move(table), .enabled = enabled};
  VIGIL_RETURN_IF_ERROR(store_->put(stored));
  const json shown = shownStored(stored);
  stored_[id] = std::move(stored);
  if (enabled) apply(id, false, hasMasks(*camera), false);
  return shown;
}

Result<json> NodeCameras::update(const std::string& id, json table, std::optional<bool> enabled,
                                 const CameraChangeBy& by) {
  if (!table.is_object()) return Status::invalidArgument("body: must be a JSON object");
  MutexLock lock(mutex_);
  VIGIL_RETURN_IF_ERROR(checkChangeable(id));
  const StoredCamera& before = stored_.at(id);
  if (!table.contains("id")) table["id"] = id;
  if (table["id"] != id) return Status::invalidArgument("id: cannot change (add the camera again under the new id)");
  VIGIL_RETURN_IF_ERROR(keepStoredSecrets(before.table, table));
  moveUrlCredentials(table);
  auto camera = readCameraJson(table);
  if (!camera) return camera.status();
  auto previous = readCameraJson(before.table);
  const bool nowEnabled = enabled.value_or(before.enabled);
  const char* action = nowEnabled == before.enabled ? "update" : nowEnabled ? "enable" : "disable";
  VIGIL_RETURN_IF_ERROR(audit(id, {{"action", action}, {"changed", changedKeys(before.table, table)}}, by));
  if (onChange_) {
    const bool newView = !previous || previous->camera.url != camera->camera.url ||
                         previous->camera.subUrl != camera->camera.subUrl;
    VIGIL_RETURN_IF_ERROR(onChange_({id, &*camera, newView}, by));
  }
  StoredCamera stored{.id = id, .table = std::move(table), .enabled = nowEnabled};
  VIGIL_RETURN_IF_ERROR(store_->put(stored));
  const bool wasRunning = before.enabled;
  const bool masks = hasMasks(*camera) || (previous && hasMasks(*previous));
  const json shown = shownStored(stored);
  stored_[id] = std::move(stored);
  apply(id, wasRunning, masks, false);
  return shown;
}

Status NodeCameras::remove(const std::string& id, bool deleteRecordings, const CameraChangeBy& by) {
  MutexLock lock(mutex_);
  VIGIL_RETURN_IF_ERROR(checkChangeable(id));
  VIGIL_RETURN_IF_ERROR(
      audit(id, {{"action", "delete"}, {"recordings", deleteRecordings ? "deleted" : "kept"}}, by));
  if (onChange_) VIGIL_RETURN_IF_ERROR(onChange_({id, nullptr, true}, by));
  VIGIL_RETURN_IF_ERROR(store_->remove(id));
  const bool wasRunning = stored_.at(id).enabled;
  stored_.erase(id);
  apply(id, wasRunning, false, deleteRecordings);
  return Status::ok();
}

}  // namespace vigil::app
