#include "app/node_link.h"

#include <fmt/format.h>

#include <filesystem>

#include "app/node_notify.h"
#include "base/log.h"
#include "link/overview.h"
#include "mask/masked_live.h"
#include "mask/masker.h"

namespace vigil::app {

NodeLinkServices nodeLinkServices(Node& node, NodeAccess* access, alarm::Alarms* alarms, NodeRegister* publicRegister) {
  std::function<std::optional<std::string>()> openAlarm;
  if (alarms) openAlarm = [alarms] { return alarms->openHere(); };
  // Masked while the link holds a camera's masked stream; the looks go
  // before the node's registry.
  auto masked = std::make_shared<mask::MaskedLive>(node.live(), node.sharedMasks(), mask::defaultThreads());
  link::CatalogSources cameras{
      .cameras = [&node] { return node.cameraStatuses(); },
      .rights = [access, openAlarm](const std::string& camera) -> Result<link::TierRights> {
        if (!access) return link::TierRights{};
        return access->shares->rightsNow(camera, openAlarm && openAlarm());
      },
      .publicListing = publicRegister ? [publicRegister](const std::string& camera) { return publicRegister->listing(camera); }
                                      : std::function<std::optional<link::PublicListing>(const std::string&)>(),
      .masked = [&node](const std::string& camera) { return node.hasMasks(camera); }};
  return {.catalog = std::move(cameras),
          .live = &node.live(),
          .shares = access ? access->shares.get() : nullptr,
          .audit = access ? access->audit.get() : nullptr,
          .cameraExists = [&node](std::string_view id) { return node.hasCamera(std::string(id)); },
          .openAlarm = std::move(openAlarm),
          .masked = [masked](std::string_view camera) { return masked->masked(camera); },
          .recordingsMasked = [&node](std::string_view camera) { return node.hasMasks(std::string(camera)); },
          .maskedLive = [masked](const std::string& camera) { return masked->hold(camera); }};
}

NodeLink::~NodeLink() {
  if (notifier) notifier->stop();
  if (alarms) alarms->stop();
  if (notices) notices->stop();
  if (outbox) outbox->stop();
}

Result<NodeLink> openNodeLink(const Config& config, access::AuditLog& audit) {
  const std::filesystem::path dir = config.node.dataDir;
  if (dir.empty()) return Status::failedPrecondition("the tier link needs node.data_dir in the config");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::unavailable(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  NodeLink link;
  auto key = access::NodeKey::loadOrCreate(dir / "node.key");
  if (!key) return key.status();
  link.key = std::make_unique<access::NodeKey>(std::move(*key));
  auto store = link::LinkStore::open((dir / "link.db").string());
  if (!store) return store.status();
  link.store = std::move(*store);
  link.enrolment = std::make_unique<link::Enrolment>(
      *link.store, *link.key,
      link::NodeIdentity{config.node.id, config.node.name, config.node.tier, link.key->publicKey()},
      SystemClock::instance(), audit);
  link.bus = std::make_unique<link::Bus>();
  auto health = link::HealthStore::open((dir / "health.db").string(), SystemClock::instance());
  if (!health) return health.status();
  link.health = std::move(*health);
  auto outbox = link::Outbox::open((dir / "outbox.db").string(), *link.bus);
  if (!outbox) return outbox.status();
  link.outbox = std::move(*outbox);
  link::receiveChildCheckpoints(*link.outbox, *link.store, SystemClock::instance());
  link::receiveChildHealth(*link.outbox, *link.health);
  auto alarms = alarm::AlarmStore::open((dir / "alarms.db").string());
  if (!alarms) return alarms.status();
  link.alarmStore = std::move(*alarms);
  std::string parentId;  // alarms go up only to the parent the config names and this node joined
  if (!config.link.parent.empty()) {
    auto joined = link.store->parent();
    if (!joined) return joined.status();
    if (*joined && (*joined)->url == config.link.parent) parentId = (*joined)->id;
  }
  // The tier the parent's admin enrolled it with, not the child's word (design/LINK.md, "Trust model").
  auto childRelays = [store = link.store.get()](const std::string& child) -> Result<bool> {
    auto children = store->listChildren();
    if (!children) return children.status();
    for (const link::ChildRecord& c : *children) {
      if (c.id == child && !c.removedAt) return c.tier != Tier::kHousehold;
    }
    return false;
  };
  std::function<void(const alarm::StoredAlarm&)> onChange;
  if (config.notify.enabled()) {
    auto notifier = notify::Notifier::open(config.notify, config.node);
    if (!notifier) return notifier.status();
    link.notifier = std::move(*notifier);
    onChange = [notifier = link.notifier.get(), store = link.alarmStore.get()](const alarm::StoredAlarm& a) {
      notifyAlarmChange(*notifier, *store, a);
    };
  }
  link.alarms = std::make_unique<alarm::Alarms>(alarm::AlarmsContext{.store = link.alarmStore.get(),
                                                                     .outbox = link.outbox.get(),
                                                                     .bus = link.bus.get(),
                                                                     .clock = &SystemClock::instance(),
                                                                     .selfId = config.node.id,
                                                                     .parentId = parentId,
                                                                     .childRelays = childRelays,
                                                                     .config = config.alarm,
                                                                     .onChange = std::move(onChange)});
  std::function<void(const alarm::Notice&)> onNotice;
  if (link.notifier) {
    onNotice = [notifier = link.notifier.get()](const alarm::Notice& n) { notifyNoticeReceived(*notifier, n); };
  }
  auto notices = alarm::NoticeStore::open((dir / "notices.db").string());
  if (!notices) return notices.status();
  link.noticeStore = std::move(*notices);
  auto children = [store = link.store.get()]() -> Result<std::vector<alarm::NoticeChild>> {
    auto enrolled = store->listChildren();
    if (!enrolled) return enrolled.status();
    std::vector<alarm::NoticeChild> out;
    for (const link::ChildRecord& c : *enrolled) {
      if (!c.removedAt) out.push_back({c.id, c.tier != Tier::kHousehold});
    }
    return out;
  };
  link.notices = std::make_unique<alarm::Notices>(alarm::NoticesContext{.store = link.noticeStore.get(),
                                                                        .outbox = link.outbox.get(),
                                                                        .clock = &SystemClock::instance(),
                                                                        .selfId = config.node.id,
                                                                        .selfTier = config.node.tier,
                                                                        .hasParent = !parentId.empty(),
                                                                        .children = std::move(children),
                                                                        .onReceived = std::move(onNotice)});
  link.children = std::make_unique<link::ChildLinks>(*link.store, *link.key, SystemClock::instance(),
                                                     link::SessionOptions{}, link.bus.get());
  return link;
}

Status startNodeLink(NodeLink& link, const Config& config, EventLoopPool& loops, NodeLinkServices services) {
  link.outbox->start();
  std::optional<link::ParentRecord> parent;
  if (!config.link.parent.empty()) {
    auto joined = link.store->parent();
    if (!joined) return joined.status();
    if (!*joined || (*joined)->url != config.link.parent) {
      return Status::failedPrecondition(fmt::format(
          "link.parent is {}, but this node has not joined it: run vigil link join --parent {} --code CODE",
          config.link.parent, config.link.parent));
    }
    parent = std::move(**joined);
  }
  if (parent) {
    // The same view of the cameras and their shares as the catalog's.
    link::HealthReporterOptions reporting;
    if (services.overview) {
      reporting.overview = [own = services.overview, children = link.children.get(),
                            health = link.health.get()](link::HealthSummary& s) {
        const link::HealthSummary mine = own();
        s.figures = mine.figures;
        s.daily = mine.daily;
        link::addNodesBelow(s, link::nodesBelow(children->status(), health->summaries()));
      };
    }
    // The owner's switch; one that cannot be read shares nothing.
    reporting.totalsShared = [store = link.health.get()] {
      auto shared = store->sharesTotals();
      return shared && *shared;
    };
    link.healthReporter = std::make_unique<link::HealthReporter>(*link.outbox, services.catalog, parent->tier,
                                                                 SystemClock::instance(), std::move(reporting));
  }
  // Its handlers go on the bus before the links start.
  link.catalog = std::make_unique<link::Catalog>(
      *link.bus,
      link::Catalog::Self{config.node.id, config.node.name, config.node.tier,
                          parent ? std::optional<Tier>(parent->tier) : std::nullopt},
      std::move(services.catalog));
  link.ancestors = std::make_unique<link::Ancestors>(link::AncestorsContext{.bus = link.bus.get(),
                                                                           .store = link.store.get(),
                                                                           .key = link.key.get(),
                                                                           .selfId = config.node.id,
                                                                           .selfTier = config.node.tier,
                                                                           .parent = parent});
  // Frames going up are drained on the loop of the parent's connection:
  // a relayed frame then crosses no thread between its feed and its write.
  boost::asio::io_context& upLoop = loops.next();
  link.looks = std::make_unique<link::RemoteLooks>(link::LooksContext{
      .bus = link.bus.get(),
      .live = services.live,
      .shares = services.audit ? services.shares : nullptr,
      .audit = services.audit,
      .key = link.key.get(),
      .askers = [ancestors = link.ancestors.get()](std::string_view id, Tier tier) { return ancestors->find(id, tier); },
      .cameraExists = std::move(services.cameraExists),
      .masked = std::move(services.masked),
      .recordingsMasked = std::move(services.recordingsMasked),
      .maskedLive = std::move(services.maskedLive),
      .openAlarm = std::move(services.openAlarm),
      .selfId = config.node.id,
      .selfTier = config.node.tier,
      .parentTier = parent ? std::optional<Tier>(parent->tier) : std::nullopt,
      .parentId = parent ? parent->id : std::string(),
      .loop = &upLoop});
  VIGIL_RETURN_IF_ERROR(link.children->start());
  link.catalog->start();
  if (services.shares) {
    services.shares->addChangeListener([catalog = link.catalog.get()](const std::string&) { catalog->changed(); });
  }
  link.alarms->start();
  link.notices->start();
  if (link.notifier) {
    publishAlarmOpen(*link.notifier, *link.alarmStore);
    link.notifier->start([alarms = link.alarms.get()](const notify::RaiseCommand& c) { raiseFromCommand(*alarms, c); });
  }
  if (!parent) return Status::ok();
  link.healthReporter->start();
  link.parent = std::make_shared<link::ParentLink>(upLoop, *link.key, *parent, config.node.id,
                                                   SystemClock::instance(), link::ParentLinkOptions{}, link.bus.get());
  link.parent->start();
  log::info("link.parent", {{"url", config.link.parent}, {"id", parent->id}});
  return Status::ok();
}

void stopNodeLink(NodeLink& link) {
  link.looks.reset();
  link.catalog->stop();
  if (link.healthReporter) link.healthReporter->stop();  // it reads the node's cameras
  link.children->stop();
  if (link.notifier) link.notifier->stop();  // its MQTT thread raises alarms
  link.alarms->stop();  // it queues in the outbox
  link.notices->stop();
  link.outbox->stop();  // before the loops go: it sends on their connections
  // Its timers belong to a loop: gone before the loops are.
  link.parent.reset();
}

Status relayAuditCheckpoints(NodeLink& link, const Config& config, access::AuditLog& audit) {
  if (config.link.parent.empty()) return Status::ok();
  link.checkpoints = std::make_unique<link::CheckpointSender>(*link.outbox);
  audit.watchCheckpoints([sender = link.checkpoints.get()](const access::AuditCheckpoint& c) {
    if (Status s = sender->offer(c); !s.isOk()) log::error("link.checkpoint_not_queued", {{"seq", c.seq}, {"error", s}});
  });
  // One made while this process was not watching (or before a kill -9
  // between the file and the outbox) goes now.
  auto current = access::readCheckpointFile(std::filesystem::path(config.node.dataDir) / "audit.checkpoint");
  if (!current) return current.status();
  return *current ? link.checkpoints->offer(**current) : Status::ok();
}

}  // namespace vigil::app
