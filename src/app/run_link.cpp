// vigil link invite / join / remove / status.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <memory>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "app/commands.h"
#include "app/node_access.h"
#include "app/node_link.h"
#include "link/invite_code.h"
#include "link/join_client.h"

namespace vigil::app {

namespace {

// vigil link invite / join / remove / status.
struct LinkOptions {
  std::string configPath;
  std::string name;             // invite: who the invitation is for
  std::string expires = "24h";  // invite
  std::string tier;             // invite: the child's tier; empty: the one below this node's
  std::string id;               // invite: the child's node id; empty: any
  std::string parent;           // join: https://HOST:PORT
  std::string code;             // join
  std::string child;            // remove: the child's node id
};

int fail(std::string_view command, const Status& s) {
  fmt::print(stderr, "vigil link {}: {}\n", command, s.message());
  return s.code() == StatusCode::kInvalidArgument ? 2 : 1;
}

const access::Actor kCli{"", "cli"};

struct OpenedNode {
  Config config;
  NodeAccess access;  // its audit log records what the link's commands change; outlives `link`
  NodeLink link;
};

Result<OpenedNode> open(const std::string& configPath) {
  auto config = loadConfigFile(configPath);
  if (!config) return config.status();
  if (config->node.id.empty()) {
    return Status::failedPrecondition(fmt::format("{}: set [node] id (a-z, 0-9, '_', '-') before linking", configPath));
  }
  auto where = accessLocationFrom(configPath, "");
  if (!where) return where.status();
  auto access = openNodeAccess(*where);
  if (!access) return access.status();
  auto link = openNodeLink(*config, *access->audit);
  if (!link) return link.status();
  return OpenedNode{std::move(*config), std::move(*access), std::move(*link)};
}

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
// result still parses; atomically (a temporary file renamed over it). The
// temporary file gets a fresh random name and is created, never reused:
// a symlink planted in the config's directory is not followed (O_EXCL),
// and it starts at mode 0600 (then the config's own), so neither another
// file nor another reader gets the config's text.
Status writeLinkParent(const Config& config, const std::string& url) {
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

int runLinkInvite(const LinkOptions& options) {
  auto lifetime = link::parseInviteLifetime(options.expires);
  if (!lifetime) return fail("invite", Status::invalidArgument("--" + lifetime.status().message()));
  std::optional<Tier> tier;
  if (!options.tier.empty()) {
    auto parsed = parseTier(options.tier);
    if (!parsed) return fail("invite", Status::invalidArgument("--tier: household, village, township or county"));
    tier = *parsed;
  }
  auto opened = open(options.configPath);
  if (!opened) return fail("invite", opened.status());
  auto invite = opened->link.enrolment->createInvite(kCli, options.name, *lifetime, tier, options.id);
  if (!invite) {
    Status s = invite.status();
    // The option, as the user typed it.
    if (s.code() == StatusCode::kInvalidArgument) s = Status::invalidArgument("--" + s.message());
    return fail("invite", s);
  }
  const link::InviteFor& bound = *invite->invite.bound;
  fmt::print("invitation {} for \"{}\" (a {}{}), valid until {}; the child runs:\n", invite->invite.id,
             invite->invite.name, tierName(bound.tier),
             bound.childId.empty() ? "" : fmt::format(" with node id {}", bound.childId),
             invite->invite.expiresAt.toRfc3339());
  fmt::print("  vigil link join --config FILE --parent https://THIS-HOST:PORT --code CODE\n");
  fmt::print("{}\n", invite->code);
  return 0;
}

int runLinkJoin(const LinkOptions& options) {
  auto code = link::parseInviteCode(options.code);
  if (!code) return fail("join", Status::invalidArgument("--code: " + code.status().message()));
  if (auto url = link::parseLinkParent(options.parent); !url) {
    return fail("join", Status::invalidArgument("--parent: " + url.status().message()));
  }
  auto opened = open(options.configPath);
  if (!opened) return fail("join", opened.status());
  const Config& config = opened->config;
  NodeLink& node = opened->link;
  link::JoinOptions join{options.parent, *code,
                         link::NodeIdentity{config.node.id, config.node.name, config.node.tier, node.key->publicKey()}};
  auto parent = link::joinParent(*node.key, join, SystemClock::instance());
  if (!parent) return fail("join", parent.status());
  if (Status s = node.store->setParent(*parent); !s.isOk()) return fail("join", s);
  if (Status s = writeLinkParent(config, options.parent); !s.isOk()) return fail("join", s);
  fmt::print("joined {} \"{}\" ({}) at {}; [link] parent written to {}; (re)start vigil serve to connect\n",
             tierName(parent->tier), parent->name, parent->id, parent->url, config.sourcePath);
  return 0;
}

int runLinkRemove(const LinkOptions& options) {
  auto opened = open(options.configPath);
  if (!opened) return fail("remove", opened.status());
  if (Status s = opened->link.enrolment->removeChild(kCli, options.child); !s.isOk()) {
    return fail("remove", s);
  }
  fmt::print("removed child {}; a running vigil serve ends its link within a second\n", options.child);
  return 0;
}

int runLinkStatus(const LinkOptions& options) {
  auto opened = open(options.configPath);
  if (!opened) return fail("status", opened.status());
  NodeLink& node = opened->link;
  fmt::print("node {} ({}), key fingerprint {}\n", opened->config.node.id, tierName(opened->config.node.tier),
             link::keyFingerprint(node.key->publicKey()));
  if (auto parent = node.store->parent(); parent && *parent) {
    fmt::print("parent {} \"{}\" at {}\n", (*parent)->id, (*parent)->name, (*parent)->url);
  }
  auto children = node.store->listChildren();
  if (!children) return fail("status", children.status());
  for (const auto& c : *children) {
    fmt::print("child {} \"{}\" ({}){}\n", c.id, c.name, tierName(c.tier), c.removedAt ? " removed" : "");
  }
  auto invites = node.store->listInvites();
  if (!invites) return fail("status", invites.status());
  const WallTime now = SystemClock::instance().now();
  for (const auto& i : *invites) {
    fmt::print("invitation {} \"{}\" {} (until {})\n", i.id, i.name, i.state(now), i.expiresAt.toRfc3339());
  }
  return 0;
}

}  // namespace

// Exit 0 on success, 1 when refused (a wrong, used or expired code, an
// unreachable parent...), 2 for bad arguments or config. invite prints the
// code alone on its last line, for scripts.
void addLinkCommands(CLI::App& cli, Subcommands& out) {
  auto options = std::make_shared<LinkOptions>();
  auto* link = cli.add_subcommand("link", "The tier link: invite children, join a parent, remove a child");
  link->require_subcommand(1);
  auto* invite = link->add_subcommand("invite", "Make a one-time invitation code for a child (printed last)");
  invite->add_option("--name", options->name, "who it is for, e.g. \"Zhang family\"")->required();
  invite->add_option("--expires", options->expires, "lifetime: 90m, 24h, 7d...")->capture_default_str();
  invite->add_option("--tier", options->tier, "the child's tier (default: the one below this node's)");
  invite->add_option("--id", options->id, "the child's node id (default: any)");
  auto* join = link->add_subcommand("join", "Join a parent with its invitation code, and pin its key");
  join->add_option("--parent", options->parent, "https://HOST:PORT of the parent")->required();
  join->add_option("--code", options->code, "the invitation code")->required();
  auto* remove = link->add_subcommand("remove", "Remove a child: its link ends and it can no longer connect");
  remove->add_option("CHILD", options->child, "the child's node id")->required();
  auto* status = link->add_subcommand("status", "This node's parent, children and invitations");
  for (CLI::App* command : {invite, join, remove, status}) {
    command->add_option("--config", options->configPath, "TOML config file")->required();
  }
  out.push_back({invite, [options] { return runLinkInvite(*options); }});
  out.push_back({join, [options] { return runLinkJoin(*options); }});
  out.push_back({remove, [options] { return runLinkRemove(*options); }});
  out.push_back({status, [options] { return runLinkStatus(*options); }});
}

}  // namespace vigil::app
