#include "preset_browser.h"

#include <QHeaderView>
#include <QKeyEvent>
#include <QLineEdit>
#include <QSplitter>
#include <QTextBrowser>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace trainlab {

namespace {
constexpr int kIdRole = Qt::UserRole;
}

PresetBrowser::PresetBrowser(QWidget* parent) : QWidget(parent) {
    filter_ = new QLineEdit(this);
    filter_->setObjectName(QStringLiteral("presetFilter"));
    filter_->setPlaceholderText(tr("Filter presets…"));
    filter_->setClearButtonEnabled(true);

    tree_ = new QTreeWidget(this);
    tree_->setObjectName(QStringLiteral("presetTree"));
    tree_->setColumnCount(1);
    tree_->setHeaderHidden(true);
    tree_->setRootIsDecorated(true);
    tree_->setUniformRowHeights(true);
    tree_->setSelectionMode(QAbstractItemView::SingleSelection);

    description_ = new QTextBrowser(this);
    description_->setObjectName(QStringLiteral("presetDescription"));
    description_->setOpenExternalLinks(true);

    auto* splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(tree_);
    splitter->addWidget(description_);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setChildrenCollapsible(false);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(filter_);
    layout->addWidget(splitter, 1);
    // Focus given to the browser goes to the list, not the filter: a window opening with the
    // filter focused would take the Space meant to pause a run as text.
    setFocusProxy(tree_);
    filter_->installEventFilter(this);

    connect(filter_, &QLineEdit::textChanged, this, &PresetBrowser::applyFilter);
    connect(tree_, &QTreeWidget::currentItemChanged, this,
            [this](QTreeWidgetItem* current, QTreeWidgetItem*) {
                showDescription(current);
                const QString id = current ? current->data(0, kIdRole).toString() : QString();
                if (!id.isEmpty()) emit presetSelected(id);
            });
    connect(tree_, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem* item, int) {
        const QString id = item ? item->data(0, kIdRole).toString() : QString();
        if (!id.isEmpty()) emit presetActivated(id);
    });
}

void PresetBrowser::setPresets(const QVector<PresetEntry>& presets) {
    const QString previous = currentPresetId();
    presets_ = presets;
    tree_->blockSignals(true);
    tree_->clear();
    QVector<QTreeWidgetItem*> groups;
    for (const PresetEntry& p : presets_) {
        QTreeWidgetItem* group = nullptr;
        for (QTreeWidgetItem* g : groups)
            if (g->text(0) == p.group) group = g;
        if (!group) {
            group = new QTreeWidgetItem(tree_, {p.group});
            group->setFlags(Qt::ItemIsEnabled);  // a heading: not selectable
            QFont bold = group->font(0);
            bold.setBold(true);
            group->setFont(0, bold);
            groups << group;
        }
        auto* item = new QTreeWidgetItem(group, {p.title});
        item->setData(0, kIdRole, p.id);
        item->setToolTip(0, p.description);
    }
    tree_->expandAll();
    tree_->blockSignals(false);
    applyFilter(filter_->text());
    if (!previous.isEmpty() && itemFor(previous))
        selectPreset(previous);
    else
        showDescription(nullptr);
}

bool PresetBrowser::eventFilter(QObject* watched, QEvent* event) {
    // Esc in the filter clears it, and in an empty filter goes back to the list; the key is
    // the filter's (the window's Esc, Stop, does not fire while a text field has focus).
    if (watched == filter_ && event->type() == QEvent::KeyPress &&
        static_cast<QKeyEvent*>(event)->key() == Qt::Key_Escape &&
        static_cast<QKeyEvent*>(event)->modifiers() == Qt::NoModifier) {
        if (filter_->text().isEmpty())
            tree_->setFocus(Qt::ShortcutFocusReason);
        else
            filter_->clear();
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

QString PresetBrowser::currentPresetId() const {
    const QTreeWidgetItem* item = tree_->currentItem();
    return item ? item->data(0, kIdRole).toString() : QString();
}

void PresetBrowser::selectPreset(const QString& id) {
    QTreeWidgetItem* item = itemFor(id);
    if (!item) return;
    if (item->isHidden()) filter_->clear();
    tree_->setCurrentItem(item);
    tree_->scrollToItem(item);
}

QTreeWidgetItem* PresetBrowser::itemFor(const QString& id) const {
    for (int g = 0; g < tree_->topLevelItemCount(); ++g) {
        QTreeWidgetItem* group = tree_->topLevelItem(g);
        for (int i = 0; i < group->childCount(); ++i)
            if (group->child(i)->data(0, kIdRole).toString() == id) return group->child(i);
    }
    return nullptr;
}

const PresetEntry* PresetBrowser::entryFor(const QString& id) const {
    for (const PresetEntry& p : presets_)
        if (p.id == id) return &p;
    return nullptr;
}

void PresetBrowser::applyFilter(const QString& text) {
    const QString needle = text.trimmed();
    for (int g = 0; g < tree_->topLevelItemCount(); ++g) {
        QTreeWidgetItem* group = tree_->topLevelItem(g);
        int visible = 0;
        for (int i = 0; i < group->childCount(); ++i) {
            QTreeWidgetItem* item = group->child(i);
            const PresetEntry* p = entryFor(item->data(0, kIdRole).toString());
            const bool match =
                needle.isEmpty() || (p && (p->title.contains(needle, Qt::CaseInsensitive) ||
                                           p->group.contains(needle, Qt::CaseInsensitive) ||
                                           p->description.contains(needle, Qt::CaseInsensitive) ||
                                           p->id.contains(needle, Qt::CaseInsensitive)));
            item->setHidden(!match);
            if (match) ++visible;
        }
        group->setHidden(visible == 0);
    }
}

void PresetBrowser::showDescription(QTreeWidgetItem* item) {
    const PresetEntry* p = item ? entryFor(item->data(0, kIdRole).toString()) : nullptr;
    if (!p) {
        description_->setHtml(
            tr("<p><i>Select a preset to read what it shows; double-click to run it.</i></p>"));
        return;
    }
    QString html = QStringLiteral("<h3>%1</h3>").arg(p->title.toHtmlEscaped());
    if (!p->description.isEmpty())
        html += QStringLiteral("<p>%1</p>").arg(p->description.toHtmlEscaped());
    if (!p->expected.isEmpty())
        html += QStringLiteral("<p><b>%1</b> %2</p>")
                    .arg(tr("Expected result:"), p->expected.toHtmlEscaped());
    description_->setHtml(html);
}

}  // namespace trainlab
