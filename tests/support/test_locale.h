// A non-English locale for the tests of issue 18 (de_DE.UTF-8 and tr_TR.UTF-8 write a decimal
// comma), compiled once with localedef from Debian's `locales` sources into a folder shared by
// the tests (LOCPATH). Plain POSIX + QtCore.
#pragma once

#include <locale.h>
#include <unistd.h>

#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTest>
#include <cstdlib>

namespace trainlab::testing {

/// The LOCPATH under which `name` ("de_DE.UTF-8") can be set: the folder of a compiled copy,
/// or "" when localedef fails but the system has the locale. Sets `problem` and returns "" when
/// neither works (no localedef or no /usr/share/i18n/locales: install Debian's `locales`).
inline QString localePath(const QString& name, QString* problem) {
    // A compiled copy first: glibc remembers a locale it did not find (newlocale or setlocale
    // under the same LOCPATH before the copy existed), so nothing is looked up before it is built.
    const QString root =
        QDir::tempPath() + QStringLiteral("/trainlab-test-locales-%1").arg(::getuid());
    const QString target = root + QLatin1Char('/') + name;
    if (QFileInfo::exists(target + QStringLiteral("/LC_NUMERIC"))) return root;
    QDir().mkpath(root);
    // Built under a private name, then renamed: tests running side by side share it.
    const QString part = target + QStringLiteral(".part%1").arg(::getpid());
    QProcess p;
    p.start(QStringLiteral("localedef"),
            {QStringLiteral("-c"), QStringLiteral("-i"), name.section(QLatin1Char('.'), 0, 0),
             QStringLiteral("-f"), name.section(QLatin1Char('.'), 1), part});
    if (p.waitForFinished(120000) && QFileInfo::exists(part + QStringLiteral("/LC_NUMERIC"))) {
        if (!QDir().rename(part, target)) QDir(part).removeRecursively();  // another test won
        return root;
    }
    QDir(part).removeRecursively();
    if (locale_t l = ::newlocale(LC_ALL_MASK, name.toUtf8().constData(), nullptr)) {
        ::freelocale(l);  // no localedef, but the system has it
        return {};
    }
    *problem = QStringLiteral(
                   "cannot build the locale %1 with localedef (install the Debian "
                   "package locales): %2")
                   .arg(name, QString::fromLocal8Bit(p.readAllStandardError()));
    return {};
}

/// Sets the process locale (LC_ALL) to `name`, as QCoreApplication does from the environment.
/// Returns false with `problem` set when the locale cannot be had.
inline bool setProcessLocale(const QString& name, QString* problem) {
    const QString path = localePath(name, problem);
    if (!problem->isEmpty()) return false;
    if (!path.isEmpty()) ::setenv("LOCPATH", path.toLocal8Bit().constData(), 1);
    if (!::setlocale(LC_ALL, name.toUtf8().constData())) {
        *problem = QStringLiteral("setlocale(LC_ALL, %1) failed").arg(name);
        return false;
    }
    return true;
}

/// The data rows of a test run under each non-C locale the tests use: a QString column "name"
/// with de_DE.UTF-8 (a decimal comma) and tr_TR.UTF-8 (a decimal comma and Turkish case rules).
inline void addLocaleRows() {
    QTest::addColumn<QString>("name");
    QTest::newRow("de_DE") << QStringLiteral("de_DE.UTF-8");
    QTest::newRow("tr_TR") << QStringLiteral("tr_TR.UTF-8");
}

/// The locales `names` ("de_DE.UTF-8", …) made usable by setlocale in this process and, through
/// locpath(), in child processes (see localePath). error() says why not.
class TestLocales {
  public:
    explicit TestLocales(const QStringList& names) {
        for (const QString& n : names) {
            const QString path = localePath(n, &error_);
            if (!error_.isEmpty()) return;
            if (!path.isEmpty()) locpath_ = path;
        }
        if (!locpath_.isEmpty()) ::setenv("LOCPATH", locpath_.toLocal8Bit().constData(), 1);
    }
    const QString& error() const { return error_; }
    /// LOCPATH for child processes (empty: the system has the locales).
    const QString& locpath() const { return locpath_; }

  private:
    QString locpath_;
    QString error_;
};

}  // namespace trainlab::testing
