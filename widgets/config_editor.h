// A form for an experiment's config, generated from its ParamSpecs.
#pragma once

#include <QString>
#include <QStringList>
#include <QWidget>
#include <nlohmann/json.hpp>
#include <vector>

#include "param_spec.h"

class QPushButton;
class QScrollArea;

namespace trainlab {

/// One editor per ParamSpec, in a group box per ParamSpec::group (groups in order of first
/// appearance), inside a scroll area, with a "Reset to preset" button below.
///
/// Editors: Int → spin box (logScale: arrows double/halve); Double → spin box (logScale: arrows
/// step 1-2-5 and scientific input such as 1e-5 is accepted); Bool → check box; Choice →
/// combo box; IntList → line edit "1, 50, 60, 1" (red border and a tooltip while the text is
/// not a valid list); String → line edit. Labels carry the unit; tooltips the help text, range
/// and key.
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
    /// Restores the config given to setSchema().
    void resetToPreset();

  signals:
    void configChanged();

  private:
    struct Field;

    QWidget* makeEditor(const ParamSpec& spec);  ///< the editor of a field, connected
    void loadValues(const nlohmann::json& config);
    void onEdited();
    void checkIntList(Field& field);

    std::vector<ParamSpec> specs_;
    nlohmann::json original_;
    std::vector<Field> fields_;
    QScrollArea* scroll_ = nullptr;
    QWidget* content_ = nullptr;
    QPushButton* resetButton_ = nullptr;
    bool loading_ = false;
    bool readOnly_ = false;
};

}  // namespace trainlab
