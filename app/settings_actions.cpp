#include "settings_actions.h"

#include <QAction>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QPushButton>
#include <QVBoxLayout>

#include "atomic_file.h"
#include "config_editor.h"
#include "experiment.h"

namespace trainlab {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

/// The keys of a kind's schema for a config (what the editor shows).
std::vector<std::string> schemaKeys(const std::string& kind, const nlohmann::json& config) {
    std::vector<std::string> keys;
    if (const ExperimentKind* k = findExperimentKind(kind))
        for (const auto& p : k->schema(config)) keys.push_back(p.key);
    return keys;
}

}  // namespace

SettingsActions::SettingsActions(ConfigEditor* editor, QWidget* window, Report report)
    : QObject(window), editor_(editor), window_(window), report_(std::move(report)) {
    container_ = new QWidget;
    auto* layout = new QVBoxLayout(container_);
    layout->setContentsMargins(0, 0, 0, 0);
    banner_ = new QWidget;
    banner_->setObjectName("RunSettingsBanner");
    auto* row = new QVBoxLayout(banner_);
    bannerText_ = new QLabel;
    bannerText_->setWordWrap(true);
    auto* buttons = new QHBoxLayout;
    auto* load = new QPushButton("Load these settings");
    load->setObjectName("LoadRunSettings");
    load->setToolTip("Edit and run these settings (the preset's values are marked as changed)");
    auto* rerun = new QPushButton("Re-run");
    rerun->setObjectName("RerunWithRunSettings");
    rerun->setToolTip("Run again with exactly these settings (same seed: the same numbers)");
    connect(load, &QPushButton::clicked, this, &SettingsActions::loadRunSettings);
    connect(rerun, &QPushButton::clicked, this, [this] {
        loadRunSettings();
        emit rerunRequested();
    });
    buttons->addWidget(load);
    buttons->addWidget(rerun);
    buttons->addStretch();
    row->addWidget(bannerText_);
    row->addLayout(buttons);
    banner_->hide();
    layout->addWidget(banner_);
    layout->addWidget(editor_, 1);
}

void SettingsActions::addSaveAsPresetTo(QMenu* fileMenu) {
    auto* save = fileMenu->addAction("Save settings as preset…", this, [this] {
        if (!hasShown_) return;
        const QString start = QDir::home().filePath(q(shown_.id) + "-custom.json");
        const QString path = QFileDialog::getSaveFileName(window_, "Save settings as preset",
                                                          start, "Presets (*.json)");
        if (path.isEmpty()) return;
        QString error;
        if (!saveAsPreset(path, &error)) report_("Preset not saved", error, true);
    });
    save->setShortcut(QKeySequence("Ctrl+Shift+S"));
    save->setToolTip("A preset file with these settings: open it later, or run it with "
                     "trainlab-cli run FILE");
}

void SettingsActions::rememberEdits() {
    if (!hasShown_ || showingRun()) return;
    const QString id = q(shown_.id);
    if (editor_->changedKeys().isEmpty()) edits_.remove(id);
    else edits_.insert(id, editor_->config());
}

void SettingsActions::showPreset(const Preset& preset) {
    rememberEdits();
    runDir_.clear();
    banner_->hide();
    shown_ = preset;
    hasShown_ = true;
    if (const ExperimentKind* kind = findExperimentKind(preset.kind))
        editor_->setSchema(kind->schema(preset.config), preset.config);
    editor_->setReadOnly(false);
    if (const nlohmann::json* edits = editsOf(q(preset.id))) editor_->setValues(*edits);
}

const nlohmann::json* SettingsActions::editsOf(const QString& presetId) const {
    const auto it = edits_.constFind(presetId);
    return it == edits_.constEnd() ? nullptr : &it.value();
}

void SettingsActions::showRunSettings(const QString& runDir, const Preset& preset,
                                      const nlohmann::json& runConfig) {
    rememberEdits();
    shown_ = preset;
    hasShown_ = true;
    runDir_ = runDir;
    const ExperimentKind* kind = findExperimentKind(preset.kind);
    if (!kind) return;
    // Marked against the preset when the run has its shape (same fields), else unmarked.
    const bool sameShape = schemaKeys(preset.kind, preset.config) ==
                           schemaKeys(preset.kind, runConfig);
    const nlohmann::json& base = sameShape ? preset.config : runConfig;
    editor_->setSchema(kind->schema(runConfig), base);
    editor_->setValues(runConfig);
    editor_->setReadOnly(true);
    const int changed = editor_->changedKeys().size();
    bannerText_->setText(
        "<b>Settings of the run " + QFileInfo(runDir).fileName().toHtmlEscaped() +
        "</b> (read-only, from its config.json)" +
        (sameShape ? QString(": %1 setting%2 differ%3 from the preset")
                         .arg(changed)
                         .arg(changed == 1 ? "" : "s")
                         .arg(changed == 1 ? "s" : "")
                   : QString()) +
        ".");
    banner_->show();
}

void SettingsActions::loadRunSettings() {
    if (!showingRun()) return;
    runDir_.clear();
    banner_->hide();
    editor_->setReadOnly(false);
}

bool SettingsActions::saveAsPreset(const QString& path, QString* error) {
    if (!hasShown_) {
        if (error) *error = "No preset is shown.";
        return false;
    }
    const QStringList changed = editor_->changedKeys();
    std::string differs;
    for (const QString& k : changed) differs += (differs.empty() ? "" : ", ") + k.toStdString();
    nlohmann::json j{{"id", QFileInfo(path).completeBaseName().toStdString()},
                     {"title", shown_.title + " (custom)"},
                     {"group", shown_.group},
                     {"kind", shown_.kind},
                     {"description", shown_.description +
                                         (differs.empty() ? "" : " Changed: " + differs + ".")},
                     {"expected", shown_.expected},
                     {"config", editor_->config()}};
    try {
        const std::string text = j.dump(2) + "\n";
        parsePreset(text, path.toStdString());  // what the CLI and the window will read back
        writeFileAtomic(path.toStdString(), text);
    } catch (const std::exception& e) {
        if (error) *error = QString::fromUtf8(e.what());
        return false;
    }
    emit presetSaved(path);
    return true;
}

}  // namespace trainlab
