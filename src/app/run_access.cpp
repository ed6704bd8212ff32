// vigil user add / user passwd / audit verify.
#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "access/crypto.h"
#include "app/commands.h"
#include "app/node_access.h"

namespace vigil::app {

namespace {

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

}  // namespace

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

}  // namespace vigil::app
