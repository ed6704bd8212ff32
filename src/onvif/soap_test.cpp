// SOAP parsing against hostile input, the UsernameToken digest, and the
// answers' parsers (design/ONVIF.md invariants 1-4).

#include <gtest/gtest.h>

#include <string>

#include "onvif/messages.h"
#include "onvif/soap.h"
#include "onvif/wsse.h"

namespace vigil::onvif {
namespace {

std::string envelope(const std::string& body, const std::string& header = "") {
  return soapEnvelope(header, body);
}

TEST(Soap, ReadsTheBodysFirstElementWhateverThePrefix) {
  auto doc = SoapDocument::parse(
      R"(<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>)"
      R"(<x:GetDeviceInformationResponse xmlns:x="http://www.onvif.org/ver10/device/wsdl"><x:Model> M1 </x:Model>)"
      R"(</x:GetDeviceInformationResponse></env:Body></env:Envelope>)");
  ASSERT_TRUE(doc.isOk()) << doc.status().message();
  auto info = parseDeviceInformation(*doc);
  ASSERT_TRUE(info.isOk()) << info.status().message();
  EXPECT_EQ(info->model, "M1");
}

TEST(Soap, RefusesAnyDoctypeSoNoEntityIsEverDeclared) {
  // Billion laughs and an external entity (XXE): refused before any use.
  const std::string laughs =
      R"(<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>)"
      R"(<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><a>&lol2;</a></s:Body></s:Envelope>)";
  const std::string xxe =
      R"(<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>)"
      R"(<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><a>&xxe;</a></s:Body></s:Envelope>)";
  for (const std::string& text : {laughs, xxe}) {
    auto doc = SoapDocument::parse(text);
    ASSERT_FALSE(doc.isOk());
    EXPECT_EQ(doc.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(doc.status().message().find("DOCTYPE"), std::string::npos) << doc.status().message();
  }
}

TEST(Soap, RefusesHugeDeepAndMalformedMessages) {
  auto huge = SoapDocument::parse(envelope("<a>" + std::string(kMaxSoapBytes, 'x') + "</a>"));
  ASSERT_FALSE(huge.isOk());
  EXPECT_NE(huge.status().message().find("more than"), std::string::npos);

  std::string deep;
  for (int i = 0; i < 100'000; ++i) deep += "<a>";
  auto nested = SoapDocument::parse(envelope(deep));  // not closed either: whichever check comes first
  ASSERT_FALSE(nested.isOk());
  std::string deepClosed, closing;
  for (int i = 0; i < kMaxXmlDepth + 5; ++i) deepClosed += "<a>", closing += "</a>";
  auto tooDeep = SoapDocument::parse(envelope(deepClosed + closing));
  ASSERT_FALSE(tooDeep.isOk());
  EXPECT_NE(tooDeep.status().message().find("deeper"), std::string::npos) << tooDeep.status().message();

  for (const char* bad : {"", "not xml", "<a/>", "<s:Envelope xmlns:s=\"x\"/>",
                          "<s:Envelope xmlns:s=\"x\"><s:Body></s:Body></s:Envelope>"}) {
    auto doc = SoapDocument::parse(bad);
    EXPECT_FALSE(doc.isOk()) << bad;
    if (!doc.isOk()) EXPECT_EQ(doc.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(Soap, NotAuthorizedFaultIsAWrongPassword) {
  auto doc = SoapDocument::parse(envelope(
      "<s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>ter:NotAuthorized</s:Value></s:Subcode>"
      "</s:Code><s:Reason><s:Text>Sender not Authorized</s:Text></s:Reason></s:Fault>"));
  ASSERT_TRUE(doc.isOk());
  auto info = parseDeviceInformation(*doc);
  ASSERT_FALSE(info.isOk());
  EXPECT_EQ(info.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(info.status().message().find("wrong user name or password"), std::string::npos);
}

TEST(Soap, OtherFaultsSayTheirReason) {
  auto doc = SoapDocument::parse(envelope(
      "<s:Fault><s:Code><s:Value>s:Receiver</s:Value></s:Code><s:Reason><s:Text>No such preset</s:Text></s:Reason>"
      "</s:Fault>"));
  ASSERT_TRUE(doc.isOk());
  Status s = parseEmptyAnswer(*doc);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("No such preset"), std::string::npos);
}

TEST(Wsse, DigestIsBase64OfSha1OfNonceCreatedPassword) {
  // Computed independently: base64(sha1(b"0123456789abcdef" + b"2026-12-07T12:00:00Z" + b"secret")) in Python.
  const std::string nonce = "0123456789abcdef";
  EXPECT_EQ(passwordDigest({reinterpret_cast<const uint8_t*>(nonce.data()), nonce.size()}, "2026-12-07T12:00:00Z",
                           "secret"),
            "f1brb9fVRbMquvC+PYhUXjhheUc=");
}

TEST(Wsse, HeaderChecksWithTheRightPasswordOnlyAndNoncesDiffer) {
  const WallTime now = WallTime::fromUnixMicros(1'765'108'800'000'000);
  const std::string a = securityHeader("admin", "secret", now);
  const std::string b = securityHeader("admin", "secret", now);
  auto docA = SoapDocument::parse(soapEnvelope(a, "<tds:GetDeviceInformation/>"));
  auto docB = SoapDocument::parse(soapEnvelope(b, "<tds:GetDeviceInformation/>"));
  ASSERT_TRUE(docA.isOk() && docB.isOk());
  EXPECT_NE(childText(docA->header(), {"Security", "UsernameToken", "Nonce"}),
            childText(docB->header(), {"Security", "UsernameToken", "Nonce"}));
  EXPECT_TRUE(checkUsernameToken(docA->header(), "admin", "secret").isOk());
  EXPECT_EQ(checkUsernameToken(docA->header(), "admin", "wrong").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(checkUsernameToken(docA->header(), "other", "secret").code(), StatusCode::kPermissionDenied);
  auto bare = SoapDocument::parse(soapEnvelope("", "<tds:GetDeviceInformation/>"));
  EXPECT_EQ(checkUsernameToken(bare->header(), "admin", "secret").code(), StatusCode::kPermissionDenied);
}

TEST(Messages, ProfilesAndServicesAreRead) {
  auto doc = SoapDocument::parse(envelope(
      R"(<trt:GetProfilesResponse><trt:Profiles token="p1"><tt:Name>hd</tt:Name><tt:VideoEncoderConfiguration>)"
      R"(<tt:Encoding>H265</tt:Encoding><tt:Resolution><tt:Width>2560</tt:Width><tt:Height>1440</tt:Height>)"
      R"(</tt:Resolution></tt:VideoEncoderConfiguration><tt:PTZConfiguration token="z"/></trt:Profiles>)"
      R"(<trt:Profiles token="p2"><tt:Name>sd</tt:Name></trt:Profiles></trt:GetProfilesResponse>)"));
  ASSERT_TRUE(doc.isOk());
  auto profiles = parseProfiles(*doc);
  ASSERT_TRUE(profiles.isOk()) << profiles.status().message();
  ASSERT_EQ(profiles->size(), 2u);
  EXPECT_EQ((*profiles)[0].token, "p1");
  EXPECT_EQ((*profiles)[0].encoding, "H265");
  EXPECT_EQ((*profiles)[0].width, 2560);
  EXPECT_TRUE((*profiles)[0].ptz);
  EXPECT_FALSE((*profiles)[1].ptz);

  auto caps = SoapDocument::parse(envelope(
      "<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Media><tt:XAddr>http://h/m</tt:XAddr></tt:Media>"
      "</tds:Capabilities></tds:GetCapabilitiesResponse>"));
  auto addresses = parseServiceAddresses(*caps);
  ASSERT_TRUE(addresses.isOk());
  EXPECT_EQ(addresses->media, "http://h/m");
  EXPECT_EQ(addresses->ptz, "");
}

TEST(Messages, ProbeMatchesOfAnotherProbeAreIgnored) {
  const std::string matches =
      "<d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>urn:uuid:1</a:Address></a:EndpointReference>"
      "<d:XAddrs>http://10.0.0.2/onvif/device_service http://[fe80::1]/onvif/device_service</d:XAddrs>"
      "</d:ProbeMatch></d:ProbeMatches>";
  auto mine = SoapDocument::parse(envelope(matches, "<a:RelatesTo>urn:uuid:me</a:RelatesTo>"));
  auto found = parseProbeMatches(*mine, "urn:uuid:me");
  ASSERT_TRUE(found.isOk()) << found.status().message();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].endpointReference, "urn:uuid:1");
  EXPECT_EQ((*found)[0].xaddrs.size(), 2u);
  EXPECT_FALSE(parseProbeMatches(*mine, "urn:uuid:other").isOk());
}

}  // namespace
}  // namespace vigil::onvif
