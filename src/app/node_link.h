#pragma once
// A node's tier link, for `vigil serve` and the `vigil link` commands: its
// key (<data_dir>/node.key), its link state (<data_dir>/link.db), the
// parent's side (enrolment, children) and, with [link] parent, the child's.

#include <memory>

#include "access/audit.h"
#include "access/node_key.h"
#include "alarm/alarms.h"
#include "alarm/notices.h"
#include "app/config.h"
#include "app/node.h"
#include "app/node_register.h"
#include "app/node_access.h"
#include "base/event_loops.h"
#include "link/ancestors.h"
#include "link/catalog.h"
#include "link/checkpoint_relay.h"
#include "link/children.h"
#include "link/enrolment.h"
#include "link/health_reporter.h"
#include "link/health_store.h"
#include "link/link_store.h"
#include "link/outbox.h"
#include "link/looks.h"
#include "link/parent_link.h"
#include "notify/notifier.h"

namespace vigil::app {

struct NodeLink {
  NodeLink() = default;
  NodeLink(NodeLink&&) = default;
  NodeLink& operator=(NodeLink&&) = default;
  // The alarms' and notices' threads queue in the outbox and the outbox's
  // calls them: all stop before any goes (a start that failed half-way
  // skips stopNodeLink()).
  ~NodeLink();

  std::unique_ptr<access::NodeKey> key;
  std::unique_ptr<link::LinkStore> store;
  std::unique_ptr<link::Bus> bus;  // what rides on the links registers here before startNodeLink()
  std::unique_ptr<link::HealthStore> health;  // <data_dir>/health.db: the children's cameras' health (before the outbox, which feeds it)
  // <data_dir>/alarms.db and the node's alarms (before the outbox, which feeds them).
  std::unique_ptr<alarm::AlarmStore> alarmStore;
  // With [notify]: told each alarm change; its MQTT thread raises alarms
  // (so it stops before the alarms go, and goes after them).
  std::unique_ptr<notify::Notifier> notifier;
  std::unique_ptr<alarm::Alarms> alarms;  // started by startNodeLink(), stopped by stopNodeLink() before the outbox
  // <data_dir>/notices.db and the node's broadcasts, as the alarms.
  std::unique_ptr<alarm::NoticeStore> noticeStore;
  std::unique_ptr<alarm::Notices> notices;
  std::unique_ptr<link::Outbox> outbox;  // <data_dir>/outbox.db; receives children's audit checkpoints
  std::unique_ptr<link::CheckpointSender> checkpoints;  // with [link] parent, once relayAuditCheckpoints() ran
  std::unique_ptr<link::Enrolment> enrolment;
  // The nodes above, pinned (made by startNodeLink()): the looks check
  // asks with it, and its handlers serve the links, which stop first.
  std::unique_ptr<link::Ancestors> ancestors;
  std::unique_ptr<link::RemoteLooks> looks;    // made by startNodeLink()
  std::unique_ptr<link::ChildLinks> children;  // started by startNodeLink()
  std::shared_ptr<link::ParentLink> parent;    // with [link] parent, once started
  std::unique_ptr<link::Catalog> catalog;      // made and started by startNodeLink()
  std::unique_ptr<link::HealthReporter> healthReporter;  // with [link] parent, started by startNodeLink()
};

// What of the node the catalog and the looks across tiers use.
struct NodeLinkServices {
  link::CatalogSources catalog;
  media::LiveRegistry* live = nullptr;
  access::CameraShares* shares = nullptr;  // null (no access database): every look is refused
  access::AuditLog* audit = nullptr;
  std::function<bool(std::string_view camera)> cameraExists;
  std::function<std::optional<std::string>()> openAlarm;  // null: none is ever open
  // Cameras with privacy masks and their masked live streams (link::LooksContext).
  std::function<bool(std::string_view camera)> masked;
  std::function<bool(std::string_view camera)> recordingsMasked;  // any mask, `all` ones too
  std::function<Result<std::shared_ptr<media::LiveStream>>(const std::string& camera)> maskedLive;
  // This node's overview figures (app/node_overview.h), which its health
  // summaries carry up with the nodes below it; null: the counts only.
  std::function<link::HealthSummary()> overview;
};

// What `node` and its `access` (null: no access database) give the link:
// serve's and the demo's alike. The cameras share what their owner's
// shares allow now, "only during an alarm" while `alarms` (null: none)
// has one of this node's open (design/ALARMS.md).
// A camera `publicRegister` (null: none) lists goes up with its listing.
NodeLinkServices nodeLinkServices(Node& node, NodeAccess* access, alarm::Alarms* alarms,
                                  NodeRegister* publicRegister = nullptr);

// Opens the key and link.db of config.node.dataDir (which must be set).
// Invitations, enrolments and removals are audited in `audit` (the
// node's, app/node_access.h).
Result<NodeLink> openNodeLink(const Config& config, access::AuditLog& audit);
// For serve: starts the catalog over `cameras` (this node's own: what they
// share goes up), watching the children and, with [link] parent, dials the
// parent pinned at `vigil link join` (FailedPrecondition when this node
// has not joined the parent its config names).
Status startNodeLink(NodeLink& link, const Config& config, EventLoopPool& loops, NodeLinkServices services);
// After the loops returned: stops what startNodeLink() started, before the
// shares, the audit log and the live registry it uses go.
void stopNodeLink(NodeLink& link);
// With [link] parent: sends the parent the audit log's checkpoint file
// now and each new checkpoint from then on. `audit` must not checkpoint
// after `link` is gone.
Status relayAuditCheckpoints(NodeLink& link, const Config& config, access::AuditLog& audit);

}  // namespace vigil::app
