// The list of click-to-run presets, grouped, with a filter and a description pane.
#pragma once

#include <QString>
#include <QVector>
#include <QWidget>

class QLineEdit;
class QTextBrowser;
class QTreeWidget;
class QTreeWidgetItem;

namespace trainlab {

/// What the browser shows of one preset.
struct PresetEntry {
    QString id;
    QString title;
    QString group;  ///< section heading; sections appear in the order first seen
    QString description;
    QString expected;  ///< the expected result, in words
};

/// A tree of presets grouped by PresetEntry::group (in the order the groups first appear),
/// a filter line above (matches title, group, description and id, case-insensitive) and the
/// selected preset's description below.
///
/// Contract: GUI thread only. Emits presetSelected when the current preset changes (also
/// programmatically) and presetActivated on double-click or Enter; group headings emit
/// nothing.
/// Keys: Esc in the filter clears it (in an empty filter, focus goes back to the list). Focus
/// given to the browser goes to the list (its focus proxy), never to the filter.
class PresetBrowser : public QWidget {
    Q_OBJECT
  public:
    explicit PresetBrowser(QWidget* parent = nullptr);

    void setPresets(const QVector<PresetEntry>& presets);
    /// The current preset's id, or an empty string.
    QString currentPresetId() const;
    /// Makes `id` current (clearing a filter that hides it); unknown ids are ignored.
    void selectPreset(const QString& id);

  signals:
    void presetSelected(const QString& id);
    void presetActivated(const QString& id);

  protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

  private:
    void applyFilter(const QString& text);
    void showDescription(QTreeWidgetItem* item);
    QTreeWidgetItem* itemFor(const QString& id) const;
    const PresetEntry* entryFor(const QString& id) const;

    QLineEdit* filter_ = nullptr;
    QTreeWidget* tree_ = nullptr;
    QTextBrowser* description_ = nullptr;
    QVector<PresetEntry> presets_;
};

}  // namespace trainlab
