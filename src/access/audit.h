#pragma once
// The tamper-evident audit log (BRIEF §1.2, "Every look is seen"): an
// append-only chain of rows where
//   hash(row n) = SHA-256(hash(row n-1) || canonical(row n))
// and hash(row 0) is 32 zero bytes. Changing, inserting or removing a row
// in the middle breaks every later link. Whoever can write the database
// could recompute the chain, so each row is also signed with the node's key
// (node_key.h), which is not in the database, and the node keeps a signed
// checkpoint of the chain's head in a file beside the key
// (audit_checkpoint.h), so rows cut off the end are seen too. verify()
// names the first bad row or the missing tail. design/AUDIT.md has the
// threat model: what a database writer can still do.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "access/audit_checkpoint.h"
#include "access/node_key.h"
#include "access/store.h"
#include "base/mutex.h"
#include "base/time.h"

namespace vigil::access {

// The kinds of row (AuditRow::action). design/AUDIT.md says who writes
// each and what its detail holds; a new kind goes in both places.
namespace audit_kind {
inline constexpr const char* kLogin = "login";
inline constexpr const char* kLoginFailed = "login_failed";
inline constexpr const char* kLogout = "logout";
inline constexpr const char* kUserAdd = "user_add";
inline constexpr const char* kPasswordChange = "password_change";
inline constexpr const char* kPermissionsChange = "permissions_change";
inline constexpr const char* kUserChange = "user_change";  // role, disabled
inline constexpr const char* kUserRemove = "user_remove";
inline constexpr const char* kSessionEnd = "session_end";  // one session ended by its user or an admin
inline constexpr const char* kDeviceCode = "device_code";  // a TV asked for a pairing code
inline constexpr const char* kDevicePair = "device_pair";  // a user confirmed a TV's code: its device session
inline constexpr const char* kDevicePairFailed = "device_pair_failed";  // a code refused
inline constexpr const char* kConfigChange = "config_change";
inline constexpr const char* kLiveStart = "live_start";
inline constexpr const char* kLiveStop = "live_stop";
inline constexpr const char* kLiveHls = "live_hls";
inline constexpr const char* kPlayback = "playback";
inline constexpr const char* kExport = "export";
inline constexpr const char* kSnapshot = "snapshot";
inline constexpr const char* kEventOpen = "event_open";
inline constexpr const char* kEventClose = "event_close";
inline constexpr const char* kShareChange = "share_change";
inline constexpr const char* kRefused = "refused";  // a look from another tier refused at the source
inline constexpr const char* kLinkInvite = "link_invite";
inline constexpr const char* kLinkInviteRevoke = "link_invite_revoke";
inline constexpr const char* kLinkEnrol = "link_enrol";
inline constexpr const char* kLinkRemove = "link_remove";
inline constexpr const char* kLinkJoin = "link_join";  // on the child
inline constexpr const char* kAlarmRaise = "alarm_raise";
inline constexpr const char* kAlarmDesk = "alarm_desk";  // ack, assign, note, close
inline constexpr const char* kBroadcastSend = "broadcast_send";
inline constexpr const char* kTokenAdd = "token_add";
inline constexpr const char* kTokenRemove = "token_remove";
inline constexpr const char* kDetectionChange = "detection_change";
// A camera added, changed, disabled, enabled or deleted from the API
// (design/CAMERAS.md); detail: {"action", "enabled" | "changed" (key names) | "recordings"}.
inline constexpr const char* kCameraChange = "camera_change";
}  // namespace audit_kind

// What a caller records; seq, time and hashes are added by AuditLog.
struct AuditEvent {
  std::string user;    // who acted (Principal::user); empty for the node itself
  std::string action;  // an audit_kind
  std::string camera;  // the camera looked at; empty when none
  std::string client;  // the request's remote address; "cli" for the command line
  std::string detail = "{}";  // a JSON object: what else matters (a time range...)
};

// The bytes hashed for a row: every field but the hashes, each as
// "<decimal length>:<bytes>," in a fixed order, so no two different rows
// share an encoding whatever their fields contain.
std::string canonicalAuditContent(const AuditRow& row);
// hex SHA-256(raw bytes of prevHash || canonicalAuditContent(row)).
std::string chainHash(std::string_view prevHashHex, const AuditRow& row);

// What makes the log hold against a database writer: the node's key and
// the file (outside the database) where the node keeps its latest
// checkpoint, <data_dir>/audit.checkpoint.
struct AuditSigning {
  NodeKey key;
  std::filesystem::path checkpointFile;
};

// Thread-safe when the store is.
class AuditLog {
 public:
  // Without `signing` rows are chained but neither signed nor checkpointed:
  // for tests of other modules, never for a node.
  AuditLog(AuditStore& store, const Clock& clock, std::optional<AuditSigning> signing = std::nullopt)
      : store_(store), clock_(clock), signing_(std::move(signing)) {}

  // Appends one row: the one call for every audited action, e.g.
  //   audit.record({principal.user, audit_kind::kPlayback, camera,
  //                 req.remoteAddress, R"({"start":"...","end":"..."})"});
  // A failure means the action must not go ahead unaudited.
  Status record(AuditEvent event);
  // record() through `append`, which must append the row `build` makes as
  // appendAudit() does: for a change stored in the same transaction as its
  // row (ShareStore::replaceShares).
  Status recordWith(AuditEvent event, const std::function<Status(const AuditRowBuilder& build)>& append);
  // Signs the chain's head into the checkpoint file when the chain grew.
  // Never moves the checkpoint back: if rows it (or this process) saw are
  // gone or changed, the file is kept as evidence and DataLoss says what
  // is missing. AuditCheckpointer calls it periodically.
  Status checkpoint();
  // Told each new checkpoint once it is in the file, on the thread that
  // made it (the tier link sends it to the parent: link/checkpoint_relay.h).
  void watchCheckpoints(std::function<void(const AuditCheckpoint&)> watcher);
  // The number of rows when the log is intact; DataLoss naming the first
  // bad row ("audit row 7: ...") or the missing tail ("audit rows 8..10
  // missing: ...") otherwise. With signing, every row must be signed by
  // this node's key or one in `alsoTrusted` (the other nodes sharing a
  // PostgreSQL chain), except rows written before rows were signed (only
  // at the start of the log), and the log must reach the checkpoint.
  Result<int64_t> verify(const std::vector<NodeKey::PublicKey>& alsoTrusted = {});
  Result<std::vector<AuditRow>> query(const AuditFilter& filter) { return store_.queryAudit(filter); }

 private:
  struct ChainPoint {
    int64_t seq;
    std::string hash;
  };
  Result<ChainPoint> chainHead();
  // OK when row `point.seq` is still in the chain with that hash; DataLoss
  // naming the missing or changed rows otherwise. `who` saw the point.
  Status stillInChain(const ChainPoint& point, const ChainPoint& head, std::string_view who);
  Status checkSignature(const AuditRow& row, const std::vector<NodeKey::PublicKey>& trusted) const;

  AuditStore& store_;
  const Clock& clock_;
  const std::optional<AuditSigning> signing_;
  Mutex mutex_;
  std::optional<ChainPoint> lastAppended_ GUARDED_BY(mutex_);  // by this process
  std::string lastCheckpointError_ GUARDED_BY(mutex_);         // logged once
  std::function<void(const AuditCheckpoint&)> checkpointWatcher_ GUARDED_BY(mutex_);
};

// Calls log.checkpoint() at once, every `period`, and once more when
// destroyed (the node's clean shutdown), on a thread of its own, off the path of the
// audited requests. Rows appended since the last checkpoint, at most
// `period` of them, are the window a database writer can cut unseen.
class AuditCheckpointer {
 public:
  AuditCheckpointer(AuditLog& log, std::chrono::milliseconds period);
  ~AuditCheckpointer();
  AuditCheckpointer(const AuditCheckpointer&) = delete;
  AuditCheckpointer& operator=(const AuditCheckpointer&) = delete;

 private:
  AuditLog& log_;
  Mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace vigil::access
