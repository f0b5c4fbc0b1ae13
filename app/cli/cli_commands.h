// trainlab-cli's sub-commands and options as tables: runCommandLine() parses with them, and
// the same tables write `--help` (the man page and packaging/trainlab-cli.bash-completion.in
// follow that text) and each command's own help (`trainlab-cli run --help`).
#pragma once

#include <QCommandLineParser>
#include <QString>
#include <QStringList>
#include <vector>

namespace trainlab {

/// One option of the command line ("--set key=value").
struct CliOption {
    QStringList names;   ///< {"q", "quiet"}
    QString description;
    QString valueName;   ///< empty: a flag
    QString defaultValue;
};

/// What a handler gets: the parsed command line and the command's own arguments (the words
/// after its name).
struct CliInvocation {
    const QCommandLineParser& parser;
    QStringList arguments;
    bool isSet(const char* option) const { return parser.isSet(QString::fromLatin1(option)); }
    QString value(const char* option) const { return parser.value(QString::fromLatin1(option)); }
    QStringList values(const char* option) const {
        return parser.values(QString::fromLatin1(option));
    }
};

/// One line of the command list in --help: "run <preset id or file>", "run a preset …".
struct CliUsage {
    QString synopsis;
    QString summary;
};

/// One sub-command.
struct CliCommand {
    QString name;                 ///< "run"
    QString arguments;            ///< its own help's usage: "<preset id or file>"
    std::vector<CliUsage> usage;  ///< its lines in --help's command list
    QString help;                 ///< more, for its own help (may be empty)
    QStringList options;          ///< the options it reads (long names: "quiet")
    int minArguments = 0;         ///< fewer: "'<name>' needs a target (see --help)", exit 2
    /// Runs the command; returns the exit code (0 done, 1 failed, 2 bad input; see cli.h).
    /// Errors (trainlab::Error …) thrown here end as "trainlab-cli: <message>", exit 2.
    int (*handler)(const CliInvocation&) = nullptr;
};

/// Every sub-command, in --help's order.
const std::vector<CliCommand>& cliCommands();
/// nullptr when `name` is no sub-command.
const CliCommand* findCliCommand(const QString& name);
/// Every option beyond --help and --version, in --help's order. The --out default names the
/// runs folder of this environment.
std::vector<CliOption> cliOptions();

/// The handler of `run` (cli_run.cpp).
int runPresetCommand(const CliInvocation& call);

/// `sweep` (cli_sweep.cpp, cli_sweep_manage.cpp): its handler, its lines in --help, its help,
/// the options it reads, and the options only it has (added to cliOptions()'s by the parser).
int sweepCommand(const CliInvocation& call);
std::vector<CliUsage> sweepUsage();
QString sweepHelp();
QStringList sweepOptionNames();
std::vector<CliOption> sweepCliOptions();

}  // namespace trainlab
