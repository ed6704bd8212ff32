// vigil link invite / join / remove / status.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <memory>

#include "app/commands.h"
#include "app/join_parent.h"
#include "app/node_access.h"
#include "app/node_link.h"
#include "link/invite_code.h"

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
  auto opened = open(options.configPath);
  if (!opened) return fail("join", opened.status());
  auto parent = joinLinkParent(opened->link, opened->config, options.parent, options.code, *opened->access.audit, kCli);
  if (!parent) {
    Status s = parent.status();
    // The option, as the user typed it.
    if (s.code() == StatusCode::kInvalidArgument) s = Status::invalidArgument("--" + s.message());
    return fail("join", s);
  }
  fmt::print("joined {} \"{}\" ({}) at {}; [link] parent written to {}; (re)start vigil serve to connect\n",
             tierName(parent->tier), parent->name, parent->id, parent->url, opened->config.sourcePath);
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
