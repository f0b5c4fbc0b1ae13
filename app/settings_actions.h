// Settings belong to runs (issue 16 §3): edits kept per preset for the session, "Save settings
// as preset…", and a reopened run's own settings shown read-only with "Load these settings"
// and "Re-run".
#pragma once

#include <QHash>
#include <QObject>
#include <QString>
#include <functional>
#include <nlohmann/json.hpp>

#include "preset.h"

class QLabel;
class QMenu;
class QPushButton;
class QWidget;

namespace trainlab {

class ConfigEditor;

class SettingsActions : public QObject {
    Q_OBJECT
  public:
    /// `report(title, text, error)` shows a message (the window's report).
    using Report = std::function<void(const QString&, const QString&, bool)>;
    SettingsActions(ConfigEditor* editor, QWidget* window, Report report);

    /// The editor under a banner that names a reopened run's settings (for the Settings dock).
    QWidget* widget() const { return container_; }
    /// "Save settings as preset…" (Ctrl+Shift+S) into `fileMenu`.
    void addSaveAsPresetTo(QMenu* fileMenu);

    /// Shows `preset` in the editor: its settings, or the edits made to it earlier in this
    /// session. Remembers the edits of the preset shown before. Ends a run's settings view.
    void showPreset(const Preset& preset);
    /// Shows a reopened run's settings (its config.json's "config") read-only, marked against
    /// `preset` (the run's preset, when it is known and of the same shape).
    void showRunSettings(const QString& runDir, const Preset& preset,
                         const nlohmann::json& runConfig);
    bool showingRun() const { return !runDir_.isEmpty(); }
    /// The edits kept for a preset this session (null when none).
    const nlohmann::json* editsOf(const QString& presetId) const;

    /// Writes the shown preset with the edited settings as a preset file (the CLI runs it).
    /// Throws nothing: false with `error` set.
    bool saveAsPreset(const QString& path, QString* error);

  signals:
    /// "Re-run": run these settings now (they are loaded into the editor first).
    void rerunRequested();
    /// A preset file was saved (the window adds it to the browser).
    void presetSaved(const QString& path);

  private:
    void loadRunSettings();
    void rememberEdits();

    ConfigEditor* editor_;
    QWidget* window_;
    Report report_;
    QWidget* container_;
    QWidget* banner_;
    QLabel* bannerText_;
    Preset shown_;
    bool hasShown_ = false;
    QString runDir_;
    QHash<QString, nlohmann::json> edits_;
};

}  // namespace trainlab
