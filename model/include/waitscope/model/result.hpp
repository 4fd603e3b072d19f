// Result<T>: a value or a LoadError (errors as values; std::expected is C++23).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace waitscope::model {

/// Why a snapshot (or a session) could not be read.
enum class ErrorKind {
    Io,                ///< the file could not be read
    Syntax,            ///< not JSON / CBOR
    NotASnapshot,      ///< no `schema` member, or another document type
    NewerSchema,       ///< written by a newer waitscope (a schema major this build cannot read)
    UnsupportedSchema, ///< an older major without a migration, or a malformed version
    Structure,         ///< valid JSON but not a valid snapshot (missing ids, duplicates, ...)
    Cancelled,         ///< the caller's stop request ended the load
};

/// An error with a one-line message meant for the user.
struct Error {
    ErrorKind kind = ErrorKind::Structure;
    std::string message;
};

/// A value or an Error.
template <class T>
class Result {
public:
    Result(T value) : m_v(std::move(value)) {}
    Result(Error error) : m_v(std::move(error)) {}

    [[nodiscard]] bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }
    [[nodiscard]] T& value() { return std::get<0>(m_v); }
    [[nodiscard]] const T& value() const { return std::get<0>(m_v); }
    [[nodiscard]] const Error& error() const { return std::get<1>(m_v); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

private:
    std::variant<T, Error> m_v;
};

} // namespace waitscope::model
