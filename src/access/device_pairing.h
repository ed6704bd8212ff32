#pragma once
// Pairing a TV by a code (AUDIT.md "Device sessions for a TV"): the TV,
// logged out, asks for a code and gets it with a secret only it knows; it
// shows the code ("KXTR-MPWD": 8 letters of 18 that no font confuses, no
// vowel so no word) and asks, with the secret, until the code is confirmed
// or expires. A logged-in user types the code on a phone, sees what asked
// for it (the TV's address and browser: a code read off someone else's
// screen names a TV that is not theirs), names the TV and types their
// password again (a stolen phone session alone signs in no TV). The TV's
// next ask makes the device session (Accounts::addDeviceSession, with the
// password as it was at the confirm) and hands it over, once; until then
// no session exists, so one never fetched leaves nothing behind, and a
// confirm just before the code's end is still handed over after it.
//
// A code expires after codeLifetime and serves once. Wrong codes (unknown,
// expired, used) are counted per user and per address: past the limit of
// a window, codes from that user or address are refused until it ends.
// Codes waiting are bounded per address and on the node; an address is an
// IPv6 /64 (client_address.h). When the node is full, a new code takes the
// place of the oldest of the busiest network's busiest address, so one
// network asking for codes without end evicts its own, not a TV's
// elsewhere. State is in memory: a restart drops the codes waiting (the TV
// asks for a new one).

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "access/accounts.h"
#include "access/audit.h"
#include "access/audit_tally.h"
#include "access/client_address.h"
#include "base/log.h"
#include "base/mutex.h"
#include "base/time.h"

namespace vigil::access {

struct DevicePairingOptions {
  std::chrono::seconds codeLifetime{5 * 60};
  // Codes waiting on the node; past it, the busiest network's oldest
  // goes. Codes expired or used are remembered (to be told apart from
  // wrong ones) up to as many more, the oldest forgotten first.
  size_t maxWaiting = 1000;
  size_t maxWaitingPerAddress = 3;  // of them, asked from one address (an IPv6 /64)
  int wrongCodesPerUser = 5;        // per window
  int wrongCodesPerAddress = 10;    // per window
  std::chrono::seconds wrongCodeWindow{15 * 60};
  // Code requests (anyone's) and wrong codes are audited through it.
  AuditTallyOptions tally;
};

struct PairingCode {
  std::string code;    // "KXTR-MPWD": to show
  std::string secret;  // 256 random bits in hex: the TV's only; never log it
  WallTime expiresAt;
};

// What asked for a code: shown to the user before they confirm it.
struct PairingRequest {
  std::string code;    // "KXTR-MPWD"
  std::string client;  // the TV's address
  std::string userAgent;
  WallTime expiresAt;
};

struct PairingWait {
  enum class State { kWaiting, kPaired, kExpired };
  State state = State::kWaiting;
  WallTime expiresAt;                  // the code's
  std::optional<LoginResult> session;  // kPaired: the device session, given this once
};

// The letters of codes, and a code as typed: upper case, without spaces
// and dashes ("kxtr mpwd" -> "KXTRMPWD"); nullopt when it cannot be one.
std::optional<std::string> normalizeCode(std::string_view typed);

// Thread-safe.
class DevicePairing {
 public:
  DevicePairing(Accounts& accounts, AuditLog& audit, const Clock& clock, DevicePairingOptions options = {});

  // A new code for a TV at `client`. ResourceExhausted when too many
  // codes wait from this address. Audited (tallied).
  Result<PairingCode> start(const std::string& client, std::string_view userAgent);
  // The TV asks with its secret. Once the code is confirmed (before its
  // end; the answer may come after it) the device session is made and
  // given, this once: the refusals of Accounts::addDeviceSession() when
  // the user's password changed since, they were disabled or have no room.
  // NotFound for a secret unknown or done with (its session given, its
  // code evicted, or forgotten after a restart).
  Result<PairingWait> wait(std::string_view secret);
  // A logged-in user (`actor`) about to confirm `code`: what asked for it.
  // Refused as confirm() refuses the code (and counted alike).
  Result<PairingRequest> lookup(const Actor& actor, std::string_view code);
  // `actor` confirms `code` with their `password`, naming the TV `device`
  // (Accounts::approveDevice, and its refusals): the TV's next wait() gets
  // the device session. InvalidArgument naming the field (code, device);
  // NotFound when no TV shows the code, FailedPrecondition when it
  // expired or was used; ResourceExhausted while this user or address has
  // entered too many wrong codes (retryAfter()). Audited.
  Result<PairingRequest> confirm(const Actor& actor, std::string_view code, std::string_view device,
                                 std::string_view password);
  // How long until `user` at `client` may enter a code again (0: now).
  std::chrono::seconds retryAfter(const std::string& user, const std::string& client);

 private:
  // Confirmed by `by`, as `user` was at the confirm (their password hash).
  struct Confirmed {
    Actor by;
    User user;
    std::string device;
  };
  struct Pairing {
    std::string code;
    std::string client;  // the TV's
    ClientKeys keys;     // its address and network, for the bounds
    std::string userAgent;
    WallTime expiresAt;
    std::optional<Confirmed> confirmed;  // the code serves once
    bool fetched = false;                // the TV has its session
  };
  struct WrongCodes {
    int count = 0;
    WallTime windowStart;
  };
  // Forgets codes a lifetime past their end (until then an expired or
  // used code is told apart from a wrong one) and wrong-code counts whose
  // window is over.
  void prune(WallTime now) REQUIRES(mutex_);
  // Makes room for one more code: evicts the busiest network's busiest
  // address's oldest waiting code when maxWaiting wait, and forgets the
  // oldest done with past the memory's bound.
  void makeRoom(WallTime now) REQUIRES(mutex_);
  void forget(std::map<std::string, Pairing>::iterator it) REQUIRES(mutex_);
  // The pairing `code` names, waiting for a confirm, or the refusal
  // (counted as a wrong code unless malformed, throttled or kNotAgain).
  enum class Count { kWrongCodes, kNotAgain };
  Result<Pairing*> findWaiting(const Actor& actor, std::string_view code, WallTime now,
                               Count count = Count::kWrongCodes) REQUIRES(mutex_);
  std::chrono::seconds waitFor(const std::string& key, WallTime now) const REQUIRES(mutex_);
  Status refuse(const Actor& actor, std::string_view reason, Status why) REQUIRES(mutex_);

  Accounts& accounts_;
  AuditLog& audit_;
  const Clock& clock_;
  const DevicePairingOptions options_;
  AuditTally tally_;
  Mutex mutex_;
  std::map<std::string, Pairing> bySecretHash_ GUARDED_BY(mutex_);  // SHA-256 of the secret -> its pairing
  std::map<std::string, std::string> byCode_ GUARDED_BY(mutex_);     // code -> SHA-256 of the secret
  // "user:<id>" and "address:<ClientKeys::address>" -> wrong codes in the window.
  std::map<std::string, WrongCodes> wrong_ GUARDED_BY(mutex_);
  log::RateLimit evictionLog_ GUARDED_BY(mutex_){std::chrono::minutes(1)};
};

}  // namespace vigil::access
