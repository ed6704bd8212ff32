#include "access/device_pairing.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <regex>

#include "access/crypto.h"
#include "access/test_db.h"

namespace vigil::access {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

class DevicePairingTest : public AccessDbTest {
 protected:
  void SetUp() override {
    AccessDbTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    audit_ = std::make_unique<AuditLog>(db().store(), clock_);
    accounts_ = std::make_unique<Accounts>(db().store(), *audit_, clock_);
    DevicePairingOptions options;
    options.tally.background = false;
    pairing_ = std::make_unique<DevicePairing>(*accounts_, *audit_, clock_, options);
    ASSERT_TRUE(accounts_->addUser(kCli, "vic", Role::kViewer, "vic's password", {"gate"}).isOk());
    ASSERT_TRUE(accounts_->addUser(kCli, "ann", Role::kOperator, "ann's password").isOk());
  }
  // The audit rows of `action`, as "user client detail".
  std::vector<std::string> rows(std::string_view action) {
    std::vector<std::string> out;
    auto all = db().store().auditRows(0, 1000);
    for (const AuditRow& r : *all) {
      if (r.action == action) out.push_back(r.user + " " + r.client + " " + r.detail);
    }
    return out;
  }

  static Principal vicAsker() { return {"vic", Role::kViewer, {"gate"}, std::nullopt, "", ""}; }
  static Principal annAsker() { return {"ann", Role::kOperator, {}, std::nullopt, "", ""}; }

  const Actor kCli{"", "cli"};
  const Actor kVic{"vic", "10.0.0.8"};  // on a phone, logged in
  ManualClock clock_{WallTime::fromUnixMicros(1'700'000'000'000'000)};
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<Accounts> accounts_;
  std::unique_ptr<DevicePairing> pairing_;
};

INSTANTIATE_TEST_SUITE_P(Backends, DevicePairingTest, kBothBackends, backendParamName);

TEST_P(DevicePairingTest, AConfirmedCodeGivesTheTvTheConfirmingUsersDeviceSessionOnce) {
  auto code = pairing_->start("10.0.0.7", "TV browser");
  ASSERT_TRUE(code) << code.status().toString();
  EXPECT_TRUE(std::regex_match(code->code, std::regex("[BCDFGHJKMNPQRTVWXZ]{4}-[BCDFGHJKMNPQRTVWXZ]{4}"))) << code->code;
  EXPECT_TRUE(looksLikeSessionToken(code->secret));
  EXPECT_EQ(code->expiresAt, clock_.now() + minutes(5));
  // Until a user confirms, the TV has nothing.
  auto waiting = pairing_->wait(code->secret);
  ASSERT_TRUE(waiting);
  EXPECT_EQ(waiting->state, PairingWait::State::kWaiting);
  EXPECT_FALSE(waiting->session);

  clock_.advance(seconds(30));
  // Typed on a phone: any case, with or without the dash.
  std::string typed = code->code;
  std::transform(typed.begin(), typed.end(), typed.begin(), [](char c) { return std::tolower(c); });
  typed.replace(4, 1, " ");
  auto made = pairing_->confirm(kVic, typed, "Living-room TV", "vic's password");
  ASSERT_TRUE(made) << made.status().toString();
  EXPECT_EQ(made->code, code->code);
  EXPECT_EQ(made->client, "10.0.0.7");
  EXPECT_EQ(made->userAgent, "TV browser");

  auto paired = pairing_->wait(code->secret);
  ASSERT_TRUE(paired);
  EXPECT_EQ(paired->state, PairingWait::State::kPaired);
  ASSERT_TRUE(paired->session);
  auto who = accounts_->authenticate(paired->session->token);
  ASSERT_TRUE(who) << who.status().toString();
  EXPECT_EQ(who->user, "vic");
  EXPECT_EQ(who->role, Role::kViewer);
  EXPECT_EQ(who->device, "Living-room TV");
  auto listed = accounts_->listDevices(vicAsker());
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, who->sessionId);
  EXPECT_EQ((*listed)[0].client, "10.0.0.7");
  EXPECT_EQ((*listed)[0].userAgent, "TV browser");
  // Given once: the secret is done with.
  EXPECT_EQ(pairing_->wait(code->secret).status().code(), StatusCode::kNotFound);

  ASSERT_EQ(rows("device_code").size(), 1u);
  EXPECT_TRUE(rows("device_code")[0].starts_with("* 10.0.0.7 {\"codes\":1,")) << rows("device_code")[0];
  ASSERT_EQ(rows("device_pair").size(), 1u);
  EXPECT_TRUE(rows("device_pair")[0].starts_with("vic 10.0.0.8 {\"device\":\"Living-room TV\",\"device_client\":\"10.0.0.7\""))
      << rows("device_pair")[0];
}

TEST_P(DevicePairingTest, AnExpiredCodeIsRefused) {
  auto code = pairing_->start("10.0.0.7", "");
  ASSERT_TRUE(code);
  clock_.advance(minutes(5));
  auto late = pairing_->confirm(kVic, code->code, "TV", "vic's password");
  ASSERT_FALSE(late);
  EXPECT_EQ(late.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(late.status().message(), "code: this code has expired; get a new one on the TV");
  auto waited = pairing_->wait(code->secret);
  ASSERT_TRUE(waited);
  EXPECT_EQ(waited->state, PairingWait::State::kExpired);
  EXPECT_FALSE(waited->session);
  EXPECT_TRUE(accounts_->listDevices(vicAsker())->empty());
}

TEST_P(DevicePairingTest, ACodeServesOnce) {
  auto code = pairing_->start("10.0.0.7", "");
  ASSERT_TRUE(code);
  ASSERT_TRUE(pairing_->confirm(kVic, code->code, "TV", "vic's password"));
  // Again, before and after the TV took its session, by anyone.
  auto again = pairing_->confirm({"ann", "10.0.0.9"}, code->code, "Ann's TV", "ann's password");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(again.status().message(), "code: this code was used already");
  auto paired = pairing_->wait(code->secret);
  ASSERT_TRUE(paired && paired->session);
  EXPECT_EQ(accounts_->authenticate(paired->session->token)->user, "vic");
  EXPECT_EQ(pairing_->confirm({"ann", "10.0.0.9"}, code->code, "Ann's TV", "ann's password").status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(accounts_->listDevices(vicAsker())->size(), 1u);
  EXPECT_TRUE(accounts_->listDevices(annAsker())->empty());
}

TEST_P(DevicePairingTest, GuessingCodesIsLimitedPerUserAndPerAddress) {
  auto code = pairing_->start("10.0.0.7", "");
  ASSERT_TRUE(code);
  const std::string wrong = code->code[0] == 'B' ? "CCCC-CCCC" : "BBBB-BBBB";
  for (int i = 0; i < 5; ++i) {
    auto r = pairing_->confirm(kVic, wrong, "TV", "vic's password");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.status().code(), StatusCode::kNotFound) << i;
    EXPECT_EQ(r.status().message(), "code: no TV shows this code; check it, or get a new one on the TV");
  }
  // The sixth, even the right code, is refused for the window's rest.
  auto blocked = pairing_->confirm(kVic, code->code, "TV", "vic's password");
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(blocked.status().message(), "too many wrong codes; retry after 900 s");
  EXPECT_EQ(pairing_->retryAfter("vic", "10.0.0.8"), seconds(900));
  // From another address too: the count is the user's.
  EXPECT_EQ(pairing_->confirm({"vic", "10.0.0.99"}, code->code, "TV", "vic's password").status().code(),
            StatusCode::kResourceExhausted);
  // Another user from the same address has five more of the address's ten.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(pairing_->confirm({"ann", "10.0.0.8"}, wrong, "TV", "ann's password").status().code(),
              StatusCode::kNotFound);
  }
  EXPECT_EQ(pairing_->confirm({"ann", "10.0.0.8"}, code->code, "TV", "ann's password").status().code(),
            StatusCode::kResourceExhausted);
  // Malformed codes are no guess (they cannot match) and say what a code is.
  EXPECT_EQ(pairing_->confirm({"ann", "10.0.0.9"}, "OOOO-0000", "TV", "ann's password").status().message(),
            "code: 8 letters, as the TV shows them");
  // When the window is over, the right code works (the TV asked anew).
  clock_.advance(minutes(15));
  auto fresh = pairing_->start("10.0.0.7", "");
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(pairing_->confirm(kVic, fresh->code, "TV", "vic's password"));
  // The wrong codes were audited, counted.
  ASSERT_TRUE(pairing_->confirm(kVic, wrong, "TV", "vic's password").status().code() == StatusCode::kNotFound);
  EXPECT_FALSE(rows("device_pair_failed").empty());
  EXPECT_TRUE(rows("device_pair_failed")[0].starts_with("vic 10.0.0.8 {\"codes\":1,")) << rows("device_pair_failed")[0];
}

TEST_P(DevicePairingTest, CodesWaitingAreBoundedPerAddress) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(pairing_->start("10.0.0.7", "")) << i;
  auto fourth = pairing_->start("10.0.0.7", "");
  ASSERT_FALSE(fourth);
  EXPECT_EQ(fourth.status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(pairing_->start("10.0.0.6", ""));
  clock_.advance(minutes(5));  // expired codes wait no more
  EXPECT_TRUE(pairing_->start("10.0.0.7", ""));
}

// L3: a confirmed code makes no session until the TV fetches it, so a TV
// that never comes leaves nothing behind.
TEST_P(DevicePairingTest, NoSessionIsMadeUntilTheTvFetchesIt) {
  auto code = pairing_->start("10.0.0.7", "");
  ASSERT_TRUE(code);
  ASSERT_TRUE(pairing_->confirm(kVic, code->code, "TV", "vic's password"));
  EXPECT_TRUE(accounts_->listDevices(vicAsker())->empty());
  EXPECT_TRUE(db().store().listSessions("vic")->empty());
  clock_.advance(minutes(10));  // the code's end and its lifetime more: forgotten
  EXPECT_EQ(pairing_->wait(code->secret).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(db().store().listSessions("vic")->empty());
}

// L1: a confirm that lands after the TV's last poll before the code's end
// is handed over at the TV's next poll, after that end.
TEST_P(DevicePairingTest, AConfirmJustBeforeTheCodesEndIsStillHandedOver) {
  auto code = pairing_->start("10.0.0.7", "");
  ASSERT_TRUE(code);
  clock_.advance(minutes(5) - seconds(1));
  ASSERT_EQ(pairing_->wait(code->secret)->state, PairingWait::State::kWaiting);
  ASSERT_TRUE(pairing_->confirm(kVic, code->code, "TV", "vic's password"));
  clock_.advance(seconds(2));
  auto paired = pairing_->wait(code->secret);
  ASSERT_TRUE(paired) << paired.status().toString();
  EXPECT_EQ(paired->state, PairingWait::State::kPaired);
  ASSERT_TRUE(paired->session);
  EXPECT_EQ(accounts_->authenticate(paired->session->token)->user, "vic");
}

// M2: confirming takes the user's password again: a stolen phone session
// alone signs in no TV.
TEST_P(DevicePairingTest, ConfirmingTakesTheUsersPasswordAgain) {
  auto code = pairing_->start("10.0.0.7", "");
  ASSERT_TRUE(code);
  auto stolen = pairing_->confirm(kVic, code->code, "TV", "a guess");
  ASSERT_FALSE(stolen);
  EXPECT_EQ(stolen.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(stolen.status().message(), "password: wrong password");
  EXPECT_EQ(pairing_->wait(code->secret)->state, PairingWait::State::kWaiting);
  // Counted as a failed login, not as a wrong code.
  EXPECT_EQ(rows("login_failed").size(), 1u);
  EXPECT_EQ(pairing_->retryAfter("vic", "10.0.0.8"), seconds(0));
  // The device name is checked before the password.
  EXPECT_EQ(pairing_->confirm(kVic, code->code, "", "a guess").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(rows("login_failed").size(), 1u);
  ASSERT_TRUE(pairing_->confirm(kVic, code->code, "TV", "vic's password"));
  auto paired = pairing_->wait(code->secret);
  ASSERT_TRUE(paired && paired->session);
}

// M3: before confirming, the user sees what asked for the code.
TEST_P(DevicePairingTest, ALookupShowsWhatAskedForTheCode) {
  auto code = pairing_->start("2001:db8:1:2::7", "Mozilla/5.0 (SMART-TV)");
  ASSERT_TRUE(code);
  auto found = pairing_->lookup(kVic, code->code);
  ASSERT_TRUE(found) << found.status().toString();
  EXPECT_EQ(found->code, code->code);
  EXPECT_EQ(found->client, "2001:db8:1:2::7");
  EXPECT_EQ(found->userAgent, "Mozilla/5.0 (SMART-TV)");
  EXPECT_EQ(found->expiresAt, code->expiresAt);
  // A lookup confirms nothing; a wrong one counts as a wrong code.
  EXPECT_EQ(pairing_->wait(code->secret)->state, PairingWait::State::kWaiting);
  const std::string wrong = code->code[0] == 'B' ? "CCCC-CCCC" : "BBBB-BBBB";
  for (int i = 0; i < 5; ++i) EXPECT_EQ(pairing_->lookup(kVic, wrong).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(pairing_->lookup(kVic, code->code).status().code(), StatusCode::kResourceExhausted);
}

// What a TV says it is is shown as printable ASCII: a User-Agent of bytes
// that are not UTF-8 would otherwise break the lookup's and the confirm's
// JSON answers (the attack: the user sees an error, the TV is signed in).
TEST_P(DevicePairingTest, ATvsUserAgentIsKeptAsPrintableAscii) {
  auto code = pairing_->start("10.0.0.7", "TV \xff\xfe\x1b[2J" + std::string(300, 'x'));
  ASSERT_TRUE(code);
  auto found = pairing_->lookup(kVic, code->code);
  ASSERT_TRUE(found) << found.status().toString();
  EXPECT_EQ(found->userAgent.substr(0, 8), "TV ???[2");
  EXPECT_EQ(found->userAgent.size(), 200u);
}

// L2: the session is made in the password's epoch of the confirm: a
// password change between the confirm and the TV's fetch cancels it.
TEST_P(DevicePairingTest, APasswordChangeAfterTheConfirmCancelsThePairing) {
  auto code = pairing_->start("10.0.0.7", "");
  ASSERT_TRUE(code);
  ASSERT_TRUE(pairing_->confirm(kVic, code->code, "TV", "vic's password"));
  ASSERT_TRUE(accounts_->changePassword(kVic, "vic", "vic's new password").isOk());
  auto waited = pairing_->wait(code->secret);
  ASSERT_FALSE(waited);
  EXPECT_EQ(waited.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(db().store().listSessions("vic")->empty());
  EXPECT_EQ(pairing_->wait(code->secret).status().code(), StatusCode::kNotFound);
}

// M1: an IPv6 host has a whole /64: its addresses count as one.
TEST_P(DevicePairingTest, AnIpv6Slash64CountsAsOneAddress) {
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(pairing_->start(fmt::format("2001:db8:1:2::{}", i), "")) << i;
  auto fourth = pairing_->start("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "");
  ASSERT_FALSE(fourth);
  EXPECT_EQ(fourth.status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(pairing_->start("2001:db8:1:3::1", ""));
}

// M1: one network asking for codes without end fills the node and then
// evicts its own codes, never a TV's elsewhere; codes done with never
// keep the node full.
TEST_P(DevicePairingTest, ATvGetsAndKeepsACodeWhileAnotherNetworkFloods) {
  DevicePairingOptions options;
  options.tally.background = false;
  options.maxWaiting = 8;
  DevicePairing pairing(*accounts_, *audit_, clock_, options);
  int flood = 0;
  auto attack = [&](int n) {
    for (int i = 0; i < n; ++i, ++flood) {
      ASSERT_TRUE(pairing.start(fmt::format("2001:db8:66:{:x}::1", flood), "")) << flood;
    }
  };
  attack(20);
  auto tv = pairing.start("192.0.2.7", "TV browser");
  ASSERT_TRUE(tv) << tv.status().toString();
  attack(50);
  auto waiting = pairing.wait(tv->secret);
  ASSERT_TRUE(waiting) << waiting.status().toString();
  EXPECT_EQ(waiting->state, PairingWait::State::kWaiting);
  ASSERT_TRUE(pairing.confirm(kVic, tv->code, "TV", "vic's password"));
  EXPECT_TRUE(pairing.wait(tv->secret)->session);
  // Expired and used codes are remembered a while, but never block.
  for (int round = 0; round < 4; ++round) {
    clock_.advance(minutes(5));
    for (int i = 0; i < 8; ++i) {
      ASSERT_TRUE(pairing.start(fmt::format("198.51.{}.{}", round, i), "")) << round << " " << i;
    }
  }
}

// Makes the table refuse new rows (a disk in trouble), until allow().
class RefusedInserts {
 public:
  RefusedInserts(const TempAccessDb& db, Backend backend, std::string table)
      : db_(db), backend_(backend), table_(std::move(table)) {
    if (backend_ == Backend::kSqlite) {
      db_.exec(fmt::format("CREATE TRIGGER refuse_{0} BEFORE INSERT ON {0} BEGIN SELECT RAISE(ABORT, 'disk trouble'); END;",
                           table_));
    } else {
      db_.exec("CREATE OR REPLACE FUNCTION refuse_insert() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk trouble'; END; "
               "$$ LANGUAGE plpgsql;");
      db_.exec(fmt::format("CREATE TRIGGER refuse_{0} BEFORE INSERT ON {0} FOR EACH ROW EXECUTE FUNCTION refuse_insert();",
                           table_));
    }
  }
  void allow() {
    db_.exec(backend_ == Backend::kSqlite ? fmt::format("DROP TRIGGER refuse_{}", table_)
                                          : fmt::format("DROP TRIGGER refuse_{0} ON {0}", table_));
  }

 private:
  const TempAccessDb& db_;
  Backend backend_;
  std::string table_;
};

// P5: the database failing when the TV comes for its session (the session's
// row, or its audit row) leaves no session and does not use up the
// confirm: the TV's next ask gets it, once.
TEST_P(DevicePairingTest, ADatabaseErrorAtTheHandOverLetsTheTvAskAgain) {
  for (const char* table : {"session", "audit"}) {
    SCOPED_TRACE(table);
    auto code = pairing_->start("10.0.0.7", "");
    ASSERT_TRUE(code);
    ASSERT_TRUE(pairing_->confirm(kVic, code->code, "TV", "vic's password"));
    RefusedInserts refused(db(), GetParam(), table);
    auto failed = pairing_->wait(code->secret);
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.status().code(), StatusCode::kInternal) << failed.status().toString();
    EXPECT_TRUE(db().store().listSessions("vic")->empty());
    refused.allow();
    auto paired = pairing_->wait(code->secret);
    ASSERT_TRUE(paired) << paired.status().toString();
    ASSERT_TRUE(paired->session);
    EXPECT_EQ(db().store().listSessions("vic")->size(), 1u);
    EXPECT_EQ(pairing_->wait(code->secret).status().code(), StatusCode::kNotFound);
    ASSERT_TRUE(accounts_->logout(paired->session->token, "10.0.0.7").isOk());
  }
}

// The time of day moving on by `jump` after the first `calls` reads.
class JumpingClock final : public Clock {
 public:
  JumpingClock(WallTime start, int calls, std::chrono::microseconds jump) : start_(start), calls_(calls), jump_(jump) {}
  WallTime now() const override { return read_++ < calls_ ? start_ : start_ + jump_; }
  std::chrono::steady_clock::time_point steadyNow() const override { return std::chrono::steady_clock::now(); }

 private:
  WallTime start_;
  int calls_;
  std::chrono::microseconds jump_;
  mutable int read_ = 0;
};

// P4: a code right when typed that ends (or is taken) while the password
// is checked is refused, but not counted as a wrong code.
TEST_P(DevicePairingTest, ACodeThatEndsWhileThePasswordIsCheckedIsNoWrongCode) {
  // Read by start() and its audit tally, and by confirm()'s check of the
  // code; six minutes later by its check again, after the password's.
  JumpingClock clock(clock_.now(), 3, minutes(6));
  DevicePairingOptions options;
  options.tally.background = false;
  options.wrongCodesPerUser = 1;
  DevicePairing pairing(*accounts_, *audit_, clock, options);
  auto code = pairing.start("10.0.0.7", "");
  ASSERT_TRUE(code);
  auto late = pairing.confirm(kVic, code->code, "TV", "vic's password");
  ASSERT_FALSE(late);
  EXPECT_EQ(late.status().code(), StatusCode::kFailedPrecondition) << late.status().toString();
  EXPECT_TRUE(rows("device_pair_failed").empty());
  EXPECT_EQ(pairing.retryAfter("vic", "10.0.0.8"), seconds(0));
}

TEST(NormalizeCode, AcceptsTheCodeAsPeopleTypeIt) {
  EXPECT_EQ(normalizeCode("KXTR-MPWD"), "KXTRMPWD");
  EXPECT_EQ(normalizeCode(" kxtr mpwd "), "KXTRMPWD");
  EXPECT_EQ(normalizeCode("KXTRMPW"), std::nullopt);
  EXPECT_EQ(normalizeCode("KXTR-MPWO"), std::nullopt);  // O is not a code letter
  EXPECT_EQ(normalizeCode(std::string(40, ' ') + "KXTRMPWD"), std::nullopt);
}

}  // namespace
}  // namespace vigil::access
