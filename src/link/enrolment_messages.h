#pragma once
// The JSON bodies of enrolment (design/LINK.md, "Enrolment"), shared by the
// child that sends them and the parent that parses them. Keys, nonces and
// proofs are lower-case hex. Every parser takes network input: it checks
// each field and answers InvalidArgument naming the first bad one.
//
//   POST /api/v1/link/join/hello  {"nonce"}
//     -> {"id", "name", "tier", "public_key", "proof"}        (the parent)
//   POST /api/v1/link/join        {"nonce", "code", "id", "name", "tier", "public_key", "proof"}
//     -> {"id", "name", "tier", "public_key"}                (the parent)

#include <string>
#include <string_view>

#include "base/config.h"
#include "base/status.h"
#include "link/proof.h"

namespace vigil::link {

inline constexpr size_t kMaxNodeNameBytes = 128;

struct NodeIdentity {
  std::string id;
  std::string name;
  Tier tier = Tier::kHousehold;
  PublicKey key{};
};

struct JoinHello {
  Nonce nonce{};
};
struct JoinHelloAnswer {
  NodeIdentity parent;
  Signature proof{};  // over joinParentStatement()
};
struct JoinRequest {
  Nonce nonce{};  // the one of the hello, on the same connection
  std::string code;  // as typed; never logged
  NodeIdentity child;
  Signature proof{};  // over joinChildStatement()
};

std::string toJson(const JoinHello& m);
std::string toJson(const JoinHelloAnswer& m);
std::string toJson(const JoinRequest& m);
std::string toJson(const NodeIdentity& m);

Result<JoinHello> parseJoinHello(std::string_view json);
Result<JoinHelloAnswer> parseJoinHelloAnswer(std::string_view json);
Result<JoinRequest> parseJoinRequest(std::string_view json);
Result<NodeIdentity> parseNodeIdentity(std::string_view json);

// A node's display name as a link carries it: 1 to kMaxNodeNameBytes of
// UTF-8 without control characters.
bool isValidNodeName(std::string_view name);

}  // namespace vigil::link
