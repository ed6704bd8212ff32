#include "app/demo_village.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "access/accounts.h"
#include "access/crypto.h"
#include "app/config.h"
#include "app/node_access.h"
#include "app/node_link.h"
#include "app/self_signed_cert.h"
#include "base/log.h"
#include "link/config.h"
#include "link/tls_client.h"

namespace vigil::app {

namespace {

constexpr auto kStartTimeout = std::chrono::seconds(60);
constexpr auto kStopTimeout = std::chrono::seconds(10);
const access::Actor kDemo{"", "demo"};

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The config `vigil serve` reads; written once, so a user's edits stay.
Status writeConfig(const std::filesystem::path& dir, const HostPort& listen) {
  const auto path = dir / "vigil.toml";
  if (std::filesystem::exists(path)) return Status::ok();
  std::ofstream out(path);
  out << "# The demo's village (vigil demo starts it): a node of tier village, with no cameras of its own,\n"
         "# to which the demo household is linked. Its desk sees what the household shares with it.\n"
      << fmt::format("[node]\nid = \"village1\"\nname = \"Demo village\"\ntier = \"village\"\ndata_dir = \"{}\"\n\n",
                     (dir / "data").string())
      << fmt::format("[http]\nlisten = \"{}\"\ntls_cert = \"{}\"\ntls_key = \"{}\"\n", listen.toString(),
                     (dir / "cert.pem").string(), (dir / "key.pem").string());
  out.close();
  if (!out) return Status::unavailable("cannot write " + path.string());
  return writeSelfSignedCert(dir / "cert.pem", dir / "key.pem", "vigil demo village");
}

// Its admin password, and the household's invitation when asked: both in
// the village's own databases, before it runs.
Status prepare(const Config& config, const std::string& householdId, bool invite, std::string& password,
               std::string& code) {
  auto access = openNodeAccess({config.node.dataDir, ""});
  if (!access) return access.status();
  auto made = demoAdminPassword(*access->accounts);
  if (!made) return made.status();
  password = std::move(*made);
  if (!invite) return Status::ok();
  auto link = openNodeLink(config, *access->audit);
  if (!link) return link.status();
  auto created = link->enrolment->createInvite(kDemo, "Demo household", std::chrono::hours(1), Tier::kHousehold,
                                               householdId);
  if (!created) return created.status();
  code = std::move(created->code);
  return Status::ok();
}

// `vigil serve --config FILE` as a child that ends with the demo, even
// after a kill -9 of the demo (the parent-death signal).
Result<pid_t> spawnServe(const std::filesystem::path& configPath, const std::filesystem::path& logPath) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return Status::unavailable("cannot find this program: " + ec.message());
  const int log = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log < 0) return Status::unavailable("cannot write " + logPath.string());
  const std::string program = self.string(), config = configPath.string();
  const pid_t pid = ::fork();
  if (pid == 0) {  // only async-signal-safe calls until exec
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    const char* argv[] = {program.c_str(), "serve", "--config", config.c_str(), nullptr};
    ::execv(program.c_str(), const_cast<char* const*>(argv));
    ::_exit(127);
  }
  ::close(log);
  if (pid < 0) return Status::unavailable("cannot start the village: fork failed");
  return pid;
}

// The port it listens on, from its log ("serve.http ... port=N"), once it
// does. `pid` becomes -1 when it stopped (reaped here).
Result<int> waitListening(pid_t& pid, const std::filesystem::path& logPath) {
  static const std::regex listening(R"(serve\.http .*port=(\d+))");
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string text = readFile(logPath);
    if (std::smatch m; std::regex_search(text, m, listening)) return std::stoi(m[1].str());
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      pid = -1;
      return Status::unavailable(fmt::format("it stopped at start (see {}): {}", logPath.string(),
                                             text.substr(text.size() > 500 ? text.size() - 500 : 0)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Status::deadlineExceeded(fmt::format("it did not listen within {} s (see {})", kStartTimeout.count(),
                                              logPath.string()));
}

}  // namespace

Result<std::string> demoAdminPassword(access::Accounts& accounts) {
  auto created = accounts.ensureAdmin();
  if (!created) return created.status();
  if (created->has_value()) return std::move(**created);
  std::string password = access::generatePassword();
  VIGIL_RETURN_IF_ERROR(accounts.changePassword(kDemo, "admin", password));
  return password;
}

Result<std::unique_ptr<DemoVillage>> DemoVillage::start(const std::filesystem::path& dir, const HostPort& listen,
                                                        const std::string& householdId, bool invite) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::unavailable(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  VIGIL_RETURN_IF_ERROR(writeConfig(dir, listen));
  auto config = loadConfigFile((dir / "vigil.toml").string());
  if (!config) return config.status();
  std::unique_ptr<DemoVillage> village(new DemoVillage());
  VIGIL_RETURN_IF_ERROR(prepare(*config, householdId, invite, village->adminPassword_, village->inviteCode_));
  const auto logPath = dir / "serve.log";
  auto pid = spawnServe(dir / "vigil.toml", logPath);
  if (!pid) return pid.status();
  village->pid_ = *pid;
  auto port = waitListening(village->pid_, logPath);
  if (!port) return port.status();  // the destructor stops it
  village->url_ = fmt::format("https://{}:{}", config->http.listen.host, *port);
  log::info("demo.village", {{"url", village->url_}, {"pid", *pid}});
  return village;
}

namespace {

boost::asio::awaitable<Status> loginAndSend(const HostPort& address, const std::string& password,
                                            const std::string& text) {
  using nlohmann::json;
  constexpr std::chrono::seconds kTimeout(30);
  auto tls = link::makeClientTlsContext();  // its own self-signed certificate, on loopback
  auto connected = co_await link::connectTls(*tls, address, kTimeout);
  if (!connected) co_return connected.status();
  link::TlsStream& stream = *connected->stream;
  const std::string host = address.toString();
  auto login = co_await link::postJson(stream, host, "/api/v1/login",
                                       json{{"user", "admin"}, {"password", password}}.dump(), kTimeout);
  if (!login) co_return login.status();
  const json session = json::parse(login->body, nullptr, false);
  if (login->status != 200 || !session.is_object() || !session.contains("token") || !session["token"].is_string()) {
    co_return Status::unavailable(fmt::format("the village refused the demo's login ({})", login->status));
  }
  auto sent = co_await link::postJson(stream, host, "/api/v1/broadcasts",
                                      json{{"text", text}, {"priority", "normal"}, {"to", "all"}}.dump(), kTimeout,
                                      session["token"].get<std::string>());
  if (!sent) co_return sent.status();
  if (sent->status != 201) {
    co_return Status::unavailable(fmt::format("the village refused the notice ({}): {}", sent->status, sent->body));
  }
  co_return Status::ok();
}

}  // namespace

Status DemoVillage::sendNotice(const std::string& text) const {
  auto address = link::parseLinkParent(url_);
  if (!address) return address.status();
  boost::asio::io_context io;
  Status result = Status::internal("the notice was not sent");
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { result = co_await loginAndSend(*address, adminPassword_, text); },
      [](std::exception_ptr) {});
  io.run();
  return result;
}

DemoVillage::~DemoVillage() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + kStopTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, nullptr, WNOHANG) != 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

}  // namespace vigil::app
