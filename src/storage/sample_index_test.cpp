#include "storage/sample_index.h"

#include <gtest/gtest.h>

namespace vigil::storage {
namespace {

TEST(SampleIndex, RoundTripsAndIsCompact) {
  SampleIndexEncoder enc;
  std::vector<SampleInfo> in;
  for (int i = 0; i < 1500; ++i) {
    const bool key = i % 50 == 0;
    in.push_back({3600 + (i % 3 == 0 ? 1 : 0), static_cast<uint32_t>(key ? 60000 + i : 9000 + (i * 37) % 500), key});
    enc.add(in.back());
  }
  auto out = decodeSampleIndex(enc.bytes());
  ASSERT_TRUE(out.isOk()) << out.status().toString();
  EXPECT_EQ(*out, in);
  EXPECT_LT(enc.bytes().size(), 4 * in.size());  // about 3 bytes a sample
}

TEST(SampleIndex, TruncatedBlobIsDataLoss) {
  SampleIndexEncoder enc;
  enc.add({3000, 100000, true});
  std::vector<uint8_t> blob = enc.bytes();
  blob.pop_back();
  EXPECT_EQ(decodeSampleIndex(blob).status().code(), StatusCode::kDataLoss);
}

TEST(SampleIndex, NonPositiveDurationIsDataLoss) {
  std::vector<uint8_t> blob;
  appendVarint(blob, 0);  // duration delta 0 from 0: duration 0
  appendVarint(blob, 2);
  EXPECT_EQ(decodeSampleIndex(blob).status().code(), StatusCode::kDataLoss);
}

TEST(Varint, RejectsMoreThan64Bits) {
  std::vector<uint8_t> blob(10, 0xff);
  blob.push_back(0x01);
  size_t pos = 0;
  uint64_t v = 0;
  EXPECT_FALSE(readVarint(blob, pos, v));
  std::vector<uint8_t> max;
  appendVarint(max, UINT64_MAX);
  pos = 0;
  ASSERT_TRUE(readVarint(max, pos, v));
  EXPECT_EQ(v, UINT64_MAX);
}

}  // namespace
}  // namespace vigil::storage
