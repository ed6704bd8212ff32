#include "onvif/soap.h"

#include <fmt/format.h>

#include <vector>

#include "base/encoding.h"

namespace vigil::onvif {
namespace {

// The node and its depth, walked without recursion so that a deep document
// cannot exhaust the stack before the depth check says no.
Status checkTree(const pugi::xml_document& doc) {
  std::vector<std::pair<pugi::xml_node, int>> pending{{doc, 0}};
  while (!pending.empty()) {
    auto [node, depth] = pending.back();
    pending.pop_back();
    if (node.type() == pugi::node_doctype) return Status::invalidArgument("SOAP: DOCTYPE is not allowed");
    if (depth > kMaxXmlDepth) {
      return Status::invalidArgument(fmt::format("SOAP: elements nested deeper than {}", kMaxXmlDepth));
    }
    for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) pending.emplace_back(c, depth + 1);
  }
  return Status::ok();
}

}  // namespace

Result<SoapDocument> SoapDocument::parse(std::string_view text) {
  if (text.size() > kMaxSoapBytes) {
    return Status::invalidArgument(fmt::format("SOAP: message of {} bytes, more than {}", text.size(), kMaxSoapBytes));
  }
  SoapDocument out;
  out.doc_ = std::make_unique<pugi::xml_document>();
  // parse_doctype keeps a DOCTYPE as a node so checkTree can refuse it;
  // pugixml expands no entity declared in one either way.
  const unsigned options = (pugi::parse_default | pugi::parse_doctype) & ~pugi::parse_wconv_attribute;
  pugi::xml_parse_result parsed = out.doc_->load_buffer(text.data(), text.size(), options, pugi::encoding_utf8);
  if (!parsed) {
    return Status::invalidArgument(fmt::format("SOAP: not XML: {} at byte {}", parsed.description(), parsed.offset));
  }
  VIGIL_RETURN_IF_ERROR(checkTree(*out.doc_));
  pugi::xml_node envelope = out.doc_->document_element();
  if (localName(envelope) != "Envelope") return Status::invalidArgument("SOAP: the root is not an Envelope");
  pugi::xml_node body = child(envelope, "Body");
  if (!body) return Status::invalidArgument("SOAP: the Envelope has no Body");
  out.header_ = child(envelope, "Header");
  out.payload_ = body.find_child([](pugi::xml_node n) { return n.type() == pugi::node_element; });
  if (!out.payload_) return Status::invalidArgument("SOAP: the Body is empty");
  return out;
}

Status SoapDocument::fault() const {
  if (localName(payload_) != "Fault") return Status::ok();
  return faultStatus(payload_);
}

std::string_view localName(pugi::xml_node node) {
  std::string_view name = node.name();
  const size_t colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node child(pugi::xml_node parent, std::string_view name) {
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && localName(c) == name) return c;
  }
  return {};
}

std::string childText(pugi::xml_node node, std::initializer_list<std::string_view> path) {
  for (std::string_view step : path) {
    node = child(node, step);
    if (!node) return {};
  }
  return std::string(trim(node.text().get(), " \t\r\n"));
}

Status faultStatus(pugi::xml_node fault) {
  // SOAP 1.2: Code/Value, Code/Subcode/Value (nested), Reason/Text.
  // SOAP 1.1 (some older cameras): faultcode, faultstring.
  std::string codes;
  for (pugi::xml_node code = child(fault, "Code"); code; code = child(code, "Subcode")) {
    codes += childText(code, {"Value"}) + " ";
  }
  codes += childText(fault, {"faultcode"});
  std::string reason = childText(fault, {"Reason", "Text"});
  if (reason.empty()) reason = childText(fault, {"faultstring"});
  if (codes.find("NotAuthorized") != std::string::npos) {
    return Status::permissionDenied("wrong user name or password (the device answered NotAuthorized)");
  }
  if (reason.size() > 200) reason.resize(200);
  return Status::failedPrecondition(
      fmt::format("the device answered a SOAP fault: {}", reason.empty() ? std::string(trim(codes)) : reason));
}

std::string xmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string soapEnvelope(std::string_view header, std::string_view body) {
  return fmt::format(
      R"(<?xml version="1.0" encoding="UTF-8"?>)"
      R"(<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope")"
      R"( xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing")"
      R"( xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery")"
      R"( xmlns:dn="http://www.onvif.org/ver10/network/wsdl")"
      R"( xmlns:tds="http://www.onvif.org/ver10/device/wsdl")"
      R"( xmlns:trt="http://www.onvif.org/ver10/media/wsdl")"
      R"( xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl")"
      R"( xmlns:tt="http://www.onvif.org/ver10/schema")"
      R"( xmlns:ter="http://www.onvif.org/ver10/error")"
      R"( xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd")"
      R"( xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">)"
      "<s:Header>{}</s:Header><s:Body>{}</s:Body></s:Envelope>",
      header, body);
}

}  // namespace vigil::onvif
