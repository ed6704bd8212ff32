#pragma once
// Pairing a TV by a code (AUDIT.md "Device sessions for a TV"): the TV,
// logged out, asks for a code and gets it with a secret only it knows; it
// shows the code ("KXTR-MPWD": 8 letters of 18 that no font confuses, no
// vowel so no word) and asks, with the secret, until the code is confirmed
// or expires. A logged-in user types the code on a phone and names the
// TV: a device session of theirs is made (Accounts::addDeviceSession) and
// handed to the TV at its next ask, once. A code alone gives nothing: the
// session is the confirming user's, and only the secret's holder gets it.
//
// A code expires after codeLifetime and serves once. Wrong codes (unknown,
// expired, used) are counted per user and per address: past the limit of
// a window, codes from that user or address are refused until it ends.
// Codes waiting are bounded per address and on the node. State is in
// memory: a restart drops the codes waiting (the TV asks for a new one).
// A session confirmed but not fetched by the TV before its code's end is
// ended (logged out) rather than left behind.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "access/accounts.h"
#include "access/audit.h"
#include "access/audit_tally.h"
#include "base/mutex.h"
#include "base/time.h"

namespace vigil::access {

struct DevicePairingOptions {
  std::chrono::seconds codeLifetime{5 * 60};
  size_t maxWaiting = 100;           // codes waiting on the node
  size_t maxWaitingPerAddress = 3;   // of them, asked from one address
  int wrongCodesPerUser = 5;         // per window
  int wrongCodesPerAddress = 10;     // per window
  std::chrono::seconds wrongCodeWindow{15 * 60};
  // Code requests (anyone's) and wrong codes are audited through it.
  AuditTallyOptions tally;
};

struct PairingCode {
  std::string code;    // "KXTR-MPWD": to show
  std::string secret;  // 256 random bits in hex: the TV's only; never log it
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
  // codes wait (from this address, or on the node). Audited (tallied).
  Result<PairingCode> start(const std::string& client, std::string_view userAgent);
  // The TV asks with its secret. NotFound for a secret unknown or done
  // with (its session given, or forgotten after a restart).
  Result<PairingWait> wait(std::string_view secret);
  // A logged-in user (`actor`) confirms `code`, naming the TV `device`:
  // the device session (its record, for the answer) is made and the TV
  // gets it at its next wait(). InvalidArgument naming the field (code,
  // device); NotFound when no TV shows the code, FailedPrecondition when it
  // expired or was used; ResourceExhausted while this user or address has
  // entered too many wrong codes (retryAfter()). Audited.
  Result<SessionRecord> confirm(const Actor& actor, std::string_view code, std::string_view device);
  // How long until `user` at `client` may enter a code again (0: now).
  std::chrono::seconds retryAfter(const std::string& user, const std::string& client);

 private:
  struct Pairing {
    std::string code;
    std::string client;  // the TV's
    std::string userAgent;
    WallTime expiresAt;
    std::optional<LoginResult> session;  // once confirmed, until the TV takes it
    bool used = false;                   // confirmed (the code serves once)
    bool fetched = false;                // the TV has its session
  };
  struct WrongCodes {
    int count = 0;
    WallTime windowStart;
  };
  // Ends the sessions of codes past their end that nobody fetched; forgets
  // codes a lifetime past their end (until then an expired or used code is
  // told apart from a wrong one) and wrong-code counts whose window is over.
  void prune(WallTime now) REQUIRES(mutex_);
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
  // "user:<id>" and "address:<client>" -> wrong codes in the window.
  std::map<std::string, WrongCodes> wrong_ GUARDED_BY(mutex_);
};

}  // namespace vigil::access
