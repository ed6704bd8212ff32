// The rights watch ends what a session holds when the right to it ends,
// with the reason, whether the change is made through this process's
// Accounts, through another connection to the database (the CLI, another
// node on PostgreSQL) or by the clock.
#include "access/rights_watch.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "access/test_db.h"

namespace vigil::access {
namespace {

using namespace std::chrono_literals;

// Bound for an end the watch should see: its interval is 50 ms here.
constexpr auto kBound = 5s;

// Where a hold's onEnd lands.
class Ended {
 public:
  RightsWatch::OnEnd callback() {
    return [this](std::string_view reason) {
      std::lock_guard lock(mutex_);
      reasons_.emplace_back(reason);
      changed_.notify_all();
    };
  }
  // The first reason, or "" when none came within `bound`.
  std::string wait(std::chrono::milliseconds bound = kBound) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, bound, [&] { return !reasons_.empty(); });
    return reasons_.empty() ? "" : reasons_.front();
  }
  size_t count() {
    std::lock_guard lock(mutex_);
    return reasons_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> reasons_;
};

class RightsWatchTest : public AccessDbTest {
 protected:
  void SetUp() override {
    AccessDbTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    audit_ = std::make_unique<AuditLog>(db().store(), SystemClock::instance());
    accounts_ = std::make_unique<Accounts>(db().store(), *audit_, SystemClock::instance(), options());
    ASSERT_TRUE(accounts_->addUser(kCli, "vic", Role::kViewer, "vic's password", {"gate", "yard"}).isOk());
    watch_ = std::make_unique<RightsWatch>(*accounts_, 50ms);
  }
  void TearDown() override { watch_.reset(); }
  virtual AccountsOptions options() { return {}; }

  std::string login() {
    auto r = accounts_->login("vic", "vic's password", "10.0.0.1");
    EXPECT_TRUE(r) << r.status().toString();
    return r ? r->token : "";
  }

  const Actor kCli{"", "cli"};
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<Accounts> accounts_;
  std::unique_ptr<RightsWatch> watch_;
};

INSTANTIATE_TEST_SUITE_P(Backends, RightsWatchTest, kBothBackends, backendParamName);

TEST_P(RightsWatchTest, LogoutEndsWhatTheSessionHoldsAndNothingElse) {
  const std::string token = login();
  const std::string other = login();
  Ended mine, theirs;
  auto a = watch_->hold({token, Role::kViewer, "gate"}, mine.callback());
  auto b = watch_->hold({other, Role::kViewer, "gate"}, theirs.callback());
  ASSERT_TRUE(watch_->checkNow(kBound));  // both sessions seen, so the reason is known
  ASSERT_TRUE(accounts_->logout(token, "10.0.0.1").isOk());
  EXPECT_EQ(mine.wait(), end_reason::kLogout);
  EXPECT_EQ(theirs.wait(300ms), "");
}

TEST_P(RightsWatchTest, PasswordChangeEndsEverySessionOfTheUser) {
  const std::string token = login();
  Ended ended;
  auto hold = watch_->hold({token, Role::kViewer, "gate"}, ended.callback());
  ASSERT_TRUE(watch_->checkNow(kBound));
  ASSERT_TRUE(accounts_->changePassword(kCli, "vic", "a new password for vic").isOk());
  EXPECT_EQ(ended.wait(), end_reason::kPasswordChange);
}

TEST_P(RightsWatchTest, RemovingAGrantEndsOnlyThatCamera) {
  const std::string token = login();
  Ended gate, yard;
  auto a = watch_->hold({token, Role::kViewer, "gate"}, gate.callback());
  auto b = watch_->hold({token, Role::kViewer, "yard"}, yard.callback());
  ASSERT_TRUE(accounts_->setCameras({"admin", "10.0.0.2"}, "vic", {"yard"}).isOk());
  EXPECT_EQ(gate.wait(), end_reason::kGrantRemoved);
  EXPECT_EQ(yard.wait(300ms), "");
}

TEST_P(RightsWatchTest, AHigherRoleThanTheUserHasEnds) {
  Ended ended;
  auto hold = watch_->hold({login(), Role::kOperator, ""}, ended.callback());
  EXPECT_EQ(ended.wait(), end_reason::kGrantRemoved);
}

// The CLI next to a running node, or another node sharing PostgreSQL:
// changes this process's Accounts never hears of are seen by the periodic
// check.
TEST_P(RightsWatchTest, ChangesThroughAnotherConnectionAreSeen) {
  auto store = db().openAnother();
  ASSERT_TRUE(store) << store.status().toString();
  AuditLog otherAudit(**store, SystemClock::instance());
  Accounts otherNode(**store, otherAudit, SystemClock::instance());
  const std::string loggedOut = login();
  const std::string kept = login();
  Ended first, second;
  auto a = watch_->hold({loggedOut, Role::kViewer, "gate"}, first.callback());
  auto b = watch_->hold({kept, Role::kViewer, "gate"}, second.callback());
  ASSERT_TRUE(watch_->checkNow(kBound));
  ASSERT_TRUE(otherNode.logout(loggedOut, "10.0.0.3").isOk());
  EXPECT_EQ(first.wait(), end_reason::kLogout);
  EXPECT_EQ(second.count(), 0u);
  ASSERT_TRUE(otherNode.setCameras({"admin", "10.0.0.3"}, "vic", {"yard"}).isOk());
  EXPECT_EQ(second.wait(), end_reason::kGrantRemoved);

  const std::string third = login();
  Ended changed;
  auto c = watch_->hold({third, Role::kViewer, "yard"}, changed.callback());
  ASSERT_TRUE(watch_->checkNow(kBound));
  ASSERT_TRUE(otherNode.changePassword(kCli, "vic", "changed on another node").isOk());
  EXPECT_EQ(changed.wait(), end_reason::kPasswordChange);
}

TEST_P(RightsWatchTest, AnIdleHoldEndsUnlessTouched) {
  const std::string token = login();
  Ended idle, used;
  auto a = watch_->hold({token, Role::kViewer, "gate"}, idle.callback(), 300ms);
  // Touched every 50 ms, for twice its idle time: a loaded machine may hold
  // this thread up for a while, so its idle time is not 300 ms but 1 s.
  auto b = watch_->hold({token, Role::kViewer, "gate"}, used.callback(), 1s);
  const auto until = std::chrono::steady_clock::now() + 2s;
  while (std::chrono::steady_clock::now() < until) {
    b->touch();
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(idle.wait(), end_reason::kIdle);
  EXPECT_EQ(used.count(), 0u);
}

TEST_P(RightsWatchTest, NoCallbackAfterTheHoldIsGone) {
  const std::string token = login();
  Ended ended;
  watch_->hold({token, Role::kViewer, "gate"}, ended.callback()).reset();
  ASSERT_TRUE(accounts_->logout(token, "10.0.0.1").isOk());
  ASSERT_TRUE(watch_->checkNow(kBound));  // a whole round after the logout
  EXPECT_EQ(ended.count(), 0u);
}

TEST_P(RightsWatchTest, AnOnEndMayDropItsOwnHold) {
  const std::string token = login();
  std::unique_ptr<RightsWatch::Hold> hold;
  std::mutex mutex;
  std::condition_variable dropped;
  bool done = false;
  {
    std::lock_guard lock(mutex);
    hold = watch_->hold({token, Role::kViewer, "gate"}, [&](std::string_view) {
      std::lock_guard inner(mutex);
      hold.reset();
      done = true;
      dropped.notify_all();
    });
  }
  ASSERT_TRUE(accounts_->logout(token, "10.0.0.1").isOk());
  std::unique_lock lock(mutex);
  EXPECT_TRUE(dropped.wait_for(lock, kBound, [&] { return done; }));
}

class ShortSessions : public RightsWatchTest {
 protected:
  AccountsOptions options() override { return {.sessionLifetime = 1s}; }
};
INSTANTIATE_TEST_SUITE_P(Backends, ShortSessions, kBothBackends, backendParamName);

// The login (an Argon2id hash) may take seconds on a loaded sanitized
// build: the session's second counts from its end, and the wait is bounded
// from there (no upper bound on the time: the watch checks every 50 ms).
TEST_P(ShortSessions, ExpiryEndsWhatTheSessionHolds) {
  const auto beforeLogin = std::chrono::steady_clock::now();
  Ended ended;
  auto hold = watch_->hold({login(), Role::kViewer, "gate"}, ended.callback());
  EXPECT_EQ(ended.wait(), end_reason::kSessionExpired);
  EXPECT_GE(std::chrono::steady_clock::now() - beforeLogin, 1s);
}

}  // namespace
}  // namespace vigil::access
