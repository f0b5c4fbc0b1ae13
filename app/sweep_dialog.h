// Run → Run as sweep…: the settings to vary and their values, seeds, the backend and its
// options, the task count and the estimated cost, checked as the user types; "Start sweep"
// makes the sweep folder (as `trainlab-cli sweep` would) and hands it to a detached
// `trainlab-cli sweep resume`, so that the sweep goes on when the window closes.
#pragma once

#include <QDialog>
#include <QString>
#include <QStringList>
#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

#include "param_spec.h"
#include "preset.h"
#include "sweep_spec.h"

class QComboBox;
class QGroupBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QTimer;
class QVBoxLayout;

namespace trainlab {

/// Contract: GUI thread only. Never throws: bad values are listed in the dialog (each naming
/// its task and field, as the command line does) and "Start sweep" stays disabled.
class SweepDialog : public QDialog {
    Q_OBJECT
  public:
    struct Input {
        Preset preset;           ///< the preset shown in the window
        nlohmann::json config;   ///< its settings as edited: changes become the sweep's --set
        QString runsRoot;        ///< where the sweep folder goes by default
        QString dataDir;         ///< --data-dir of the window (may be empty)
        QString cliPath;         ///< the trainlab-cli that runs the tasks
    };
    /// Starts `program args` detached with stdout and stderr appended to `logFile`; false with
    /// `error` set when it cannot start. Replaceable for tests.
    using Launcher = std::function<bool(const QString& program, const QStringList& args,
                                        const QString& logFile, QString* error)>;

    explicit SweepDialog(Input input, QWidget* parent = nullptr);

    /// The sweep the form describes (grid rows with an empty value list are left out).
    SweepSpec spec() const;
    /// Tasks of the last check (0 while invalid).
    int taskCount() const { return tasks_; }
    /// The problems of the last check, one per line; empty when the sweep is valid.
    QString problems() const { return problems_; }
    /// The estimate's text shown under the task count.
    QString estimateText() const;
    /// Checks the form now (it is also checked 250 ms after each edit).
    void check();

    /// Adds a grid row: a setting and its values as typed ("1e-3, 1e-2"; ';' for lists).
    void addGridRow(const QString& key = {}, const QString& values = {});
    void setSeeds(int seeds);
    void setBackend(SweepBackend backend);
    void setOutFolder(const QString& dir);
    QString outFolder() const;
    void setLauncher(Launcher launcher) { launcher_ = std::move(launcher); }

    /// Makes the sweep folder and starts its driver; false with `error` set on failure (the
    /// folder is then not left half-made when it was new).
    bool start(QString* error);
    /// The folder of the sweep started last.
    QString startedFolder() const { return started_; }

  signals:
    void sweepStarted(const QString& folder);

  private:
    void buildForm();
    QWidget* buildSlurmBox();
    void buildFooter(QVBoxLayout* layout);
    void loadBuiltin(int index);
    std::vector<std::string> editedSets(const std::vector<std::string>& gridKeys) const;
    void scheduleCheck();
    void onAccept();

    Input in_;
    std::vector<ParamSpec> schema_;
    Launcher launcher_;
    QComboBox* from_ = nullptr;
    QTableWidget* grid_ = nullptr;
    QSpinBox* seeds_ = nullptr;
    QComboBox* backend_ = nullptr;
    QSpinBox* jobs_ = nullptr;
    QGroupBox* slurm_ = nullptr;
    QLineEdit* partition_ = nullptr;
    QLineEdit* time_ = nullptr;
    QSpinBox* cpus_ = nullptr;
    QLineEdit* mem_ = nullptr;
    QLineEdit* gres_ = nullptr;
    QLineEdit* sbatchArgs_ = nullptr;
    QLineEdit* out_ = nullptr;
    QLabel* summary_ = nullptr;
    QLabel* estimate_ = nullptr;
    QLabel* problemsLabel_ = nullptr;
    QPushButton* startButton_ = nullptr;
    QTimer* checkTimer_ = nullptr;
    bool outEdited_ = false;
    int tasks_ = 0;
    QString problems_;
    QString started_;
    std::vector<double> past_;
};

}  // namespace trainlab
