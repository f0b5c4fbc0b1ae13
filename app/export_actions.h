// The main window's export actions: "Export run…" (Ctrl+E: every panel, the results chart and
// the run's JSON files into a folder) and the "Export panel" menu (one panel as PNG, SVG or
// CSV).
#pragma once

#include <QObject>
#include <QString>
#include <functional>

class QAction;
class QMenu;
class QWidget;

namespace trainlab {

class ExperimentView;
class ResultsChart;

class ExportActions : public QObject {
    Q_OBJECT
  public:
    /// report(title, text, isError): how a failure (or a log line, isError false with an
    /// empty title) reaches the user.
    using Reporter = std::function<void(const QString&, const QString&, bool)>;
    /// Adds the actions to `fileMenu`; dialogs open over `window`. `runDir` gives the run
    /// folder shown (its JSON files go along; may be empty).
    ExportActions(QMenu* fileMenu, QWidget* window, ResultsChart* results, Reporter report,
                  std::function<QString()> runDir);

    QAction* exportRunAction() const { return exportRun_; }
    /// The panels to export (nullptr: none).
    void setView(ExperimentView* view);
    /// Writes every panel (PNG, SVG, CSV), the results and the config into `folder`.
    bool exportRunTo(const QString& folder);

  private:
    void exportRunInteractive();
    /// Where the export dialogs open: the run's plots/ (or the run), else home.
    QString startFolder() const;
    void rebuildPanelMenu();

    QWidget* window_;
    ResultsChart* results_;
    Reporter report_;
    QAction* exportRun_ = nullptr;
    QMenu* panelMenu_ = nullptr;
    std::function<QString()> runDir_;
    ExperimentView* view_ = nullptr;
};

}  // namespace trainlab
