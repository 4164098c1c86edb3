// Status and StatusOr: the one error idiom of lmarc.
//
// Every fallible function returns a [[nodiscard]] Status (or StatusOr<T>).
// Messages are single lines; callers add context (file, chunk) with
// Status::WithContext so the CLI prints e.g.
//   lmarc: error: run42.lmarc.h5: chunk 17: checksum mismatch
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace lmarc {

enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidArgument,  // bad option or API misuse by the caller
  kIoError,          // the operating system or HDF5 refused an operation
  kCorrupt,          // archive or input bytes fail validation
  kUnsupported,      // valid but newer/unknown format feature, unknown codec/model
  kNotFound,         // path, chunk or model does not exist
  kAlreadyExists,    // output exists and -f was not given
  kResourceLimit,    // a size/memory bound would be exceeded
  kInternal,         // a bug: an invariant of lmarc itself failed
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message);

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is "context: message" (no-op when OK).
  Status WithContext(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
inline Status Corrupt(std::string m) { return {StatusCode::kCorrupt, std::move(m)}; }
inline Status Unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status ResourceLimit(std::string m) { return {StatusCode::kResourceLimit, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// IoError carrying strerror(errno_value), e.g. "open: No such file or directory".
Status ErrnoError(std::string_view what, int errno_value);

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design
  StatusOr(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace lmarc

#define LMARC_CONCAT_INNER(a, b) a##b
#define LMARC_CONCAT(a, b) LMARC_CONCAT_INNER(a, b)

// Evaluates `expr` once; returns its Status from the enclosing function if it failed.
#define RETURN_IF_ERROR(expr)                        \
  do {                                               \
    ::lmarc::Status lmarc_status_ = (expr);          \
    if (!lmarc_status_.ok()) return lmarc_status_;   \
  } while (0)

// `lhs = value of expr` or return its error. lhs may be a declaration.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(LMARC_CONCAT(lmarc_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()
