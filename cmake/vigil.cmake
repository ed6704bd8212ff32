# Helpers shared by every module: one warning set, one sanitizer set, one way
# to declare a module library and to register a test with CTest.

set(VIGIL_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wimplicit-fallthrough)
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  # Checks GUARDED_BY/REQUIRES annotations (base/mutex.h): a member touched
  # without its mutex held is a warning, an error with VIGIL_WERROR.
  list(APPEND VIGIL_WARNINGS -Wthread-safety)
endif()
if(VIGIL_WERROR)
  list(APPEND VIGIL_WARNINGS -Werror)
endif()

# Boost 1.74's Asio only detects C++20 coroutines on GCC and MSVC; clang 14
# with libstdc++ 12 supports them too (the RTSP client is written with them).
add_compile_definitions(BOOST_ASIO_HAS_CO_AWAIT=1 BOOST_ASIO_HAS_STD_COROUTINE=1)

if(VIGIL_SANITIZE)
  # -fsanitize=function is left out: clang 14 cannot emit its metadata for
  # coroutine frames ("Cannot represent a difference across sections").
  add_compile_options(-fsanitize=address,undefined -fno-sanitize=function
                      -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
if(VIGIL_FUZZ)
  # Coverage instrumentation everywhere, so the fuzzers see inside the modules.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# vigil_module(NAME SOURCES ... DEPS ...)
# A module is one static library `vigil_<name>` whose public headers live in
# src/<name>/ and are included as "<name>/header.h". DEPS must respect the
# module table of design/ARCHITECTURE.md (dependencies point one way).
function(vigil_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  add_library(vigil_${name} STATIC ${M_SOURCES})
  target_include_directories(vigil_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(vigil_${name} PRIVATE ${VIGIL_WARNINGS})
  target_link_libraries(vigil_${name} PUBLIC ${M_DEPS})
endfunction()

# Sanitizer settings for every test: libx265 keeps a few allocations for the
# life of the process, which LeakSanitizer would report as ours.
set(VIGIL_TEST_ENV "LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/lsan.supp")

# vigil_test(NAME SOURCES ... DEPS ... [POSTGRES_CASES]) — a GoogleTest
# binary registered with CTest, one CTest entry per test case.
# POSTGRES_CASES: the cases parametrised over storage backends whose name
# ends in "/PostgreSQL" run instead as one entry, NAME_postgresql, in one
# process, so they share the one PostgreSQL server it starts
# (access/test_postgres.h) rather than starting one each.
include(GoogleTest)
function(vigil_test name)
  cmake_parse_arguments(T "POSTGRES_CASES" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_compile_options(${name} PRIVATE ${VIGIL_WARNINGS})
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  set(filter "*")
  if(T_POSTGRES_CASES)
    set(filter "-*/PostgreSQL")
    add_test(NAME ${name}_postgresql COMMAND ${name} --gtest_filter=*/PostgreSQL)
    set_tests_properties(${name}_postgresql PROPERTIES TIMEOUT 600 ENVIRONMENT "${VIGIL_TEST_ENV}"
                         SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]")
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 TEST_FILTER "${filter}"
                       PROPERTIES TIMEOUT 120 ENVIRONMENT "${VIGIL_TEST_ENV}")
endfunction()

# vigil_peer_test(NAME SCRIPT) — a Python test (unittest) that drives the
# built `vigil` binary against real peers (ffmpeg, GStreamer...). Debian's
# python3 is used, the one that has the GStreamer bindings.
# A web UI test in Debian's headless Chromium (web/tests/<script>, node):
# exits 77 (skipped) only when /usr/bin/chromium is missing.
function(vigil_web_test name script)
  add_test(NAME ${name} COMMAND node ${PROJECT_SOURCE_DIR}/web/tests/${script}
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(${name} PROPERTIES TIMEOUT 600 SKIP_RETURN_CODE 77
      ENVIRONMENT "VIGIL_BIN=$<TARGET_FILE:vigil>;${VIGIL_TEST_ENV}")
endfunction()

function(vigil_peer_test name script)
  add_test(NAME ${name}
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/${script} -v
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(${name} PROPERTIES TIMEOUT 600
      ENVIRONMENT "VIGIL_BIN=$<TARGET_FILE:vigil>;${VIGIL_TEST_ENV}")
endfunction()
