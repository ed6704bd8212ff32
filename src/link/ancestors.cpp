#include "link/ancestors.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "base/log.h"
#include "link/json_fields.h"

namespace vigil::link {

namespace {

using nlohmann::json;

bool sameNode(const ChainNode& n, const std::string& id, Tier tier, const PublicKey& key) {
  return n.id == id && n.tier == tier && n.key == key;
}

Result<ChainNode> readNode(const json& j) {
  ChainNode n;
  JsonFields f(j.dump(), 1);
  n.id = f.string("id", 64);
  if (f.ok() && !isValidId(n.id)) f.fail("chain: id must match [a-z0-9_-]{1,64}");
  const std::string tier = f.string("tier", 16);
  if (f.ok()) {
    if (auto t = parseTier(tier)) n.tier = *t;
    else f.fail("chain: tier must be household, village, township or county");
  }
  n.key = f.hex<kKeyBytes>("key");
  n.enrolledAtUs = f.unsignedInt("enrolled_at");
  if (f.has("vouch")) n.vouch = f.hex<kSignatureBytes>("vouch");
  return f.result(std::move(n));
}

}  // namespace

std::vector<uint8_t> encodeChain(const Chain& chain) {
  json nodes = json::array();
  for (const ChainNode& n : chain) {
    json j{{"id", n.id}, {"tier", tierName(n.tier)}, {"key", hexEncode(n.key)}, {"enrolled_at", n.enrolledAtUs}};
    if (n.vouch) j["vouch"] = hexEncode(*n.vouch);
    nodes.push_back(std::move(j));
  }
  const std::string s = json{{"chain", nodes}}.dump();
  return {s.begin(), s.end()};
}

Result<Chain> decodeChain(std::span<const uint8_t> payload) {
  const std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
  // One object holding one array of flat objects.
  const auto opened = std::count(text.begin(), text.end(), '{') + std::count(text.begin(), text.end(), '[');
  if (opened > static_cast<std::ptrdiff_t>(2 + kMaxChainNodes)) {
    return Status::invalidArgument("chain: nested too deeply");
  }
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) return Status::invalidArgument("chain: not JSON");
  VIGIL_RETURN_IF_ERROR(onlyKeys(doc, "chain", {"chain"}));
  const json& nodes = doc["chain"];
  if (!nodes.is_array() || nodes.size() < 2 || nodes.size() > kMaxChainNodes) {
    return Status::invalidArgument(fmt::format("chain: a list of 2 to {} nodes", kMaxChainNodes));
  }
  Chain chain;
  for (const json& j : nodes) {
    if (!j.is_object()) return Status::invalidArgument("chain: each node an object");
    for (const auto& [key, value] : j.items()) {
      if (key != "id" && key != "tier" && key != "key" && key != "enrolled_at" && key != "vouch") {
        return Status::invalidArgument(fmt::format("chain: unknown key \"{}\"", key));
      }
    }
    auto node = readNode(j);
    if (!node) return node.status();
    // Only the root speaks for itself.
    if (node->vouch.has_value() == chain.empty()) {
      return Status::invalidArgument(chain.empty() ? "chain: the root is vouched for by no one"
                                                   : "chain: every node below the root is vouched for");
    }
    chain.push_back(std::move(*node));
  }
  return chain;
}

Status verifyChain(const Chain& chain) {
  for (size_t i = 1; i < chain.size(); ++i) {
    const ChainNode& above = chain[i - 1];
    const ChainNode& n = chain[i];
    if (n.tier >= above.tier) {
      return Status::permissionDenied(fmt::format("chain: {} ({}) is not below {} ({})", n.id, tierName(n.tier),
                                                  above.id, tierName(above.tier)));
    }
    for (size_t j = 0; j < i; ++j) {
      if (chain[j].id == n.id) return Status::permissionDenied(fmt::format("chain: {} appears twice", n.id));
    }
    if (!n.vouch || !access::NodeKey::verify(above.key, chainStatement(above.id, n.id, n.tier, n.key, n.enrolledAtUs),
                                             std::span<const uint8_t, kSignatureBytes>(*n.vouch))) {
      return Status::permissionDenied(fmt::format("chain: {} is not vouched for by the key of {}", n.id, above.id));
    }
  }
  return Status::ok();
}

ChainNode vouchFor(const access::NodeKey& key, const std::string& selfId, const ChildRecord& child) {
  const auto enrolled = static_cast<uint64_t>(child.enrolledAt.unixMicros());
  const auto signature = key.sign(chainStatement(selfId, child.id, child.tier, child.key, enrolled));
  Signature vouch{};
  std::copy(signature.begin(), signature.end(), vouch.begin());
  return ChainNode{child.id, child.tier, child.key, enrolled, vouch};
}

Result<bool> takeChain(const std::optional<Chain>& pinned, const Chain& offered, const ChainNode& self,
                       const ParentRecord& parent) {
  VIGIL_RETURN_IF_ERROR(verifyChain(offered));
  if (offered.size() < 2 || !sameNode(offered.back(), self.id, self.tier, self.key)) {
    return Status::permissionDenied("chain: it does not end at this node, with its tier and key");
  }
  if (!sameNode(offered[offered.size() - 2], parent.id, parent.tier, parent.key)) {
    return Status::permissionDenied("chain: the node above this one is not the parent pinned here");
  }
  if (!pinned) return true;  // the first: the parent's word, as its key was at enrolment
  if (*pinned == offered) return false;
  if (!(pinned->front() == offered.front())) {
    return Status::permissionDenied(fmt::format(
        "chain: its root ({}) is not the one pinned here ({}): join again to take it", offered.front().id,
        pinned->front().id));
  }
  // The first node that differs is vouched for by one still pinned here:
  // take it only as a later enrolment than the pinned one (an old vouch
  // for a key since replaced does not come back).
  size_t i = 1;
  while (i < pinned->size() && i < offered.size() && (*pinned)[i] == offered[i]) ++i;
  if (i < pinned->size() && i < offered.size() && offered[i].enrolledAtUs <= (*pinned)[i].enrolledAtUs) {
    return Status::permissionDenied(fmt::format("chain: {} is not enrolled later than the {} pinned here",
                                                offered[i].id, (*pinned)[i].id));
  }
  return true;
}

Ancestors::Ancestors(AncestorsContext context) : context_(std::move(context)) {
  if (context_.parent) {
    auto stored = context_.store->chain();
    if (!stored) log::warn("link.chain_unreadable", {{"status", stored.status()}});
    if (stored && *stored) {
      auto chain = decodeChain(**stored);
      const ChainNode self{context_.selfId, context_.selfTier, context_.key->publicKey(), 0, std::nullopt};
      Result<bool> take = chain ? takeChain(std::nullopt, *chain, self, *context_.parent) : Result<bool>(chain.status());
      if (take) {
        MutexLock lock(mutex_);
        pinned_ = std::move(*chain);
      } else {
        // Not this node's any more (its key or tier changed): the parent hands down a new one.
        log::warn("link.chain_dropped", {{"reason", take.status().message()}});
      }
    }
    context_.bus->handleFromParent(Kind::kChain, [this](const Peer&, Frame f) { return onChain(f); });
  }
  context_.bus->watchLinks([this](const Peer& peer, bool up) { onLink(peer, up); });
}

Ancestors::~Ancestors() { thread_.join(); }

std::optional<PinnedAsker> Ancestors::find(std::string_view id, Tier tier) const {
  MutexLock lock(mutex_);
  if (!pinned_) {
    if (context_.parent && context_.parent->id == id && context_.parent->tier == tier) {
      return PinnedAsker{context_.parent->key, {context_.parent->id}};
    }
    return std::nullopt;
  }
  const Chain& chain = *pinned_;
  for (size_t i = 0; i + 1 < chain.size(); ++i) {
    if (chain[i].id != id) continue;
    if (chain[i].tier != tier) return std::nullopt;
    PinnedAsker asker{chain[i].key, {}};
    for (size_t j = i; j + 1 < chain.size(); ++j) asker.path.push_back(chain[j].id);
    return asker;
  }
  return std::nullopt;
}

Chain Ancestors::own() const {
  if (!context_.parent) return {ChainNode{context_.selfId, context_.selfTier, context_.key->publicKey(), 0, std::nullopt}};
  MutexLock lock(mutex_);
  return pinned_.value_or(Chain{});
}

Status Ancestors::onChain(const Frame& frame) {
  auto offered = decodeChain(frame.payload);
  if (!offered) return offered.status();
  const ChainNode self{context_.selfId, context_.selfTier, context_.key->publicKey(), 0, std::nullopt};
  std::vector<std::string> children;
  {
    MutexLock lock(mutex_);
    Result<bool> take = takeChain(pinned_, *offered, self, *context_.parent);
    if (!take) {
      // The link stays: asks are still checked against what is pinned.
      log::warn("link.chain_refused", {{"parent", context_.parent->id}, {"reason", take.status().message()}});
      return Status::ok();
    }
    if (!*take) return Status::ok();
    pinned_ = *offered;
    children.assign(children_.begin(), children_.end());
  }
  log::info("link.chain_pinned", {{"root", offered->front().id}, {"nodes", offered->size()}});
  boost::asio::post(thread_, [this, payload = frame.payload, children] {
    if (Status s = context_.store->setChain(payload); !s.isOk()) log::warn("link.chain_not_stored", {{"status", s}});
    for (const std::string& child : children) sendDown(child);
  });
  return Status::ok();
}

void Ancestors::onLink(const Peer& peer, bool up) {
  if (peer.parent) return;
  {
    MutexLock lock(mutex_);
    if (!up) {
      children_.erase(peer.childId);
      return;
    }
    children_.insert(peer.childId);
  }
  boost::asio::post(thread_, [this, child = peer.childId] { sendDown(child); });
}

void Ancestors::sendDown(const std::string& child) {
  Chain chain = own();
  if (chain.empty()) return;  // none yet: sent once this node has one
  auto children = context_.store->listChildren();
  if (!children) {
    log::warn("link.chain_not_sent", {{"child", child}, {"status", children.status()}});
    return;
  }
  for (const ChildRecord& c : *children) {
    if (c.id != child || c.removedAt) continue;
    chain.push_back(vouchFor(*context_.key, context_.selfId, c));
    context_.bus->send(Peer::child(child), Kind::kChain, 0, encodeChain(chain));
    return;
  }
}

}  // namespace vigil::link
