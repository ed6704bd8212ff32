#include "access/audit_checkpoint.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "access/crypto.h"
#include "base/encoding.h"

namespace vigil::access {

namespace {

constexpr std::string_view kMagic = "vigil-audit-checkpoint/1";
constexpr size_t kMaxFileBytes = 1024;  // a checkpoint is about 400 bytes

// The signed part: every line but the signature.
std::string signedText(const AuditCheckpoint& c) {
  return fmt::format("{}\nkey={}\nseq={}\nhead={}\nat={}\n", kMagic, hexEncode(c.key), c.seq, c.head,
                     c.at.unixMicros());
}

bool isLowerHex(std::string_view s) {
  return s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

bool parseInt(std::string_view text, int64_t& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

// The value of a "name=value" line, or nullopt.
std::optional<std::string_view> field(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line.substr(0, name.size()) != name || line[name.size()] != '=') return std::nullopt;
  return line.substr(name.size() + 1);
}

}  // namespace

AuditCheckpoint AuditCheckpoint::make(const NodeKey& key, int64_t seq, std::string head, WallTime at) {
  AuditCheckpoint c;
  c.key = key.publicKey();
  c.seq = seq;
  c.head = std::move(head);
  c.at = at;
  c.signature = key.sign(asBytes(signedText(c)));
  return c;
}

bool AuditCheckpoint::signatureValid() const { return NodeKey::verify(key, asBytes(signedText(*this)), signature); }

std::string AuditCheckpoint::encode() const { return signedText(*this) + "signature=" + hexEncode(signature) + "\n"; }

Result<AuditCheckpoint> AuditCheckpoint::parse(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    if (eol == std::string_view::npos) return Status::invalidArgument("checkpoint: the last line has no line break");
    lines.push_back(text.substr(0, eol));
    text.remove_prefix(eol + 1);
  }
  if (lines.size() != 6) return Status::invalidArgument(fmt::format("checkpoint: {} lines, not 6", lines.size()));
  if (lines[0] != kMagic) return Status::invalidArgument(fmt::format("checkpoint: line 1 is not {}", kMagic));
  AuditCheckpoint c;
  const auto key = field(lines[1], "key");
  if (!key || !hexDecode(*key, c.key)) return Status::invalidArgument("checkpoint: line 2 is not key=<64 hex digits>");
  const auto seq = field(lines[2], "seq");
  if (!seq || !parseInt(*seq, c.seq) || c.seq < 0) {
    return Status::invalidArgument("checkpoint: line 3 is not seq=<rows>");
  }
  const auto head = field(lines[3], "head");
  if (!head || head->size() != 64 || !isLowerHex(*head)) {
    return Status::invalidArgument("checkpoint: line 4 is not head=<64 hex digits>");
  }
  c.head = std::string(*head);
  int64_t at = 0;
  if (const auto v = field(lines[4], "at"); !v || !parseInt(*v, at)) {
    return Status::invalidArgument("checkpoint: line 5 is not at=<microseconds>");
  }
  c.at = WallTime::fromUnixMicros(at);
  const auto sig = field(lines[5], "signature");
  if (!sig || !hexDecode(*sig, c.signature)) {
    return Status::invalidArgument("checkpoint: line 6 is not signature=<128 hex digits>");
  }
  return c;
}

Result<std::optional<AuditCheckpoint>> readCheckpointFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::optional<AuditCheckpoint>();
    return Status::unavailable(fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
  }
  std::string text(kMaxFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  auto c = AuditCheckpoint::parse(text);
  if (!c) return Status::dataLoss(fmt::format("{}: {}", path.string(), c.status().message()));
  return std::optional<AuditCheckpoint>(std::move(*c));
}

namespace {

Status writeCheckpointFile(const std::filesystem::path& path, const AuditCheckpoint& checkpoint) {
  const std::filesystem::path tmp = path.string() + fmt::format(".tmp{}", ::getpid());
  const std::string text = checkpoint.encode();
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Status::unavailable(fmt::format("cannot create {}: {}", tmp.string(), std::strerror(errno)));
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!written || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(written ? errno : err);
    ::unlink(tmp.c_str());
    return Status::unavailable(fmt::format("cannot write {}: {}", path.string(), why));
  }
  return Status::ok();
}

}  // namespace

Status updateCheckpointFile(const std::filesystem::path& path, const NextCheckpoint& next) {
  const std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
  const int dirFd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd < 0) return Status::unavailable(fmt::format("cannot open {}: {}", dir.string(), std::strerror(errno)));
  struct Unlock {
    int fd;
    ~Unlock() { ::close(fd); }  // closing releases the flock
  } unlock{dirFd};
  if (::flock(dirFd, LOCK_EX) != 0) {
    return Status::unavailable(fmt::format("cannot lock {}: {}", dir.string(), std::strerror(errno)));
  }
  auto current = readCheckpointFile(path);
  if (!current) return current.status();
  auto replacement = next(*current);
  if (!replacement) return replacement.status();
  if (!*replacement) return Status::ok();
  VIGIL_RETURN_IF_ERROR(writeCheckpointFile(path, **replacement));
  (void)::fsync(dirFd);  // the rename outlives a crash; best effort, the file is already whole
  return Status::ok();
}

}  // namespace vigil::access
