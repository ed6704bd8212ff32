#include "access/audit.h"

#include <fmt/format.h>

#include <algorithm>

#include "access/audit_checkpoint.h"
#include "access/crypto.h"
#include "base/encoding.h"
#include "base/log.h"

namespace vigil::access {

namespace {

const std::string kGenesisHash(64, '0');
constexpr size_t kVerifyPage = 1000;

void appendField(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
  out += ',';
}

// What a row's signature signs: its hash, behind a prefix that no other
// message signed with the node key starts with.
std::string rowSigningText(const AuditRow& row) { return "vigil-audit-row/1\n" + row.hash; }

// Enough of a key to tell keys apart in a message.
std::string shortKey(std::span<const uint8_t> key) { return hexEncode(key.first(8)) + "…"; }

std::string describe(const AuditCheckpoint& c) { return fmt::format("the checkpoint of {}", c.at.toRfc3339()); }

}  // namespace

std::string canonicalAuditContent(const AuditRow& row) {
  std::string out;
  appendField(out, std::to_string(row.seq));
  appendField(out, std::to_string(row.at.unixMicros()));
  appendField(out, row.user);
  appendField(out, row.action);
  appendField(out, row.camera);
  appendField(out, row.client);
  appendField(out, row.detail);
  return out;
}

std::string chainHash(std::string_view prevHashHex, const AuditRow& row) {
  // The chain hashes raw digests, not their spelling.
  std::array<uint8_t, 32> prev{};
  std::string input = hexDecode(prevHashHex, prev) ? std::string(prev.begin(), prev.end())
                                                   : std::string(prevHashHex);  // a broken link stays broken
  return sha256Hex(input + canonicalAuditContent(row));
}

Status AuditLog::record(AuditEvent event) {
  return recordWith(std::move(event), [this](const AuditRowBuilder& build) { return store_.appendAudit(build); });
}

Status AuditLog::recordWith(AuditEvent event, const std::function<Status(const AuditRowBuilder& build)>& append) {
  const WallTime now = clock_.now();
  ChainPoint appended{};
  Status s = append([&](const AuditRow* last) {
    AuditRow row;
    row.seq = last ? last->seq + 1 : 1;
    row.at = now;
    row.user = std::move(event.user);
    row.action = std::move(event.action);
    row.camera = std::move(event.camera);
    row.client = std::move(event.client);
    row.detail = std::move(event.detail);
    row.prevHash = last ? last->hash : kGenesisHash;
    row.hash = chainHash(row.prevHash, row);
    if (signing_) {
      row.signer = signing_->key.publicKeyHex();
      row.signature = hexEncode(signing_->key.sign(asBytes(rowSigningText(row))));
    }
    appended = ChainPoint{row.seq, row.hash};
    return row;
  });
  if (s.isOk()) {
    MutexLock lock(mutex_);
    if (!lastAppended_ || appended.seq > lastAppended_->seq) lastAppended_ = std::move(appended);
  }
  return s;
}

Result<AuditLog::ChainPoint> AuditLog::chainHead() {
  AuditFilter newest;
  newest.limit = 1;
  auto rows = store_.queryAudit(newest);
  if (!rows) return rows.status();
  if (rows->empty()) return ChainPoint{0, kGenesisHash};
  return ChainPoint{rows->front().seq, rows->front().hash};
}

Status AuditLog::stillInChain(const ChainPoint& point, const ChainPoint& head, std::string_view who) {
  if (point.seq > head.seq) {
    return Status::dataLoss(fmt::format("audit rows {}..{} missing: the log ends at row {}, {} counted {} rows",
                                        head.seq + 1, point.seq, head.seq, who, point.seq));
  }
  if (point.seq == 0) return Status::ok();
  auto rows = store_.auditRows(point.seq - 1, 1);
  if (!rows) return rows.status();
  if (rows->empty() || rows->front().seq != point.seq) {
    return Status::dataLoss(fmt::format("audit row {}: missing, {} saw it", point.seq, who));
  }
  if (rows->front().hash != point.hash) {
    return Status::dataLoss(fmt::format("audit row {}: differs from the row {} saw", point.seq, who));
  }
  return Status::ok();
}

Status AuditLog::checkpoint() {
  if (!signing_) return Status::ok();
  std::optional<ChainPoint> appended;
  {
    MutexLock lock(mutex_);
    appended = lastAppended_;
  }
  const NodeKey& key = signing_->key;
  Status found;  // tampering seen, reported after the file is updated
  std::optional<AuditCheckpoint> made;
  Status s = updateCheckpointFile(
      signing_->checkpointFile,
      [&](const std::optional<AuditCheckpoint>& current) -> Result<std::optional<AuditCheckpoint>> {
        if (current && (current->key != key.publicKey() || !current->signatureValid())) {
          return Status::failedPrecondition(fmt::format(
              "{}: not signed by this node's key {} (was node.key replaced?); kept, no new checkpoint is written "
              "until it is moved away",
              signing_->checkpointFile.string(), shortKey(key.publicKey())));
        }
        auto head = chainHead();
        if (!head) return head.status();
        if (current) {
          // Rows the file vouches for are gone: keep the file as the evidence.
          VIGIL_RETURN_IF_ERROR(stillInChain({current->seq, current->head}, *head, describe(*current)));
        }
        ChainPoint next = std::move(*head);
        if (appended) {
          found = stillInChain(*appended, next, "this node");
          // This node appended rows that are gone: what it appended is
          // what the checkpoint vouches for, so verify names them.
          if (!found.isOk()) next = *appended;
        }
        if (current && current->seq >= next.seq) return std::optional<AuditCheckpoint>();
        made = AuditCheckpoint::make(key, next.seq, next.hash, clock_.now());
        return made;
      });
  std::function<void(const AuditCheckpoint&)> watcher;
  {
    MutexLock lock(mutex_);
    watcher = checkpointWatcher_;
  }
  if (s.isOk() && made && watcher) watcher(*made);
  if (s.isOk()) s = found;
  MutexLock lock(mutex_);
  if (!s.isOk() && s.message() != lastCheckpointError_) {
    log::error("audit.checkpoint_failed", {{"error", s}});
  }
  lastCheckpointError_ = s.isOk() ? "" : s.message();
  return s;
}

void AuditLog::watchCheckpoints(std::function<void(const AuditCheckpoint&)> watcher) {
  MutexLock lock(mutex_);
  checkpointWatcher_ = std::move(watcher);
}

Status AuditLog::checkSignature(const AuditRow& row, const std::vector<NodeKey::PublicKey>& trusted) const {
  NodeKey::PublicKey signer{};
  NodeKey::Signature signature{};
  if (!hexDecode(row.signer, signer)) return Status::dataLoss(fmt::format("audit row {}: no valid signer", row.seq));
  if (std::find(trusted.begin(), trusted.end(), signer) == trusted.end()) {
    return Status::dataLoss(fmt::format("audit row {}: signed by key {}, which is not this node's ({}) nor trusted",
                                        row.seq, shortKey(signer), shortKey(signing_->key.publicKey())));
  }
  if (!hexDecode(row.signature, signature) || !NodeKey::verify(signer, asBytes(rowSigningText(row)), signature)) {
    return Status::dataLoss(fmt::format("audit row {}: signature does not match", row.seq));
  }
  return Status::ok();
}

Result<int64_t> AuditLog::verify(const std::vector<NodeKey::PublicKey>& alsoTrusted) {
  std::vector<NodeKey::PublicKey> trusted = alsoTrusted;
  if (signing_) trusted.push_back(signing_->key.publicKey());
  bool signedSeen = false;  // unsigned rows are older ones, so only before the first signed row
  int64_t expectedSeq = 1;
  std::string prev = kGenesisHash;
  while (true) {
    auto page = store_.auditRows(expectedSeq - 1, kVerifyPage);
    if (!page) return page.status();
    if (page->empty()) break;
    for (const AuditRow& row : *page) {
      if (row.seq != expectedSeq) {
        return Status::dataLoss(fmt::format("audit row {}: missing (the next row is {})", expectedSeq, row.seq));
      }
      if (row.prevHash != prev) {
        return Status::dataLoss(fmt::format("audit row {}: does not link to row {}", row.seq, row.seq - 1));
      }
      if (chainHash(prev, row) != row.hash) {
        return Status::dataLoss(fmt::format("audit row {}: content does not match its hash", row.seq));
      }
      if (signing_ && (signedSeen || !row.signer.empty() || !row.signature.empty())) {
        VIGIL_RETURN_IF_ERROR(checkSignature(row, trusted));
        signedSeen = true;
      }
      prev = row.hash;
      ++expectedSeq;
    }
  }
  const int64_t rows = expectedSeq - 1;
  if (!signing_) return rows;
  auto checkpoint = readCheckpointFile(signing_->checkpointFile);
  if (!checkpoint) return checkpoint.status();
  if (!*checkpoint) {
    if (rows == 0) return rows;
    return Status::dataLoss(fmt::format("audit checkpoint {}: missing, so rows cut off the end cannot be seen",
                                        signing_->checkpointFile.string()));
  }
  const AuditCheckpoint& c = **checkpoint;
  if (std::find(trusted.begin(), trusted.end(), c.key) == trusted.end()) {
    return Status::dataLoss(fmt::format("audit checkpoint {}: signed by key {}, which is not this node's ({}) nor trusted",
                                        signing_->checkpointFile.string(), shortKey(c.key),
                                        shortKey(signing_->key.publicKey())));
  }
  if (!c.signatureValid()) {
    return Status::dataLoss(fmt::format("audit checkpoint {}: signature does not match", signing_->checkpointFile.string()));
  }
  VIGIL_RETURN_IF_ERROR(stillInChain({c.seq, c.head}, {rows, prev}, describe(c)));
  return rows;
}

AuditCheckpointer::AuditCheckpointer(AuditLog& log, std::chrono::milliseconds period) : log_(log) {
  thread_ = std::thread([this, period] {
    // One checkpoint at once (the chain's tail is checked at start), one
    // per period, and one after stopping_ is set, however early.
    MutexLock lock(mutex_);
    for (bool last = false;;) {
      lock.unlock();
      (void)log_.checkpoint();  // failures are logged by checkpoint()
      lock.lock();
      if (last) break;
      last = lock.waitFor(wake_, period, [this]() REQUIRES(mutex_) { return stopping_; });
    }
  });
}

AuditCheckpointer::~AuditCheckpointer() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();  // the thread makes the last checkpoint on its way out
}

}  // namespace vigil::access
