#include "link/config.h"
#include "link/join_client.h"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>

#include "link/tls_client.h"

namespace vigil::link {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;

// The parent's {"error": ...} as this side's Status.
Status refusal(const HttpAnswer& a) {
  auto j = nlohmann::json::parse(a.body, nullptr, false);
  std::string message = "no reason given";
  if (j.is_object() && j.contains("error") && j["error"].is_string()) message = j["error"].get<std::string>();
  const std::string text = fmt::format("the parent refused ({}): {}", a.status, message);
  if (a.status == 429) return Status::resourceExhausted(text);
  if (a.status >= 500) return Status::unavailable(text);
  return Status::permissionDenied(text);
}

asio::awaitable<Result<ParentRecord>> join(const access::NodeKey& key, const JoinOptions& o, const Clock& clock) {
  auto address = parseLinkParent(o.parentUrl);
  if (!address) co_return Status::invalidArgument(fmt::format("--parent: {}", address.status().message()));
  auto tls = makeClientTlsContext();
  auto connected = co_await connectTls(*tls, *address, o.timeout);
  if (!connected) co_return connected.status();
  TlsStream& stream = *connected->stream;
  const std::string host = address->toString();

  // 1. Who is there: its proof on this connection, its key against the code.
  const JoinHello hello{newNonce()};
  auto answer = co_await postJson(stream, host, "/api/v1/link/join/hello", toJson(hello), o.timeout);
  if (!answer) co_return answer.status();
  if (answer->status != 200) co_return refusal(*answer);
  auto parent = parseJoinHelloAnswer(answer->body);
  if (!parent) co_return Status::permissionDenied(fmt::format("the parent's answer: {}", parent.status().message()));
  if (keyFingerprint(parent->parent.key) != o.code.fingerprint) {
    co_return Status::permissionDenied(fmt::format(
        "{} does not hold the key this invitation code names: wrong address, or someone in between", o.parentUrl));
  }
  if (!access::NodeKey::verify(parent->parent.key, joinParentStatement(connected->binding, hello.nonce),
                               std::span<const uint8_t, kSignatureBytes>(parent->proof))) {
    co_return Status::permissionDenied(fmt::format(
        "{} did not prove its key on this connection: someone is in between", o.parentUrl));
  }
  if (o.self.tier >= parent->parent.tier) {
    co_return Status::failedPrecondition(fmt::format("{} is a {}: a {} links only to a tier above it", o.parentUrl,
                                                     tierName(parent->parent.tier), tierName(o.self.tier)));
  }

  // 2. The code, with this node's identity and proof.
  JoinRequest request{hello.nonce, o.code.toString(), o.self, {}};
  const auto proof = key.sign(joinChildStatement(connected->binding, hello.nonce, o.self.id, o.self.tier, o.self.key));
  std::copy(proof.begin(), proof.end(), request.proof.begin());
  answer = co_await postJson(stream, host, "/api/v1/link/join", toJson(request), o.timeout);
  if (!answer) co_return answer.status();
  if (answer->status != 200) co_return refusal(*answer);
  beast::error_code ignored;
  beast::get_lowest_layer(stream).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  co_return ParentRecord{o.parentUrl, parent->parent.id, parent->parent.name, parent->parent.tier, parent->parent.key,
                         clock.now()};
}

}  // namespace

Result<ParentRecord> joinParent(const access::NodeKey& key, const JoinOptions& options, const Clock& clock) {
  asio::io_context io;
  std::optional<Result<ParentRecord>> result;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { result = co_await join(key, options, clock); },
      [&](std::exception_ptr e) {
        if (e) result = Status::internal("join failed");
      });
  io.run();
  return result ? std::move(*result) : Result<ParentRecord>(Status::internal("join did not finish"));
}

}  // namespace vigil::link
