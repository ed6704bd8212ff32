#include "link/send_queue.h"

#include <gtest/gtest.h>

namespace vigil::link {
namespace {

FrameBytes frame(size_t size, uint8_t tag) { return std::make_shared<const std::vector<uint8_t>>(size, tag); }

TEST(SendQueue, ControlFramesGoBeforeDataQueuedEarlier) {
  SendQueue q;
  ASSERT_TRUE(q.push(frame(1000, 'v'), false));
  ASSERT_TRUE(q.push(frame(1000, 'w'), false));
  ASSERT_TRUE(q.push(frame(10, 'A'), true));  // an alarm, queued behind video
  EXPECT_EQ(q.pop()->front(), 'A');
  EXPECT_EQ(q.pop()->front(), 'v');
  ASSERT_TRUE(q.push(frame(10, 'B'), true));
  EXPECT_EQ(q.pop()->front(), 'B');
  EXPECT_EQ(q.pop()->front(), 'w');
  EXPECT_EQ(q.pop(), nullptr);
  EXPECT_TRUE(q.empty());
}

TEST(SendQueue, EachLaneIsBoundedInBytes) {
  SendQueue q({.controlBytes = 100, .dataBytes = 1000});
  EXPECT_TRUE(q.push(frame(5000, 'x'), false));  // alone: always taken
  EXPECT_FALSE(q.push(frame(1, 'y'), false));
  EXPECT_TRUE(q.push(frame(60, 'a'), true));  // the control lane has its own bound
  EXPECT_FALSE(q.push(frame(60, 'b'), true));
  EXPECT_EQ(q.bytes(), 5060u);
  q.pop();
  EXPECT_TRUE(q.push(frame(60, 'b'), true));
}

TEST(SendQueue, CreditedDataIsNeverDroppedAndKeepsItsOrder) {
  SendQueue q({.controlBytes = 100, .dataBytes = 1000});
  EXPECT_TRUE(q.push(frame(900, 'v'), false));
  EXPECT_TRUE(q.push(frame(500, 'r'), false, true));  // past the bound: taken all the same
  EXPECT_TRUE(q.push(frame(500, 's'), false, true));
  EXPECT_FALSE(q.push(frame(10, 'w'), false));  // live data still is not
  EXPECT_EQ(q.pop()->front(), 'v');
  EXPECT_EQ(q.pop()->front(), 'r');
  EXPECT_EQ(q.pop()->front(), 's');
}

}  // namespace
}  // namespace vigil::link
