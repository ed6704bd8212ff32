#include "app/node_link.h"

#include <fmt/format.h>

#include <filesystem>

#include "base/log.h"

namespace vigil::app {

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
  link.children = std::make_unique<link::ChildLinks>(*link.store, *link.key, SystemClock::instance(),
                                                     link::SessionOptions{}, link.bus.get());
  return link;
}

Status startNodeLink(NodeLink& link, const Config& config, EventLoopPool& loops) {
  VIGIL_RETURN_IF_ERROR(link.children->start());
  if (config.link.parent.empty()) return Status::ok();
  auto parent = link.store->parent();
  if (!parent) return parent.status();
  if (!*parent || (*parent)->url != config.link.parent) {
    return Status::failedPrecondition(fmt::format(
        "link.parent is {}, but this node has not joined it: run vigil link join --parent {} --code CODE",
        config.link.parent, config.link.parent));
  }
  link.parent = std::make_shared<link::ParentLink>(loops.next(), *link.key, **parent, config.node.id,
                                                   SystemClock::instance(), link::ParentLinkOptions{}, link.bus.get());
  link.parent->start();
  log::info("link.parent", {{"url", config.link.parent}, {"id", (*parent)->id}});
  return Status::ok();
}

}  // namespace vigil::app
