// Snapshot diff: a walk over both object lists through the id index.
#include <algorithm>

#include <waitscope/model/diff.hpp>

namespace waitscope::model {

namespace {

std::vector<std::string> changedFields(const Object& a, const Object& b) {
    std::vector<std::string> names;
    Field ra = a.fields().root(), rb = b.fields().root();
    for (Field fa : ra.children()) {
        Field fb = rb[fa.key()];
        if (!fb || !fa.sameValue(fb))
            names.emplace_back(keyName(fa.key()));
    }
    for (Field fb : rb.children())
        if (!ra[fb.key()])
            names.emplace_back(keyName(fb.key()));
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
}

void appendQuoted(std::string& out, const std::string& s) {
    out += '"';
    for (char c : s) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    out += '"';
}

} // namespace

SnapshotDiff diffSnapshots(const Snapshot& a, const Snapshot& b) {
    SnapshotDiff d;
    for (const ObjectPtr& ob : b.objects()) {
        std::int64_t i = a.indexOf(ob->id());
        if (i < 0) {
            d.added.push_back(ob->id());
            continue;
        }
        const ObjectPtr& oa = a.objects()[static_cast<std::size_t>(i)];
        if (oa == ob || oa->fields().sameContent(ob->fields()))
            continue;
        auto fields = changedFields(*oa, *ob);
        if (!fields.empty())
            d.changed.push_back({ob->id(), std::move(fields)});
    }
    for (const ObjectPtr& oa : a.objects())
        if (b.indexOf(oa->id()) < 0)
            d.removed.push_back(oa->id());
    return d;
}

std::string diffToJson(const SnapshotDiff& diff) {
    std::string out = "{\"added\": [";
    auto ids = [&out](const std::vector<ObjectId>& list) {
        for (std::size_t i = 0; i < list.size(); ++i) {
            if (i)
                out += ", ";
            appendQuoted(out, toString(list[i]));
        }
    };
    ids(diff.added);
    out += "], \"removed\": [";
    ids(diff.removed);
    out += "], \"changed\": [";
    for (std::size_t i = 0; i < diff.changed.size(); ++i) {
        if (i)
            out += ", ";
        out += "{\"id\": ";
        appendQuoted(out, toString(diff.changed[i].id));
        out += ", \"fields\": [";
        for (std::size_t f = 0; f < diff.changed[i].fields.size(); ++f) {
            if (f)
                out += ", ";
            appendQuoted(out, diff.changed[i].fields[f]);
        }
        out += "]}";
    }
    out += "]}\n";
    return out;
}

std::string diffToText(const SnapshotDiff& diff, const Snapshot& a, const Snapshot& b) {
    std::string out;
    auto line = [&out](char sign, ObjectId id, const Snapshot& s) {
        out += sign;
        out += ' ';
        out += toString(id);
        if (const Object* o = s.find(id); o && !o->label().empty()) {
            out += "  ";
            out += o->label();
        }
        out += '\n';
    };
    for (ObjectId id : diff.added)
        line('+', id, b);
    for (ObjectId id : diff.removed)
        line('-', id, a);
    for (const ChangedObject& c : diff.changed) {
        out += "~ " + toString(c.id) + ":";
        for (std::size_t i = 0; i < c.fields.size(); ++i)
            out += (i ? ", " : " ") + c.fields[i];
        out += '\n';
    }
    out += std::to_string(diff.added.size()) + " added, " + std::to_string(diff.removed.size()) +
           " removed, " + std::to_string(diff.changed.size()) + " changed\n";
    return out;
}

} // namespace waitscope::model
