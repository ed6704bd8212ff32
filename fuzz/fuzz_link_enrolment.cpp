// The JSON bodies of enrolment (link/enrolment_messages.h), which a parent
// reads from any client and a child from whatever answers at the parent's
// address, and invitation codes as people type them (link/invite_code.h).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "link/enrolment_messages.h"
#include "link/invite_code.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)vigil::link::parseJoinHello(text);
  (void)vigil::link::parseJoinHelloAnswer(text);
  (void)vigil::link::parseJoinRequest(text);
  (void)vigil::link::parseNodeIdentity(text);
  if (auto code = vigil::link::parseInviteCode(text)) (void)code->toString();
  return 0;
}
