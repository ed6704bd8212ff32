#include "access/test_postgres.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

extern char** environ;

namespace vigil::access {

namespace {

using Clock = std::chrono::steady_clock;

// Sanitized builds on a loaded machine are slow; generous, but bounded.
constexpr std::chrono::seconds kInitdbTimeout{120};
constexpr std::chrono::seconds kStartTimeout{120};
constexpr std::chrono::seconds kStopTimeout{30};
constexpr auto kPollInterval = std::chrono::milliseconds(50);

const char* kBinDir = "/usr/lib/postgresql/15/bin";
const char* kSuperuser = "vigil";

std::string& reason() {
  static std::string text;
  return text;
}

std::string fileTail(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
}

// Starts argv with stdout and stderr appended to `log`; returns the PID.
Result<pid_t> spawn(const std::vector<std::string>& argv, const std::string& log) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return Status::unavailable(fmt::format("cannot start {}: {}", argv[0], std::strerror(rc)));
  return pid;
}

// Waits up to `timeout` for `pid` to exit; its wait status, or nullopt.
std::optional<int> waitExit(pid_t pid, std::chrono::seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) return status;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(kPollInterval);
  }
}

// Runs PostgreSQL's programs as `postgres` (or `nobody`) when we are root,
// since postgres refuses to run as root; asks for SIGKILL when we die.
Result<std::vector<std::string>> asServerUser(const std::string& dir) {
  std::vector<std::string> prefix{"/usr/bin/setpriv", "--pdeathsig=KILL"};
  if (::geteuid() != 0) return prefix;
  const passwd* pw = ::getpwnam("postgres");
  if (pw == nullptr) pw = ::getpwnam("nobody");
  if (pw == nullptr) return Status::unavailable("no unprivileged user (postgres, nobody) to run PostgreSQL as");
  if (::chown(dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
    return Status::unavailable(fmt::format("chown {}: {}", dir, std::strerror(errno)));
  }
  prefix.insert(prefix.end(), {fmt::format("--reuid={}", pw->pw_uid), fmt::format("--regid={}", pw->pw_gid),
                               "--clear-groups"});
  return prefix;
}

std::string adminConninfo(const std::string& dir) {
  return fmt::format("host={} dbname=postgres user={} connect_timeout=10", dir, kSuperuser);
}

// Stops the shared server after the last test of the process.
class StopAtEnd : public ::testing::Environment {
 public:
  void TearDown() override { server.reset(); }
  std::unique_ptr<TestPostgres> server;
  bool tried = false;
};

StopAtEnd* environment() {
  static StopAtEnd* env = static_cast<StopAtEnd*>(::testing::AddGlobalTestEnvironment(new StopAtEnd));
  return env;
}
// Registered before main() runs the tests, so TearDown is called.
[[maybe_unused]] const StopAtEnd* const kRegistered = environment();

}  // namespace

bool TestPostgres::installed() {
  return ::access(fmt::format("{}/initdb", kBinDir).c_str(), X_OK) == 0 &&
         ::access(fmt::format("{}/postgres", kBinDir).c_str(), X_OK) == 0;
}

TestPostgres* TestPostgres::shared() {
  StopAtEnd* env = environment();
  if (!env->tried) {
    env->tried = true;
    if (!installed()) {
      reason() = fmt::format("PostgreSQL is not installed (no initdb and postgres in {}; apt-get install postgresql)",
                             kBinDir);
      return nullptr;
    }
    std::unique_ptr<TestPostgres> server(new TestPostgres());
    if (Status s = server->start(); !s.isOk()) {
      reason() = "PostgreSQL did not start: " + s.message();
      return nullptr;
    }
    env->server = std::move(server);
  }
  return env->server.get();
}

const std::string& TestPostgres::unavailableReason() { return reason(); }

Status TestPostgres::start() {
  std::string pattern = (std::filesystem::temp_directory_path() / "vigil-pg-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return Status::unavailable(fmt::format("mkdtemp: {}", std::strerror(errno)));
  dir_ = pattern;
  auto prefix = asServerUser(dir_);
  if (!prefix) return prefix.status();

  std::vector<std::string> initdb = *prefix;
  initdb.insert(initdb.end(), {fmt::format("{}/initdb", kBinDir), "-D", dir_ + "/data", "-U", kSuperuser,
                               "--auth=trust", "--no-sync", "--encoding=UTF8", "--locale=C.UTF-8"});
  auto initPid = spawn(initdb, dir_ + "/initdb.log");
  if (!initPid) return initPid.status();
  const auto initStatus = waitExit(*initPid, kInitdbTimeout);
  if (!initStatus) {
    ::kill(*initPid, SIGKILL);
    (void)waitExit(*initPid, kStopTimeout);
    return Status::deadlineExceeded("initdb did not finish in time: " + fileTail(dir_ + "/initdb.log"));
  }
  if (!WIFEXITED(*initStatus) || WEXITSTATUS(*initStatus) != 0) {
    return Status::unavailable("initdb failed: " + fileTail(dir_ + "/initdb.log"));
  }

  // A unix socket in our directory only: no port to collide with other
  // tests. Durability is not tested here, so no fsync.
  std::vector<std::string> postgres = *prefix;
  postgres.insert(postgres.end(), {fmt::format("{}/postgres", kBinDir), "-D", dir_ + "/data", "-k", dir_, "-c",
                                   "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c",
                                   "full_page_writes=off", "-c", "shared_buffers=16MB", "-c", "max_connections=40"});
  auto pid = spawn(postgres, dir_ + "/postgres.log");
  if (!pid) return pid.status();
  pid_ = *pid;
  const auto deadline = Clock::now() + kStartTimeout;
  while (PQping(adminConninfo(dir_).c_str()) != PQPING_OK) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return Status::unavailable("postgres exited: " + fileTail(dir_ + "/postgres.log"));
    }
    if (Clock::now() >= deadline) {
      return Status::deadlineExceeded("postgres did not accept connections in time: " +
                                      fileTail(dir_ + "/postgres.log"));
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return Status::ok();
}

TestPostgres::~TestPostgres() {
  if (pid_ > 0) {
    ::kill(pid_, SIGINT);  // "fast" shutdown: ends sessions, checkpoints, exits
    if (!waitExit(pid_, kStopTimeout)) {
      ::kill(pid_, SIGKILL);
      (void)waitExit(pid_, kStopTimeout);
    }
  }
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

Result<std::string> TestPostgres::createDatabase() {
  const std::string name = fmt::format("vigil_{}", ++databases_);
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(adminConninfo(dir_).c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) return Status::unavailable(PQerrorMessage(conn.get()));
  std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn.get(), ("CREATE DATABASE " + name).c_str()), &PQclear);
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) return Status::internal(PQerrorMessage(conn.get()));
  return fmt::format("postgresql:///{}?host={}&user={}", name, dir_, kSuperuser);
}

}  // namespace vigil::access
