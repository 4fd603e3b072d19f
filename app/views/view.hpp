// The minimal view interface (ImHex's View, without Tracy's god object): a view draws its
// content inside the panel the app gives it and reacts to snapshot and selection changes.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace waitscope::app {

class App;

/// Where a view sits in the window's panel layout.
enum class Region { Left, Center, Right, Bottom };

class View {
public:
    virtual ~View() = default;
    /// Stable name: tab label, settings key, script `view NAME`.
    [[nodiscard]] virtual const char* name() const = 0;
    [[nodiscard]] virtual Region region() const = 0;
    /// Open by default on first start.
    [[nodiscard]] virtual bool openByDefault() const { return true; }
    /// Draw inside the current ImGui window region (UI thread, every frame it is visible).
    virtual void drawContent(App& app) = 0;
    /// The current snapshot changed (a new file, a step in the session).
    virtual void onSnapshot(App& app) { (void)app; }
    /// The selection changed.
    virtual void onSelection(App& app) { (void)app; }
    /// Every frame before any view draws, open or not (pick up results published by
    /// threads, e.g. the live timeline's newest events).
    virtual void onFrame(App& app) { (void)app; }
    /// Still has work in flight (a worker job, an animation): scripts wait for idle.
    [[nodiscard]] virtual bool busy() const { return false; }
    /// Append " key=value" facts for the `report` script action (counts from the view's
    /// own model and draw lists).
    virtual void report(std::string& out) const { (void)out; }
    /// The script action `do VIEW ARGS...`: false with `error` set when the view has no
    /// such action or cannot do it now.
    virtual bool scriptAction(App& app, const std::vector<std::string>& args, std::string& error) {
        (void)app;
        (void)args;
        error = std::string(name()) + " has no script actions";
        return false;
    }

    [[nodiscard]] bool isOpen() const { return m_open; }
    void setOpen(bool open) { m_open = open; }
    /// Bring the view's tab to the front (and focus its input) on the next frame.
    void requestFocus() { m_focusRequest = true; }
    [[nodiscard]] bool focusRequested() const { return m_focusRequest; }
    bool takeFocusRequest() { return std::exchange(m_focusRequest, false); }
    /// The tab's close button writes here.
    bool* openFlag() { return &m_open; }

private:
    bool m_open = true;
    bool m_focusRequest = false;
};

using ViewList = std::vector<std::unique_ptr<View>>;

/// The one list of views (views/registry.cpp).
[[nodiscard]] ViewList createViews();

} // namespace waitscope::app
