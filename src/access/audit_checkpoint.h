#pragma once
// An audit checkpoint: a node's signed statement "the audit chain had `seq`
// rows and the last one's hash was `head`". The node keeps its latest one
// in a file beside its key (<data_dir>/audit.checkpoint), outside the
// database, so that cutting rows off the end of the log is seen
// (design/AUDIT.md, threat model). It is a small self-describing text, the
// same on disk and, later, on the tier link to the parent node:
//
//   vigil-audit-checkpoint/1
//   key=<signer's Ed25519 public key, hex>
//   seq=<rows in the chain>
//   head=<hash of row seq, hex; 64 zeros when seq is 0>
//   at=<when, µs since the Unix epoch>
//   signature=<Ed25519 signature of every line above, hex>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "access/node_key.h"
#include "base/status.h"
#include "base/time.h"

namespace vigil::access {

struct AuditCheckpoint {
  NodeKey::PublicKey key{};
  int64_t seq = 0;
  std::string head;  // hex
  WallTime at;
  NodeKey::Signature signature{};

  static AuditCheckpoint make(const NodeKey& key, int64_t seq, std::string head, WallTime at);
  // True when `signature` is `key`'s signature of the other fields.
  bool signatureValid() const;
  std::string encode() const;
  // InvalidArgument naming the first line that is not as above; the
  // signature is not checked here.
  static Result<AuditCheckpoint> parse(std::string_view text);
};

// The file's checkpoint; nullopt when there is no file. DataLoss when the
// file is not a checkpoint.
Result<std::optional<AuditCheckpoint>> readCheckpointFile(const std::filesystem::path& path);
// Calls `next` with the file's checkpoint and, when it returns one, replaces
// the file with it atomically (a temporary file, fsync, rename). Holds an
// exclusive lock on the directory meanwhile, so processes sharing a data
// directory (the node, the CLI) update the file one at a time. Fails with
// the read's error without calling `next`, or with next's.
using NextCheckpoint =
    std::function<Result<std::optional<AuditCheckpoint>>(const std::optional<AuditCheckpoint>& current)>;
Status updateCheckpointFile(const std::filesystem::path& path, const NextCheckpoint& next);

}  // namespace vigil::access
