// Searching a snapshot by address, pid, fd, symbol, type or text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <waitscope/model/snapshot.hpp>

namespace waitscope::model {

/// What a query looks for.
enum class SearchField : std::uint8_t {
    Auto,    ///< guessed from the text (see parseSearch)
    Address, ///< an object's address (or a prefix/suffix of its hex digits)
    Pid,     ///< tasks with this pid or tgid, eventpolls held by it
    Fd,      ///< fds: files held as fd N, epitems watching fd N, eventpolls held as fd N
    Symbol,  ///< func / current_func / f_op symbols (substring)
    Type,    ///< every object of a type
    Text,    ///< labels, comm, names, symbols (substring, case-insensitive)
};

/// A parsed query: "0xffff8880..." or "ffff8880" (address), "pid:83" / "pid 83", "fd:5",
/// "sym:ep_poll" / "func:...", "type:epitem" (or a bare type name), anything else is text;
/// a bare number matches pids and fds.
struct SearchQuery {
    SearchField field = SearchField::Auto;
    std::string text;
};

[[nodiscard]] SearchQuery parseSearch(std::string_view input);

/// One match and why it matched ("pid 83", "fd 5 of pid 83", "func ep_poll_callback").
struct SearchHit {
    ObjectId id;
    std::string why;
};

/// Matches in snapshot order, at most `limit`. O(n).
[[nodiscard]] std::vector<SearchHit> search(const Snapshot& snapshot, const SearchQuery& query,
                                            std::size_t limit = 1000);

} // namespace waitscope::model
