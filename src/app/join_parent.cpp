#include "app/join_parent.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "link/config.h"
#include "link/invite_code.h"
#include "link/join_client.h"

namespace vigil::app {

namespace {

// `text` with `parent = "URL"` in its [link] table: the key's line is
// replaced, or the key added under the table's header, or the table
// appended. Every other line, comments included, stays as it was.
std::string withLinkParent(const std::string& text, const std::string& url) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  auto trimmed = [](const std::string& s) {
    const size_t b = s.find_first_not_of(" \t");
    return b == std::string::npos ? std::string() : s.substr(b);
  };
  const std::string setting = fmt::format("parent = \"{}\"", url);
  std::optional<size_t> header;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string t = trimmed(lines[i]);
    if (t.rfind('[', 0) == 0) {
      if (header) break;  // the next table: the key was not in [link]
      if (t.rfind("[link]", 0) == 0) header = i;
      continue;
    }
    if (header && t.rfind("parent", 0) == 0 && trimmed(t.substr(6)).rfind('=', 0) == 0) {
      lines[i] = setting;
      header.reset();
      std::string out;
      for (const auto& l : lines) out += l + "\n";
      return out;
    }
  }
  if (header) {
    lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(*header) + 1, setting);
  } else {
    if (!lines.empty() && !trimmed(lines.back()).empty()) lines.emplace_back();
    lines.emplace_back("[link]");
    lines.push_back(setting);
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// Rewrites the config file with [link] parent, after checking that the
// result still parses; from its text now (a running node's may have been
// edited since it started); atomically (a temporary file renamed over it). The
// temporary file gets a fresh random name and is created, never reused:
// a symlink planted in the config's directory is not followed (O_EXCL),
// and it starts at mode 0600 (then the config's own), so neither another
// file nor another reader gets the config's text.
Status writeLinkParent(const std::string& configPath, const std::string& url) {
  auto current = loadConfigFile(configPath);
  if (!current) return current.status();
  const Config& config = *current;
  const std::string text = withLinkParent(config.sourceText, url);
  auto parsed = parseConfig(text, config.sourcePath);
  if (!parsed) return parsed.status();
  if (parsed->link.parent != url) return Status::internal("could not set link.parent in " + config.sourcePath);
  struct stat original {};
  if (::stat(config.sourcePath.c_str(), &original) != 0) {
    return Status::unavailable(fmt::format("cannot read {}: {}", config.sourcePath, std::strerror(errno)));
  }
  // mkstemp: O_CREAT | O_EXCL, mode 0600, a name no one can guess first.
  std::string temp = config.sourcePath + ".link-join.XXXXXX";
  const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) return Status::unavailable(fmt::format("cannot create {}: {}", temp, std::strerror(errno)));
  auto failed = [&](std::string_view what) {
    Status s = Status::unavailable(fmt::format("cannot {} {}: {}", what, temp, std::strerror(errno)));
    ::close(fd);
    ::unlink(temp.c_str());
    return s;
  };
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return failed("write");
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd, original.st_mode & 07777) != 0) return failed("set the mode of");
  if (::fsync(fd) != 0) return failed("sync");
  ::close(fd);
  if (::rename(temp.c_str(), config.sourcePath.c_str()) != 0) {
    Status s = Status::unavailable(fmt::format("cannot replace {}: {}", config.sourcePath, std::strerror(errno)));
    ::unlink(temp.c_str());
    return s;
  }
  return Status::ok();
}

}  // namespace

Result<link::ParentRecord> joinAndPinParent(NodeLink& link, const Config& config, const std::string& parentUrl,
                                            const std::string& code) {
  auto parsedCode = link::parseInviteCode(code);
  if (!parsedCode) return Status::invalidArgument("code: " + parsedCode.status().message());
  if (auto url = link::parseLinkParent(parentUrl); !url) {
    return Status::invalidArgument("parent: " + url.status().message());
  }
  link::JoinOptions join{parentUrl, *parsedCode,
                         link::NodeIdentity{config.node.id, config.node.name, config.node.tier, link.key->publicKey()}};
  auto parent = link::joinParent(*link.key, join, SystemClock::instance());
  if (!parent) return parent.status();
  VIGIL_RETURN_IF_ERROR(link.store->setParent(*parent));
  return parent;
}

Result<link::ParentRecord> joinLinkParent(NodeLink& link, const Config& config, const std::string& parentUrl,
                                          const std::string& code, access::AuditLog& audit, const access::Actor& by) {
  auto parent = joinAndPinParent(link, config, parentUrl, code);
  if (!parent) return parent.status();
  VIGIL_RETURN_IF_ERROR(writeLinkParent(config.sourcePath, parentUrl));
  // The row follows the change: the parent stays pinned if it fails, and the
  // failure is the answer.
  VIGIL_RETURN_IF_ERROR(audit.record({by.user, access::audit_kind::kLinkJoin, "", by.client,
                                      nlohmann::json{{"parent", parent->url},
                                                     {"id", parent->id},
                                                     {"name", parent->name},
                                                     {"tier", tierName(parent->tier)},
                                                     {"fingerprint", link::keyFingerprint(parent->key)}}
                                          .dump()}));
  return parent;
}

}  // namespace vigil::app
