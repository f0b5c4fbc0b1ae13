// A form for an experiment's config, generated from its ParamSpecs.
#pragma once

#include <QString>
#include <QStringList>
#include <QWidget>
#include <nlohmann/json.hpp>
#include <vector>

#include "param_spec.h"

class QLabel;
class QPushButton;
class QScrollArea;
class QToolButton;

namespace trainlab {

class WheelGuard;

/// One editor per ParamSpec, in a group box per ParamSpec::group (groups in order of first
/// appearance), inside a scroll area, with a "Reset to preset" button (reset all) below.
///
/// Editors: Int → spin box (logScale: arrows double/halve); Double → spin box (logScale: arrows
/// step 1-2-5 and scientific input such as 1e-5 is accepted); Bool → check box; Choice →
/// combo box; IntList → line edit "1, 50, 60, 1" (red border and a tooltip while the text is
/// not a valid list); String → line edit. Labels carry the unit; tooltips the help text, range
/// and key.
///
/// Changed fields (as KDE's System Settings marks them): a field whose value differs from the
/// preset's has a bold label and a reset button beside it (object name "reset_<key>") that
/// restores the preset's value; "Reset to preset" is enabled while any field is changed.
/// The wheel: spin boxes and combo boxes take it only while they have focus (WheelGuard);
/// over an unfocused one the form scrolls and nothing changes.
///
/// Contract: GUI thread only. config() is the config given to setSchema() with every field of
/// the schema overwritten by its editor (a field whose text does not parse keeps its last
/// valid value, and validationErrors() names it). Emits configChanged() after each edit by the
/// user or by "Reset to preset", never from setSchema().
class ConfigEditor : public QWidget {
    Q_OBJECT
  public:
    explicit ConfigEditor(QWidget* parent = nullptr);
    ~ConfigEditor() override;

    void setSchema(const std::vector<ParamSpec>& specs, const nlohmann::json& config);
    nlohmann::json config() const;
    /// Disables every editor (while a run is going); the form can still be scrolled.
    void setReadOnly(bool readOnly);
    bool isReadOnly() const { return readOnly_; }
    /// Messages for text that does not parse, then validateParams() on config(). Empty when
    /// the config is valid.
    QStringList validationErrors() const;
    /// Shows the values of `config` in every field it has (the others keep theirs), marked
    /// against the config given to setSchema(); no configChanged().
    void setValues(const nlohmann::json& config);
    /// Restores the config given to setSchema().
    void resetToPreset();
    /// Restores field `key` to the preset's value; false when there is no such field.
    bool resetField(const QString& key);
    /// True when field `key` differs from the preset's value (text that does not parse counts
    /// as a change).
    bool isChanged(const QString& key) const;
    /// The keys of the changed fields, in form order.
    QStringList changedKeys() const;

  signals:
    void configChanged();

  private:
    struct Field;

    QWidget* makeEditor(const ParamSpec& spec);  ///< the editor of a field, connected
    QWidget* makeRow(Field& field);              ///< the editor and its reset button
    void loadValues(const nlohmann::json& config);
    void loadField(Field& field, const nlohmann::json& config);
    nlohmann::json fieldValue(const Field& field) const;
    bool changed(const Field& field) const;
    void markChanges();  ///< bold labels, reset buttons and "Reset to preset" as changed
    void onEdited();
    void checkIntList(Field& field);

    std::vector<ParamSpec> specs_;
    nlohmann::json original_;
    std::vector<Field> fields_;
    QScrollArea* scroll_ = nullptr;
    QWidget* content_ = nullptr;
    QPushButton* resetButton_ = nullptr;
    WheelGuard* wheelGuard_ = nullptr;  ///< spin and combo boxes take the wheel only when focused
    bool loading_ = false;
    bool readOnly_ = false;
};

}  // namespace trainlab
