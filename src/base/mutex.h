#pragma once
// A mutex that clang's thread-safety analysis understands (-Wthread-safety,
// on in every clang build: cmake/vigil.cmake). A member declared
// `int n_ GUARDED_BY(mutex_);` may then only be touched with `mutex_` held,
// and a forgotten lock is a compile error. libstdc++'s std::mutex carries no
// annotations, hence this thin wrapper.
//
// A lambda passed as a wait predicate is checked on its own, so it says
// that it runs locked: `lock.wait(cv, [&]() REQUIRES(mutex_) { return done_; })`.

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define VIGIL_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define VIGIL_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) VIGIL_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY VIGIL_THREAD_ANNOTATION(scoped_lockable)
// A member that may only be read or written with the mutex held.
#define GUARDED_BY(x) VIGIL_THREAD_ANNOTATION(guarded_by(x))
// A function that must be called with the mutex held.
#define REQUIRES(...) VIGIL_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
// A function that takes the mutex itself, so must not be called with it held.
#define EXCLUDES(...) VIGIL_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) VIGIL_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) VIGIL_THREAD_ANNOTATION(release_capability(__VA_ARGS__))

namespace vigil {

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() ACQUIRE() { mutex_.lock(); }
  void unlock() RELEASE() { mutex_.unlock(); }

 private:
  friend class MutexLock;
  std::mutex mutex_;
};

// Holds a Mutex for its scope, like std::unique_lock. The wait functions
// give it to a condition variable while waiting; unlock() and lock() let
// go of it for a while within the scope.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mutex) ACQUIRE(mutex) : lock_(mutex.mutex_) {}
  ~MutexLock() RELEASE() = default;
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void unlock() RELEASE() { lock_.unlock(); }
  void lock() ACQUIRE() { lock_.lock(); }

  void wait(std::condition_variable& cv) { cv.wait(lock_); }
  template <typename Predicate>
  void wait(std::condition_variable& cv, Predicate done) {
    cv.wait(lock_, done);
  }
  template <typename Rep, typename Period>
  std::cv_status waitFor(std::condition_variable& cv, std::chrono::duration<Rep, Period> timeout) {
    return cv.wait_for(lock_, timeout);
  }
  // False when the time is up with `done` still false.
  template <typename Rep, typename Period, typename Predicate>
  bool waitFor(std::condition_variable& cv, std::chrono::duration<Rep, Period> timeout, Predicate done) {
    return cv.wait_for(lock_, timeout, done);
  }
  template <typename Clock, typename Duration, typename Predicate>
  bool waitUntil(std::condition_variable& cv, std::chrono::time_point<Clock, Duration> deadline, Predicate done) {
    return cv.wait_until(lock_, deadline, done);
  }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace vigil
