// Snapshot search.
#include <algorithm>
#include <cctype>
#include <charconv>

#include <waitscope/model/query.hpp>
#include <waitscope/model/search.hpp>

#include "query_util.hpp"

namespace waitscope::model {

using namespace detail;

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return s;
}

bool isNumber(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool isHexish(std::string_view s) {
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        return s.size() > 2 && std::all_of(s.begin() + 2, s.end(), [](char c) {
                   return std::isxdigit(static_cast<unsigned char>(c));
               });
    // Bare hex only when long enough to be an address and not all decimal.
    return s.size() >= 8 && !isNumber(s) && std::all_of(s.begin(), s.end(), [](char c) {
               return std::isxdigit(static_cast<unsigned char>(c));
           });
}

bool contains(std::string_view hay, std::string_view needle) {
    return hay.find(needle) != std::string_view::npos;
}

} // namespace

SearchQuery parseSearch(std::string_view input) {
    std::string_view s = trim(input);
    static constexpr std::pair<std::string_view, SearchField> Prefixes[] = {
        {"pid", SearchField::Pid},       {"fd", SearchField::Fd},
        {"sym", SearchField::Symbol},    {"func", SearchField::Symbol},
        {"symbol", SearchField::Symbol}, {"type", SearchField::Type},
        {"addr", SearchField::Address},  {"text", SearchField::Text},
    };
    for (const auto& [p, f] : Prefixes) {
        if (s.size() > p.size() && s.substr(0, p.size()) == p &&
            (s[p.size()] == ':' || s[p.size()] == ' ' || s[p.size()] == '='))
            return {f, std::string(trim(s.substr(p.size() + 1)))};
    }
    if (isHexish(s))
        return {SearchField::Address, std::string(s)};
    if (findKind(s) && !s.empty())
        return {SearchField::Type, std::string(s)};
    if (isNumber(s))
        return {SearchField::Auto, std::string(s)}; // pid or fd
    return {SearchField::Text, std::string(s)};
}

std::vector<SearchHit> search(const Snapshot& snap, const SearchQuery& q, std::size_t limit) {
    std::vector<SearchHit> hits;
    if (q.text.empty())
        return hits;
    auto hit = [&](const Object& o, std::string why) {
        if (hits.size() < limit)
            hits.push_back({o.id(), std::move(why)});
        return hits.size() >= limit;
    };
    std::int64_t number = -1;
    if (isNumber(q.text))
        std::from_chars(q.text.data(), q.text.data() + q.text.size(), number);
    const bool pid = q.field == SearchField::Pid || (q.field == SearchField::Auto && number >= 0);
    const bool fd = q.field == SearchField::Fd || (q.field == SearchField::Auto && number >= 0);

    std::string hexNeedle;
    if (q.field == SearchField::Address) {
        std::string_view t = q.text;
        if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X'))
            t.remove_prefix(2);
        while (t.size() > 1 && t[0] == '0')
            t.remove_prefix(1);
        hexNeedle = lower(t);
    }
    const std::string needle = lower(q.text);
    const Kind type =
        q.field == SearchField::Type ? findKind(q.text).value_or(Kind::Unknown) : Kind::Unknown;

    for (const ObjectPtr& p : snap.objects()) {
        const Object& o = *p;
        if (q.field == SearchField::Address) {
            std::string h = hexString(o.kaddr()).substr(2);
            if (h == hexNeedle) {
                if (hit(o, "address"))
                    break;
            } else if (hexNeedle.size() >= 4 &&
                       (h.starts_with(hexNeedle) || h.ends_with(hexNeedle))) {
                if (hit(o, "address " + hexString(o.kaddr())))
                    break;
            }
            continue;
        }
        if (q.field == SearchField::Type) {
            if (o.kind() == type && hit(o, std::string(kindName(type))))
                break;
            continue;
        }
        if (pid && number >= 0) {
            if (o.kind() == Kind::Task &&
                (i64(o, Key::pid, -1) == number || i64(o, Key::tgid, -1) == number)) {
                if (hit(o, i64(o, Key::pid, -1) == number ? "pid " + q.text : "tgid " + q.text))
                    break;
                continue;
            }
            if (o.kind() == Kind::Eventpoll) {
                bool held = false;
                for (Field ow : o[Key::owners].children())
                    held = held || ow[Key::pid].asInt() == number;
                if (held && hit(o, "held by pid " + q.text))
                    break;
            }
        }
        if (fd && number >= 0) {
            if (o.kind() == Kind::Epitem && i64(o, Key::tfd, -1) == number) {
                if (hit(o, "watches fd " + q.text))
                    break;
            } else if (o.kind() == Kind::Files) {
                for (Field f : o[Key::fds].children())
                    if (f[Key::fd].asInt() == number)
                        if (const Object* file = snap.find(f[Key::file].ref()))
                            if (hit(*file, "fd " + q.text))
                                return hits;
            }
        }
        if (q.field == SearchField::Symbol || q.field == SearchField::Text) {
            bool matched = false;
            for (Key k : {Key::func, Key::current_func, Key::f_op}) {
                std::string v = lower(o[k].text());
                if (!v.empty() && contains(v, needle)) {
                    matched = true;
                    if (hit(o, std::string(keyName(k)) + " " + o[k].text()))
                        return hits;
                    break;
                }
            }
            if (matched || q.field == SearchField::Symbol)
                continue;
            for (Key k : {Key::label, Key::comm, Key::name}) {
                std::string_view v = o[k].str();
                if (!v.empty() && contains(lower(v), needle)) {
                    if (hit(o, std::string(keyName(k)) + " " + std::string(v)))
                        return hits;
                    break;
                }
            }
        }
    }
    return hits;
}

} // namespace waitscope::model
