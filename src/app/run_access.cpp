// vigil user add / user passwd / audit verify: their options and their work.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <memory>
#include <sstream>

#include "access/crypto.h"
#include "app/commands.h"
#include "app/node_access.h"
#include "base/config.h"

namespace vigil::app {

namespace {

// vigil user add / user passwd.
struct UserOptions {
  std::string name;
  std::string role;  // add only
  std::vector<std::string> cameras;  // add only: a viewer's cameras
  std::string passwordFile;  // empty: generate one and print it
  std::string configPath;
  std::string dataDir;
};

const access::Actor kCli{"", "cli"};

// The file's content without trailing line breaks; a generated password
// when no file is given.
Result<std::string> passwordFrom(const std::string& file, bool& generated) {
  generated = file.empty();
  if (generated) return access::generatePassword();
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::invalidArgument(fmt::format("--password-file: cannot read {}", file));
  std::ostringstream text;
  text << in.rdbuf();
  std::string password = text.str();
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
  return password;
}

int fail(std::string_view command, const Status& s) {
  fmt::print(stderr, "vigil {}: {}\n", command, s.message());
  return s.code() == StatusCode::kInvalidArgument ? 2 : 1;
}

int runUserAdd(const UserOptions& options) {
  auto where = accessLocationFrom(options.configPath, options.dataDir);
  if (!where) return fail("user add", where.status());
  const auto role = access::parseRole(options.role);
  if (!role) return fail("user add", Status::invalidArgument("--role: must be admin, operator or viewer"));
  bool generated = false;
  auto password = passwordFrom(options.passwordFile, generated);
  if (!password) return fail("user add", password.status());
  auto node = openNodeAccess(*where);
  if (!node) return fail("user add", node.status());
  if (Status s = node->accounts->addUser(kCli, options.name, *role, *password, options.cameras); !s.isOk()) {
    return fail("user add", s);
  }
  fmt::print("added {} ({})\n", options.name, options.role);
  if (generated) fmt::print("  password: {}\n", *password);
  return 0;
}

int runUserPasswd(const UserOptions& options) {
  auto where = accessLocationFrom(options.configPath, options.dataDir);
  if (!where) return fail("user passwd", where.status());
  bool generated = false;
  auto password = passwordFrom(options.passwordFile, generated);
  if (!password) return fail("user passwd", password.status());
  auto node = openNodeAccess(*where);
  if (!node) return fail("user passwd", node.status());
  if (Status s = node->accounts->changePassword(kCli, options.name, *password); !s.isOk()) {
    return fail("user passwd", s);
  }
  fmt::print("password of {} changed; its sessions ended\n", options.name);
  if (generated) fmt::print("  password: {}\n", *password);
  return 0;
}

int runAuditVerify(const std::string& configPath, const std::string& dataDirOption,
                   const std::vector<std::string>& trust) {
  std::vector<access::NodeKey::PublicKey> trusted(trust.size());
  for (size_t i = 0; i < trust.size(); ++i) {
    if (!access::hexDecode(trust[i], trusted[i])) {
      return fail("audit verify", Status::invalidArgument("--trust: must be a public key: 64 lower-case hex digits"));
    }
  }
  auto where = accessLocationFrom(configPath, dataDirOption);
  if (!where) return fail("audit verify", where.status());
  auto node = openNodeAccess(*where, AccessUse::kVerify);
  if (!node) return fail("audit verify", node.status());
  auto rows = node->audit->verify(trusted);
  if (!rows) {
    fmt::print(stderr, "vigil audit verify: {}\n", rows.status().message());
    return 1;
  }
  fmt::print("audit log intact: {} rows\n", *rows);
  return 0;
}

}  // namespace

void addAccessCommands(CLI::App& cli, Subcommands& out) {
  auto user = std::make_shared<UserOptions>();
  auto* users = cli.add_subcommand("user", "Manage accounts");
  users->require_subcommand(1);
  auto* add = users->add_subcommand("add", "Add an account");
  add->add_option("NAME", user->name, "account name")->required();
  add->add_option("--role", user->role, "admin, operator or viewer")->required()
      ->check(CLI::IsMember({"admin", "operator", "viewer"}));
  add->add_option("--camera", user->cameras, "a camera a viewer may see (repeatable)");
  auto* passwd = users->add_subcommand("passwd", "Set an account's password (ends its sessions)");
  passwd->add_option("NAME", user->name, "account name")->required();
  for (CLI::App* command : {add, passwd}) {
    command->add_option("--password-file", user->passwordFile, "file holding the password (else one is generated)");
  }
  out.push_back({add, addConfigOrData(*add, "user add", user->configPath, user->dataDir,
                                      [user] { return runUserAdd(*user); })});
  out.push_back({passwd, addConfigOrData(*passwd, "user passwd", user->configPath, user->dataDir,
                                         [user] { return runUserPasswd(*user); })});

  auto* audit = cli.add_subcommand("audit", "The tamper-evident audit log");
  audit->require_subcommand(1);
  struct VerifyArgs {
    std::string config, data;
    std::vector<std::string> trust;
  };
  auto args = std::make_shared<VerifyArgs>();
  auto* verify = audit->add_subcommand("verify", "Check the audit chain, its signatures and its checkpoint");
  auto run = addConfigOrData(*verify, "audit verify", args->config, args->data,
                             [args] { return runAuditVerify(args->config, args->data, args->trust); });
  verify->add_option("--trust", args->trust,
                     "public key (hex) of another node sharing the database, whose rows are accepted too");
  out.push_back({verify, std::move(run)});
}

}  // namespace vigil::app
