// The one list of views (ImHex's registerViews): add a view here and nowhere else. Order is
// the tab order inside each region.
#include "view.hpp"

namespace waitscope::app {

std::unique_ptr<View> makeTargetsView();
std::unique_ptr<View> makeObjectTreeView();
std::unique_ptr<View> makeSearchView();
std::unique_ptr<View> makeGraphView();
std::unique_ptr<View> makeCrashView();
std::unique_ptr<View> makeInspectorView();
std::unique_ptr<View> makeDiffView();
std::unique_ptr<View> makeHistoryView();
std::unique_ptr<View> makeSteppingView();
std::unique_ptr<View> makeLogView();
std::unique_ptr<View> makeConsoleView();
std::unique_ptr<View> makeExportView();
std::unique_ptr<View> makeTimelineView();

ViewList createViews() {
    ViewList v;
    v.push_back(makeObjectTreeView());
    v.push_back(makeSearchView());
    v.push_back(makeTargetsView());
    v.push_back(makeSteppingView());
    v.push_back(makeGraphView());
    v.push_back(makeCrashView());
    v.push_back(makeInspectorView());
    v.push_back(makeDiffView());
    v.push_back(makeHistoryView());
    v.push_back(makeTimelineView());
    v.push_back(makeLogView());
    v.push_back(makeConsoleView());
    v.push_back(makeExportView());
    return v;
}

} // namespace waitscope::app
