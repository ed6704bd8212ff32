#pragma once
// SOAP 1.2 envelopes as ONVIF devices send and take them. Every envelope
// from the network, a camera's answer or a request to the simulator, is
// read by SoapDocument::parse, which is hostile-input safe (design/ONVIF.md
// invariants 1-3): a size limit, no DOCTYPE at all (so no DTD, no entity
// of any kind beyond XML's five and character references, which pugixml
// never expands further), a depth limit.

#include <initializer_list>
#include <memory>
#include <pugixml.hpp>
#include <string>
#include <string_view>

#include "base/status.h"

namespace vigil::onvif {

inline constexpr size_t kMaxSoapBytes = 256 * 1024;  // a camera with 20 profiles answers ~40 KiB
inline constexpr int kMaxXmlDepth = 32;              // ONVIF's deepest answers nest ~10 levels

class SoapDocument {
 public:
  // InvalidArgument naming what is wrong ("SOAP: DOCTYPE is not allowed").
  static Result<SoapDocument> parse(std::string_view text);

  pugi::xml_node header() const { return header_; }
  // The Body's first element: the call, its answer, or a Fault.
  pugi::xml_node payload() const { return payload_; }
  // OK, or the Status of a Fault payload (faultStatus).
  Status fault() const;

 private:
  std::unique_ptr<pugi::xml_document> doc_;
  pugi::xml_node header_;
  pugi::xml_node payload_;
};

// A name without its namespace prefix: devices choose their own prefixes.
std::string_view localName(pugi::xml_node node);
// The first child element with this local name; an empty node if none.
pugi::xml_node child(pugi::xml_node parent, std::string_view name);
// The trimmed text of the element at `path` of local names below `node`;
// empty when any step is missing.
std::string childText(pugi::xml_node node, std::initializer_list<std::string_view> path);

// A Fault's Status: NotAuthorized (ONVIF's subcode for a wrong user name,
// password or digest) is PermissionDenied "wrong user name or password";
// any other is FailedPrecondition with the fault's reason.
Status faultStatus(pugi::xml_node fault);

// Text for an XML element or attribute value.
std::string xmlEscape(std::string_view text);

// A SOAP 1.2 envelope declaring the namespaces the messages use: s (soap),
// a (addressing), d (discovery), tds (device), trt (media), tptz (PTZ), tt
// (schema), wsse/wsu (security).
std::string soapEnvelope(std::string_view header, std::string_view body);

}  // namespace vigil::onvif
