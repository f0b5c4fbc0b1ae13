#include "help_menu.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QKeySequence>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>
#include <QWidget>

#include "dataset_actions.h"
#include "experiment_runner.h"
#include "main_window.h"
#include "run_listing.h"
#include "system_info.h"

namespace trainlab {

QDialog* showSystemInformation(QWidget* parent, const QString& runsRoot, const QString& dataDir) {
    SystemInfoRequest request;
    request.dataDir = dataDir.toStdString();
    request.runsRoot = runsRoot.toStdString();
    if (request.runsRoot.empty()) request.runsRoot = defaultRunsRoot(&request.runsRootProblem);
    QApplication::setOverrideCursor(Qt::WaitCursor);  // the GEMM timing takes under a second
    const QString text = QString::fromStdString(systemInfoText(collectSystemInfo(request)));
    QApplication::restoreOverrideCursor();

    auto* dialog = new QDialog(parent);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle("System information");
    auto* view = new QPlainTextEdit(text, dialog);
    view->setObjectName("systemInfoText");
    view->setReadOnly(true);
    view->setLineWrapMode(QPlainTextEdit::NoWrap);
    view->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    QPushButton* copy = buttons->addButton("&Copy", QDialogButtonBox::ActionRole);
    copy->setObjectName("copyButton");
    QObject::connect(copy, &QPushButton::clicked, dialog,
                     [text] { QGuiApplication::clipboard()->setText(text); });
    QObject::connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::close);
    auto* layout = new QVBoxLayout(dialog);
    layout->addWidget(view);
    layout->addWidget(buttons);
    dialog->resize(900, 560);
    dialog->show();
    return dialog;
}

void addHelpMenu(QMenu* menu, QWidget* window) {
    auto* helpAct = menu->addAction("trainlab &help", window, [window] {
        QMessageBox::information(
            window, "trainlab help",
            "<b>trainlab</b> runs the experiments that explain how deep networks learn.<br><br>"
            "Double-click a preset to run it, or select it, change its settings and press Run "
            "(Ctrl+R). Space pauses and resumes (Ctrl+Space or Pause/Break also while typing "
            "in a field). Esc stops, except in a text field, where it is the field's (it clears "
            "the preset filter); a run going on for more than 30 s asks first. In Settings the "
            "wheel changes a field only once it has focus; changed settings are bold, with a "
            "reset button beside them. Every run is recorded in the runs folder "
            "(File → Show runs folder) with its complete config, every metric as CSV and the "
            "plots; double-click a run in the history to reopen it.<br><br>Plots: wheel zooms, "
            "drag pans, double-click resets, right-click exports PNG, SVG or CSV. Ctrl+E exports "
            "everything.<br><br>The same experiments run headless: <tt>trainlab-cli --help</tt>.");
    });
    helpAct->setShortcut(QKeySequence::HelpContents);
    menu->addAction("&System information…", window, [window] {
        const auto* main = qobject_cast<MainWindow*>(window);
        const auto* datasets = window->findChild<DatasetActions*>();  // its --data-dir
        showSystemInformation(window, main ? main->runsRoot() : QString(),
                              datasets ? datasets->dataDir() : QString());
    });
    menu->addAction("About trainlab", window, [window] {
        QMessageBox::about(window, "About trainlab",
                           QString("trainlab %1<br>A workbench for deep-learning experiments.<br>"
                                   "Qt %2, libtorch, QCustomPlot, Eigen.")
                               .arg(QString::fromStdString(trainlabVersion()), qVersion()));
    });
}

}  // namespace trainlab
