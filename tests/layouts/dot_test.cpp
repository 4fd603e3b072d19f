// DOT reader and the plain/SVG/JSON writers.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include <waitscope/layouts/dot.hpp>
#include <waitscope/layouts/export.hpp>
#include <waitscope/layouts/layered.hpp>
#include <waitscope/layouts/ring.hpp>
#include <waitscope/layouts/tree.hpp>

#include "test_util.hpp"

namespace waitscope::layouts {
namespace {

std::vector<std::string> edgeNames(const LabelledGraph& g) {
    std::vector<std::string> out;
    for (const Edge& e : g.graph.edges)
        out.push_back(g.names[e.from] + ">" + g.names[e.to]);
    return out;
}

TEST(Dot, StatementsChainsSubgraphsAndComments) {
    DotParse p = parseDot(R"(/* header */ strict digraph "my graph" {
        // defaults
        node [shape=box, width=1.5] ; edge [color=red]
        graph [rankdir=TB]
        rankdir = LR
        # a preprocessor-style line
        a -> b -> c [weight=2];
        "quoted id" -> a:port:n;
        d [label="two\nlines" fillcolor="#ff0000"]
        -1.5 -> {e f}
        subgraph cluster_ep { label="eventpoll 1"; e; g -> e }
        { h } -> "con" + "cat"
        <<b>html</b>> -> a
    })");
    ASSERT_TRUE(p.ok()) << p.error;
    const LabelledGraph& g = p.graph;
    EXPECT_EQ(g.name, "my graph");
    EXPECT_EQ(g.names.size(), 12u);
    EXPECT_EQ(g.names[5], "-1.5");
    EXPECT_EQ(g.names[10], "concat");
    EXPECT_EQ(g.names[11], "<b>html</b>");
    EXPECT_EQ(edgeNames(g),
              (std::vector<std::string>{"a>b", "b>c", "quoted id>a", "-1.5>e", "-1.5>f", "g>e",
                                        "h>concat", "<b>html</b>>a"}));
    EXPECT_EQ(g.labels[4], "two\nlines");
    EXPECT_EQ(g.fills[4], "#ff0000");
    EXPECT_DOUBLE_EQ(g.graph.sizes[0].width, 108.0); // width=1.5 in
    ASSERT_EQ(g.clusterLabels.size(), 1u);
    EXPECT_EQ(g.clusterLabels[0], "eventpoll 1");
    ASSERT_EQ(g.graph.clusters.size(), 12u);
    EXPECT_EQ(g.graph.clusters[6], NoCluster); // e appeared first outside the cluster
    EXPECT_EQ(g.graph.clusters[8], 0u);        // g first appears inside it
    EXPECT_EQ(g.graph.keys[0], stableKey("a"));
}

TEST(Dot, UndirectedGraphsAreReadAsWritten) {
    DotParse p = parseDot("graph { a -- b -- c }");
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(edgeNames(p.graph), (std::vector<std::string>{"a>b", "b>c"}));
}

TEST(Dot, ErrorsAreOneLineWithTheLineNumber) {
    struct Case {
        const char* text;
        const char* error;
    };
    for (Case c : {Case{"", "line 1: expected 'digraph' or 'graph'"},
                   Case{"digraph {\n a -> \n}", "line 3: expected a node id, found '}'"},
                   Case{"digraph { a [label=\"x]\n }", "line 1: unterminated string"},
                   Case{"digraph {\n\n a -> b", "line 3: expected '}' before end of file"},
                   Case{"digraph { a } b", "line 1: unexpected 'b' after the graph"},
                   Case{"digraph { a; /* open", "line 1: unterminated /* comment"},
                   Case{"digraph { a @ b }", "line 1: unexpected character '@'"},
                   Case{"digraph { a [x=1 }", "line 1: expected an attribute name, found '}'"}}) {
        DotParse p = parseDot(c.text);
        EXPECT_FALSE(p.ok()) << c.text;
        EXPECT_EQ(p.error, c.error) << c.text;
        EXPECT_EQ(p.graph.graph.nodeCount(), 0u);
    }
    std::string deep = "digraph { ";
    for (int i = 0; i < 5000; ++i)
        deep += "{ ";
    DotParse p = parseDot(deep);
    EXPECT_EQ(p.error, "line 1: subgraphs nested too deeply");
}

TEST(Dot, GarbageNeverCrashes) {
    test::Rng rng(77);
    const std::string alphabet = "digraph{}[]=;,:->\"<>ab1 \n/*#+\\";
    for (int round = 0; round < 2000; ++round) {
        std::string s = round % 2 ? "digraph { " : "";
        for (int i = 0, n = static_cast<int>(rng.below(60)); i < n; ++i)
            s += alphabet[rng.below(static_cast<std::uint32_t>(alphabet.size()))];
        DotParse p = parseDot(s);
        if (p.ok()) {
            LayoutResult r = layoutLayered(p.graph.graph);
            EXPECT_EQ(r.positions.size(), p.graph.graph.nodeCount());
        }
    }
}

LabelledGraph sample() {
    DotParse p = parseDot(R"(digraph g { a -> b; a -> c; b -> d; c -> d; a -> d;
        "x y" -> a; d [label="D\"q"] })");
    EXPECT_TRUE(p.ok());
    return p.graph;
}

TEST(Export, PlainHasGraphvizShape) {
    LabelledGraph g = sample();
    LayoutResult r = layoutLayered(g.graph);
    std::string plain = writePlain(g, r);
    std::istringstream in(plain);
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line.rfind("graph 1 ", 0), 0u);
    int nodes = 0, edges = 0;
    bool stop = false;
    std::map<std::string, double> ys;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string kind;
        words >> kind;
        if (kind == "node") {
            ++nodes;
        } else if (kind == "edge") {
            ++edges;
            // The edge from a to d spans layers: polyline of k segments -> 3k+1 points,
            // each vertex after the first written three times (a a b b b c c).
            if (line.rfind("edge a d ", 0) == 0) {
                std::string t, h;
                int n = 0;
                std::istringstream e(line);
                e >> kind >> t >> h >> n;
                auto pts = r.edge(4);
                EXPECT_EQ(n, static_cast<int>(3 * (pts.size() - 1) + 1));
                std::vector<std::string> xy(2 * static_cast<std::size_t>(n));
                for (auto& v : xy)
                    e >> v;
                EXPECT_EQ(xy[0], xy[2]); // a a
                EXPECT_EQ(xy[4], xy[6]); // b b
                EXPECT_EQ(xy[6], xy[8]); // b b b
            }
        } else if (kind == "stop") {
            stop = true;
        }
    }
    EXPECT_EQ(nodes, 5);
    EXPECT_EQ(edges, 6);
    EXPECT_TRUE(stop);
    EXPECT_NE(plain.find("node \"x y\" "), std::string::npos);
    EXPECT_NE(plain.find("\"D\\\"q\""), std::string::npos);
}

TEST(Export, SvgAndJsonForEveryEngine) {
    LabelledGraph g = sample();
    g.graph.clusters = {0, 0, NoCluster, NoCluster, NoCluster};
    g.clusterLabels = {"ep <1>"};
    std::vector<LayoutResult> results{layoutLayered(g.graph), layoutTree(g.graph),
                                      layoutRing(g.graph)};
    Tree t = binaryTree({1, NoNode}, {NoNode, NoNode}, 0);
    TreeOptions to;
    to.nilLeaves = true;
    for (const LayoutResult& r : results) {
        std::string svg = writeSvg(g, r);
        EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
        EXPECT_NE(svg.find("</svg>"), std::string::npos);
        EXPECT_EQ(svg.find("D\"q"), std::string::npos); // escaped
        EXPECT_NE(svg.find("D&quot;q"), std::string::npos);
        nlohmann::json j = nlohmann::json::parse(writeJson(g, r));
        EXPECT_EQ(j["nodes"].size(), 5u);
        EXPECT_EQ(j["edges"].size(), 6u);
        EXPECT_EQ(j["nodes"][0]["name"], "a");
        EXPECT_FALSE(j.contains("timings"));
        EXPECT_TRUE(nlohmann::json::parse(writeJson(g, r, true)).contains("timings"));
    }
    EXPECT_NE(writeSvg(g, results[0]).find("ep &lt;1&gt;"), std::string::npos);
    LabelledGraph ring;
    LayoutResult buf = layoutRingBuffer({8, 11, 9});
    ring.names = {"0", "1", "2", "3", "4", "5", "6", "7"};
    std::string svg = writeSvg(ring, buf);
    EXPECT_NE(svg.find(">in<"), std::string::npos);
    EXPECT_NE(svg.find(">out<"), std::string::npos);
    EXPECT_NE(svg.find("class=\"filled\""), std::string::npos);
}

TEST(Export, Deterministic) {
    LabelledGraph g = sample();
    EXPECT_EQ(writeSvg(g, layoutLayered(g.graph)), writeSvg(g, layoutLayered(g.graph)));
    EXPECT_EQ(writePlain(g, layoutLayered(g.graph)), writePlain(g, layoutLayered(g.graph)));
    EXPECT_EQ(writeJson(g, layoutLayered(g.graph)), writeJson(g, layoutLayered(g.graph)));
}

} // namespace
} // namespace waitscope::layouts
