#include "sweep_dialog.h"

#include <QComboBox>
#include <QDateTime>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProcess>
#include <QThread>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <filesystem>

#include "errors.h"
#include "experiment.h"
#include "experiment_runner.h"
#include "host.h"
#include "sweep_builtin.h"
#include "sweep_estimate.h"
#include "sweep_folder.h"

namespace trainlab {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }
std::string s(const QString& t) { return t.trimmed().toStdString(); }

bool launchDetached(const QString& program, const QStringList& args, const QString& logFile,
                    QString* error) {
    QProcess p;
    p.setProgram(program);
    p.setArguments(args);
    p.setStandardOutputFile(logFile, QIODevice::Append);
    p.setStandardErrorFile(logFile, QIODevice::Append);
    p.setStandardInputFile(QProcess::nullDevice());
    if (p.startDetached()) return true;
    if (error) *error = "could not start " + program + ": " + p.errorString();
    return false;
}

/// The settings a sweep may vary: the kind's schema less the seed (that is --seeds).
std::vector<ParamSpec> gridSettings(const std::vector<ParamSpec>& schema) {
    std::vector<ParamSpec> out;
    for (const auto& p : schema)
        if (p.key != "seed") out.push_back(p);
    return out;
}

}  // namespace

SweepDialog::SweepDialog(Input input, QWidget* parent)
    : QDialog(parent), in_(std::move(input)), launcher_(launchDetached) {
    setWindowTitle("Run as sweep: " + q(in_.preset.title));
    if (const ExperimentKind* kind = findExperimentKind(in_.preset.kind))
        schema_ = gridSettings(kind->schema(in_.config));
    past_ = pastRunSeconds(s(in_.runsRoot), in_.preset.id);
    checkTimer_ = new QTimer(this);
    checkTimer_->setSingleShot(true);
    checkTimer_->setInterval(250);
    connect(checkTimer_, &QTimer::timeout, this, &SweepDialog::check);
    buildForm();
    check();
}

void SweepDialog::buildForm() {
    auto* layout = new QVBoxLayout(this);
    auto* intro = new QLabel(
        "Every combination of the values below × the seeds is one task: a normal run of <b>" +
        q(in_.preset.title).toHtmlEscaped() +
        "</b> with your other changed settings. Values are separated by commas (by ';' for "
        "list settings: <tt>1,8,1; 1,32,1</tt>).");
    intro->setWordWrap(true);
    layout->addWidget(intro);

    auto* form = new QFormLayout;
    from_ = new QComboBox;
    from_->addItem("Your own grid");
    for (const SweepSpec& b : builtinSweeps())
        if (b.preset == in_.preset.id) from_->addItem(q(b.info.title), q(b.info.id));
    from_->setEnabled(from_->count() > 1);
    from_->setToolTip("The built-in sweeps of this preset (experiments/sweeps; trainlab-cli "
                      "sweep list).");
    connect(from_, qOverload<int>(&QComboBox::currentIndexChanged), this,
            &SweepDialog::loadBuiltin);
    form->addRow("Start from", from_);

    grid_ = new QTableWidget(0, 2);
    grid_->setHorizontalHeaderLabels({"Setting", "Values"});
    grid_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    grid_->horizontalHeader()->setStretchLastSection(true);
    grid_->verticalHeader()->hide();
    grid_->setMinimumHeight(110);
    auto* rowButtons = new QHBoxLayout;
    auto* add = new QPushButton("Add setting");
    auto* remove = new QPushButton("Remove setting");
    connect(add, &QPushButton::clicked, this, [this] { addGridRow(); });
    connect(remove, &QPushButton::clicked, this, [this] {
        const int r = grid_->currentRow() >= 0 ? grid_->currentRow() : grid_->rowCount() - 1;
        if (r >= 0) grid_->removeRow(r);
        scheduleCheck();
    });
    rowButtons->addWidget(add);
    rowButtons->addWidget(remove);
    rowButtons->addStretch();
    auto* gridBox = new QVBoxLayout;
    gridBox->addWidget(grid_);
    gridBox->addLayout(rowButtons);
    form->addRow("Vary", gridBox);

    seeds_ = new QSpinBox;
    seeds_->setRange(1, 1000);
    seeds_->setToolTip("Seed k (from 0) is the preset's seed + k: each grid point runs this many "
                       "times, and the window averages over them (mean ± std).");
    connect(seeds_, qOverload<int>(&QSpinBox::valueChanged), this, &SweepDialog::scheduleCheck);
    form->addRow("Seeds", seeds_);

    backend_ = new QComboBox;
    backend_->addItem("This computer", "local");
    backend_->addItem("Slurm cluster (sbatch job array)", "slurm");
    jobs_ = new QSpinBox;
    jobs_->setRange(0, 100000);
    jobs_->setSpecialValueText("one per core");
    jobs_->setToolTip("Tasks at once (Slurm: the array's %K; 0 = no limit).");
    connect(jobs_, qOverload<int>(&QSpinBox::valueChanged), this, &SweepDialog::scheduleCheck);
    form->addRow("Run on", backend_);
    form->addRow("Tasks at once", jobs_);
    layout->addLayout(form);
    layout->addWidget(buildSlurmBox());
    connect(backend_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] {
        const bool slurm = backend_->currentData().toString() == "slurm";
        slurm_->setVisible(slurm);
        jobs_->setSpecialValueText(slurm ? "no limit" : "one per core");
        scheduleCheck();
    });

    buildFooter(layout);
    slurm_->setVisible(false);
}

void SweepDialog::buildFooter(QVBoxLayout* layout) {
    auto* outRow = new QHBoxLayout;
    out_ = new QLineEdit;
    const QString stamp = QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss");
    out_->setText(QDir(in_.runsRoot).filePath(stamp + "-sweep-" + q(in_.preset.id)));
    connect(out_, &QLineEdit::textEdited, this, [this] {
        outEdited_ = true;
        scheduleCheck();
    });
    auto* browse = new QPushButton("Choose…");
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString d = QFileDialog::getExistingDirectory(this, "Sweep folder", in_.runsRoot);
        if (d.isEmpty()) return;
        out_->setText(QDir(d).filePath(QFileInfo(out_->text()).fileName()));
        outEdited_ = true;
    });
    outRow->addWidget(new QLabel("Folder"));
    outRow->addWidget(out_, 1);
    outRow->addWidget(browse);
    layout->addLayout(outRow);

    summary_ = new QLabel;
    estimate_ = new QLabel;
    estimate_->setWordWrap(true);
    problemsLabel_ = new QLabel;
    problemsLabel_->setWordWrap(true);
    problemsLabel_->setStyleSheet("color: #b00020;");
    problemsLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(summary_);
    layout->addWidget(estimate_);
    layout->addWidget(problemsLabel_);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Cancel);
    startButton_ = buttons->addButton("Start sweep", QDialogButtonBox::AcceptRole);
    connect(buttons, &QDialogButtonBox::accepted, this, &SweepDialog::onAccept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

QWidget* SweepDialog::buildSlurmBox() {
    slurm_ = new QGroupBox("Slurm");
    auto* f = new QFormLayout(slurm_);
    partition_ = new QLineEdit;
    time_ = new QLineEdit;
    time_->setPlaceholderText("02:00:00 (the site's default when empty)");
    cpus_ = new QSpinBox;
    cpus_->setRange(0, 4096);
    cpus_->setSpecialValueText("site default");
    mem_ = new QLineEdit;
    mem_->setPlaceholderText("4G");
    gres_ = new QLineEdit;
    gres_->setPlaceholderText("gpu:1");
    sbatchArgs_ = new QLineEdit;
    sbatchArgs_->setPlaceholderText("--qos=normal --account=…");
    f->addRow("Partition", partition_);
    f->addRow("Time limit", time_);
    f->addRow("CPUs per task", cpus_);
    f->addRow("Memory", mem_);
    f->addRow("GRES", gres_);
    f->addRow("More sbatch options", sbatchArgs_);
    auto* note = new QLabel("Every node must see the sweep folder: put it on shared storage "
                            "(home, project, scratch), never /tmp.");
    note->setWordWrap(true);
    f->addRow(note);
    for (QLineEdit* e : {partition_, time_, mem_, gres_, sbatchArgs_})
        connect(e, &QLineEdit::textEdited, this, &SweepDialog::scheduleCheck);
    connect(cpus_, qOverload<int>(&QSpinBox::valueChanged), this, &SweepDialog::scheduleCheck);
    return slurm_;
}

void SweepDialog::addGridRow(const QString& key, const QString& values) {
    const int row = grid_->rowCount();
    grid_->insertRow(row);
    auto* keys = new QComboBox;
    for (const ParamSpec& p : schema_) {
        keys->addItem(q(p.key) + " — " + q(p.label), q(p.key));
        keys->setItemData(keys->count() - 1, q(p.help), Qt::ToolTipRole);
    }
    const int at = keys->findData(key);
    if (at >= 0) keys->setCurrentIndex(at);
    connect(keys, qOverload<int>(&QComboBox::currentIndexChanged), this,
            &SweepDialog::scheduleCheck);
    auto* edit = new QLineEdit(values);
    edit->setPlaceholderText("0.001, 0.01");
    connect(edit, &QLineEdit::textEdited, this, &SweepDialog::scheduleCheck);
    grid_->setCellWidget(row, 0, keys);
    grid_->setCellWidget(row, 1, edit);
    scheduleCheck();
}

void SweepDialog::setSeeds(int seeds) { seeds_->setValue(seeds); }

void SweepDialog::setBackend(SweepBackend backend) {
    backend_->setCurrentIndex(backend == SweepBackend::Slurm ? 1 : 0);
}

void SweepDialog::setOutFolder(const QString& dir) {
    out_->setText(dir);
    outEdited_ = true;
}

QString SweepDialog::outFolder() const { return out_->text().trimmed(); }

void SweepDialog::loadBuiltin(int index) {
    const SweepSpec* b = findBuiltinSweep(s(from_->itemData(index).toString()));
    if (!b) return;
    grid_->setRowCount(0);
    for (const GridAxis& a : b->grid)
        addGridRow(q(a.key), q([&] {
                       std::string v;
                       const bool list = findParam(schema_, a.key) &&
                                         findParam(schema_, a.key)->type == ParamType::IntList;
                       for (const auto& x : a.values) v += (v.empty() ? "" : list ? "; " : ", ") + x;
                       return v;
                   }()));
    seeds_->setValue(b->seeds);
    if (!outEdited_) {
        const QString stamp = QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss");
        out_->setText(QDir(in_.runsRoot).filePath(stamp + "-" + q(b->info.id)));
    }
    scheduleCheck();
}

std::vector<std::string> SweepDialog::editedSets(const std::vector<std::string>& gridKeys) const {
    std::vector<std::string> sets;
    for (const ParamSpec& p : schema_) {
        if (std::find(gridKeys.begin(), gridKeys.end(), p.key) != gridKeys.end()) continue;
        const auto ptr = keyToPointer(p.key);
        if (!in_.config.contains(ptr)) continue;
        const nlohmann::json& v = in_.config.at(ptr);
        if (in_.preset.config.contains(ptr) && in_.preset.config.at(ptr) == v) continue;
        const std::string text = paramValueText(p, v);
        if (!text.empty()) sets.push_back(p.key + "=" + text);
    }
    return sets;
}

SweepSpec SweepDialog::spec() const {
    SweepSpec spec;
    const SweepSpec* b = findBuiltinSweep(s(from_->currentData().toString()));
    if (b) spec = *b;  // its description and fixed settings come along
    spec.preset = in_.preset.source == "built-in" ? in_.preset.id : in_.preset.source;
    spec.grid.clear();
    std::vector<std::string> keys;
    for (int r = 0; r < grid_->rowCount(); ++r) {
        auto* key = qobject_cast<QComboBox*>(grid_->cellWidget(r, 0));
        auto* values = qobject_cast<QLineEdit*>(grid_->cellWidget(r, 1));
        if (!key || !values || values->text().trimmed().isEmpty()) continue;
        const std::string k = s(key->currentData().toString());
        spec.grid.push_back(parseGridOption(k + "=" + s(values->text())));
        keys.push_back(k);
    }
    for (const std::string& set : editedSets(keys))
        if (std::find(spec.sets.begin(), spec.sets.end(), set) == spec.sets.end())
            spec.sets.push_back(set);
    spec.seeds = seeds_->value();
    spec.backend = backend_->currentData().toString() == "slurm" ? SweepBackend::Slurm
                                                                  : SweepBackend::Local;
    spec.jobs = jobs_->value();
    spec.dataDir = s(in_.dataDir);
    SlurmOptions& o = spec.slurm;
    o.partition = s(partition_->text());
    o.time = s(time_->text());
    o.cpusPerTask = cpus_->value();
    o.mem = s(mem_->text());
    o.gres = s(gres_->text());
    o.sbatchArgs.clear();
    for (const QString& a : sbatchArgs_->text().split(' ', Qt::SkipEmptyParts))
        o.sbatchArgs.push_back(s(a));
    if (o.cpusPerTask > 0) spec.threads = std::min(256, o.cpusPerTask);
    return spec;
}

void SweepDialog::scheduleCheck() { checkTimer_->start(); }

void SweepDialog::check() {
    checkTimer_->stop();
    QStringList problems;
    tasks_ = 0;
    try {
        const SweepSpec sp = spec();
        tasks_ = static_cast<int>(planSweep(sp).tasks.size());
        std::error_code ec;
        if (std::filesystem::exists(s(outFolder()), ec) &&
            !std::filesystem::is_empty(s(outFolder()), ec))
            problems << "The folder " + outFolder() + " exists and is not empty: choose another.";
        if (outFolder().isEmpty()) problems << "Choose a folder for the sweep.";
    } catch (const ConfigError& e) {
        for (const auto& p : e.problems()) problems << q(p);
    } catch (const std::exception& e) {
        problems << q(e.what());
    }
    if (!problems.isEmpty()) tasks_ = 0;
    problems_ = problems.join('\n');
    problemsLabel_->setText(problems_.toHtmlEscaped().replace('\n', "<br>"));
    summary_->setText(tasks_ > 0 ? QString("<b>%1 task%2</b>").arg(tasks_).arg(tasks_ == 1 ? "" : "s")
                                 : QString("<b>Not valid yet</b>"));
    startButton_->setEnabled(tasks_ > 0);
    const bool slurm = backend_->currentData().toString() == "slurm";
    int parallel = jobs_->value();
    if (!slurm && parallel == 0) parallel = std::max(1, QThread::idealThreadCount());
    estimate_->setText(q(estimateSweep(tasks_, parallel, slurm ? SweepBackend::Slurm
                                                               : SweepBackend::Local,
                                       past_).text));
}

QString SweepDialog::estimateText() const { return estimate_->text(); }

bool SweepDialog::start(QString* error) {
    check();
    if (tasks_ == 0) {
        if (error) *error = problems_;
        return false;
    }
    namespace fs = std::filesystem;
    const fs::path dir = s(outFolder());
    std::error_code ec;
    const bool existed = fs::exists(dir, ec);
    try {
        const SweepSpec sp = spec();
        SweepPlan plan = planSweep(sp);
        SweepRecord record{sp, plan.preset, std::move(plan.tasks), trainlabVersion(),
                           isoTimestampUtc(), s(in_.cliPath), {}};
        SweepFolder folder = SweepFolder::create(dir, record);
        const QString log = q((folder.logsDir() / "driver.log").string());
        QString why;
        if (!launcher_(in_.cliPath, {"sweep", "resume", q(dir.string()), "--quiet"}, log, &why)) {
            if (!existed) fs::remove_all(dir, ec);
            if (error) *error = why;
            return false;
        }
    } catch (const std::exception& e) {
        if (error) *error = q(e.what());
        return false;
    }
    started_ = q(dir.string());
    emit sweepStarted(started_);
    return true;
}

void SweepDialog::onAccept() {
    QString error;
    if (start(&error)) {
        accept();
        return;
    }
    QMessageBox::warning(this, "Sweep not started", error);
}

}  // namespace trainlab
