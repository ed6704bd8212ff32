#pragma once
// `vigil demo`'s village: a second node, `vigil serve` in a child process
// of the demo, with its own data directory (<demo data>/village), HTTPS
// (a self-signed certificate) and accounts. The demo household links to
// it over the real tier link, so the demo shows a village desk watching
// what the household shares (design/LINK.md).

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "base/config.h"
#include "base/status.h"

namespace vigil::access {
class Accounts;
}

namespace vigil::app {

// The demo prints a working admin password at every start: the first run
// creates the account, later runs (same --data) give it a new password,
// which ends the sessions of the previous run. A real node (vigil serve)
// never resets a password by itself.
Result<std::string> demoAdminPassword(access::Accounts& accounts);

class DemoVillage {
 public:
  // Writes the village's config and certificate on its first run, gives
  // its admin a new password (as the demo does its own), makes an
  // invitation for the household `householdId` when `invite` is set, and
  // starts it; returns once it listens. Its log goes to <dir>/serve.log.
  static Result<std::unique_ptr<DemoVillage>> start(const std::filesystem::path& dir, const HostPort& listen,
                                                    const std::string& householdId, bool invite);
  ~DemoVillage();  // stops it (SIGTERM, then SIGKILL after 10 s)
  DemoVillage(const DemoVillage&) = delete;
  DemoVillage& operator=(const DemoVillage&) = delete;

  const std::string& url() const { return url_; }  // https://127.0.0.1:PORT
  const std::string& adminPassword() const { return adminPassword_; }
  const std::string& inviteCode() const { return inviteCode_; }  // empty unless asked for

  // Sends a normal notice with `text` from its admin to every household
  // below it, through its own API (POST /api/v1/broadcasts), as an
  // operator would: so the demo household has one in its Notices.
  Status sendNotice(const std::string& text) const;

 private:
  DemoVillage() = default;
  pid_t pid_ = -1;
  std::string url_;
  std::string adminPassword_;
  std::string inviteCode_;
};

}  // namespace vigil::app
