#include "link/catalog.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/log.h"
#include "link/enrolment_messages.h"
#include "media/h26x.h"

namespace vigil::link {

namespace {

// How often the node's own shares are decided again (cameras' states,
// hours of the day, expiries), and how long a change() waits for more.
constexpr auto kPeriod = std::chrono::milliseconds(500);
constexpr auto kDebounce = std::chrono::milliseconds(50);
// A village of hundreds of households, each with a few cameras, is far below.
constexpr size_t kMaxEntriesPerChild = 100000;

std::string idOf(const CatalogUpdate& u) {
  std::string id;
  for (const std::string& node : u.path) id += node + ".";
  return id + u.camera;
}

// The rights of tiers from `lowest` up; empty when none.
TierRights from(const TierRights& rights, Tier lowest) {
  TierRights out;
  for (const auto& [tier, set] : rights) {
    if (tier >= lowest && !set.empty()) out.emplace(tier, set);
  }
  return out;
}

}  // namespace

Catalog::Catalog(Bus& bus, Self self, CatalogSources sources)
    : bus_(bus), self_(std::move(self)), sources_(std::move(sources)) {
  bus_.handleFromChildren(Kind::kCatalog, [this](const Peer& from, Frame frame) {
    Status s = receive(from.childId, frame.payload);
    if (!s.isOk()) log::warn("link.catalog_refused", {{"child", from.childId}, {"reason", s.message()}});
    return s;
  });
  bus_.watchLinks([this](const Peer& peer, bool) { linkChanged(peer); });
}

Catalog::~Catalog() { stop(); }

void Catalog::start() {
  if (!self_.parentTier || thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void Catalog::stop() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Catalog::changed() {
  {
    MutexLock lock(mutex_);
    dirty_ = true;
  }
  wake_.notify_all();
}

void Catalog::run() {
  MutexLock lock(mutex_);
  while (!stopping_) {
    const bool woken = lock.waitFor(wake_, kPeriod, [&]() REQUIRES(mutex_) { return dirty_ || stopping_; });
    // More changes often follow the first (a list of shares, a burst from a child).
    if (woken) lock.waitFor(wake_, kDebounce, [&]() REQUIRES(mutex_) { return stopping_; });
    if (stopping_) break;
    dirty_ = false;
    lock.unlock();
    sync();
    lock.lock();
  }
}

std::vector<SharedCamera> sharedUpward(const CatalogSources& sources, const std::vector<camera::CameraStatus>& cameras,
                                       Tier lowest) {
  std::vector<SharedCamera> out;
  for (const camera::CameraStatus& c : cameras) {
    auto rights = sources.rights(c.id);
    if (!rights) {
      // Shared with no one until the shares can be read again.
      log::warn("link.catalog_rights", {{"camera", c.id}, {"error", rights.status().message()}});
      continue;
    }
    TierRights above = from(*rights, lowest);
    if (!above.empty()) out.push_back({c, std::move(above)});
  }
  return out;
}

std::map<std::string, CatalogUpdate> Catalog::ownShares() {
  std::map<std::string, CatalogUpdate> out;
  for (SharedCamera& shared : sharedUpward(sources_, sources_.cameras(), *self_.parentTier)) {
    const camera::CameraStatus& c = shared.status;
    CatalogEntry e;
    e.name = isValidNodeName(c.name) ? c.name : c.id;
    e.owner = isValidNodeName(self_.name) ? self_.name : self_.id;
    e.state = std::string(camera::cameraStateName(c.state));
    e.codec = c.codec ? std::string(media::codecName(*c.codec)) : "";
    e.width = std::clamp(c.width, 0, 65535);
    e.height = std::clamp(c.height, 0, 65535);
    if (c.audio && !(sources_.masked && sources_.masked(c.id))) e.audio = media::audioCodecName(c.audio->codec);
    e.rights = std::move(shared.rights);
    if (sources_.publicListing) e.publicListing = sources_.publicListing(c.id);
    CatalogUpdate u{{self_.id}, c.id, std::move(e)};
    out.emplace(idOf(u), std::move(u));
  }
  return out;
}

void Catalog::sync() {
  if (!self_.parentTier || !bus_.connected(Peer::theParent())) return;
  std::map<std::string, CatalogUpdate> shared = ownShares();
  MutexLock lock(mutex_);
  // What the children share with the tiers above this one passes on.
  for (const auto& [child, entries] : children_) {
    for (const auto& [id, u] : entries) {
      TierRights above = from(u.entry->rights, *self_.parentTier);
      // Tiers go downward, so a path this long has no tier above it.
      if (above.empty() || u.path.size() == kMaxCatalogPath) continue;
      CatalogUpdate up = u;
      up.path.insert(up.path.begin(), self_.id);
      up.entry->rights = std::move(above);
      shared.emplace(self_.id + "." + id, std::move(up));
    }
  }
  std::vector<CatalogUpdate> changes;
  for (const auto& [id, u] : shared) {
    auto it = sent_.find(id);
    if (it == sent_.end() || it->second != u) changes.push_back(u);
  }
  for (const auto& [id, u] : sent_) {
    if (!shared.contains(id)) changes.push_back({u.path, u.camera, std::nullopt});
  }
  if (changes.empty()) return;
  bool sent = true;
  for (auto& payload : encodeCatalog(changes)) {
    sent = sent && bus_.send(Peer::theParent(), Kind::kCatalog, 0, std::move(payload));
  }
  // A link that went down meanwhile gets everything on its next connection.
  sent_ = sent ? std::move(shared) : std::map<std::string, CatalogUpdate>{};
}

Status Catalog::receive(const std::string& child, std::span<const uint8_t> payload) {
  auto updates = decodeCatalog(payload);
  if (!updates) return updates.status();
  for (size_t i = 0; i < updates->size(); ++i) {
    const CatalogUpdate& u = (*updates)[i];
    if (u.path.front() != child) {
      return Status::invalidArgument(fmt::format("updates[{}].path: must start at the sender, {}", i, child));
    }
    if (!u.entry) continue;
    for (const auto& [tier, rights] : u.entry->rights) {
      if (tier < self_.tier) {
        return Status::invalidArgument(fmt::format("updates[{}].entry.rights: the {} is not above this {}", i,
                                                   tierName(tier), tierName(self_.tier)));
      }
    }
  }
  {
    MutexLock lock(mutex_);
    auto& held = children_[child];
    for (CatalogUpdate& u : *updates) {
      if (u.entry) {
        held.insert_or_assign(idOf(u), std::move(u));
      } else {
        held.erase(idOf(u));
      }
    }
    if (held.size() > kMaxEntriesPerChild) {
      children_.erase(child);
      return Status::resourceExhausted(fmt::format("more than {} catalog entries", kMaxEntriesPerChild));
    }
    dirty_ = true;
  }
  wake_.notify_all();
  return Status::ok();
}

void Catalog::linkChanged(const Peer& peer) {
  {
    MutexLock lock(mutex_);
    if (peer.parent) {
      sent_.clear();
    } else {
      children_.erase(peer.childId);
    }
    dirty_ = true;
  }
  wake_.notify_all();
}

std::vector<RemoteCamera> Catalog::cameras() const {
  std::vector<RemoteCamera> out;
  MutexLock lock(mutex_);
  for (const auto& [child, entries] : children_) {
    for (const auto& [id, u] : entries) {
      auto rights = u.entry->rights.find(self_.tier);
      if (rights == u.entry->rights.end()) continue;
      RemoteCamera c{id, u.path, *u.entry};
      c.entry.rights = {*rights};
      out.push_back(std::move(c));
    }
  }
  return out;
}

std::vector<RemoteCamera> Catalog::publicCameras() const {
  std::vector<RemoteCamera> out;
  MutexLock lock(mutex_);
  for (const auto& [child, entries] : children_) {
    for (const auto& [id, u] : entries) {
      if (u.entry->publicListing) out.push_back({id, u.path, *u.entry});
    }
  }
  return out;
}

bool Catalog::has(std::string_view id) const {
  MutexLock lock(mutex_);
  auto child = children_.find(id.substr(0, id.find('.')));
  if (child == children_.end()) return false;
  auto it = child->second.find(std::string(id));
  return it != child->second.end() && it->second.entry->rights.contains(self_.tier);
}

}  // namespace vigil::link
