#include "cli.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <QCommandLineParser>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <iostream>

#include "cli_commands.h"
#include "experiment_runner.h"
#include "user_dirs.h"
#include "run_listing.h"

namespace trainlab {

void guardStandardStreams() {
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
        const int nul = ::open("/dev/null", O_RDWR);  // the lowest free descriptor: fd
        if (nul >= 0 && nul != fd) {
            ::dup2(nul, fd);
            ::close(nul);
        }
    }
    // A closed pipe (`| head`) is no reason to lose a run: writes to it fail with EPIPE, which
    // the streams ignore, and the run goes on to its end.
    std::signal(SIGPIPE, SIG_IGN);
}

void prepareHeadlessEnvironment() {
    // Runs, datasets and caches: never in the runtime folder given to Qt below (a fixed name).
    pinUserFolders();
    if (!std::getenv("QT_QPA_PLATFORM")) ::setenv("QT_QPA_PLATFORM", "offscreen", 1);
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    if (!runtime || !*runtime) {
        const std::string dir = "/tmp/trainlab-runtime-" + std::to_string(::getuid());
        ::mkdir(dir.c_str(), 0700);
        ::setenv("XDG_RUNTIME_DIR", dir.c_str(), 1);
    }
}

namespace {

/// The options of the option table, for a parser; only those named in `*only` when given.
QList<QCommandLineOption> parserOptions(const QStringList* only = nullptr) {
    QList<QCommandLineOption> out;
    std::vector<CliOption> options = cliOptions();
    for (CliOption& o : sweepCliOptions()) options.push_back(std::move(o));
    for (const CliOption& o : options)
        if (!only || only->contains(o.names.last()))
            out << QCommandLineOption(o.names, o.description, o.valueName, o.defaultValue);
    return out;
}

/// --help's description: the one-line summary, then every usage line of the command table.
QString applicationDescription() {
    QString text = "trainlab: the experiments that explain how deep networks learn, headless.\n\n"
                   "Commands:";
    for (const CliCommand& c : cliCommands())
        for (const CliUsage& u : c.usage)
            text += "\n  " + u.synopsis.leftJustified(28) + " " + u.summary;
    return text;
}

/// The parser of the whole command line: every option of the table, --help and --version.
void describeCommandLine(QCommandLineParser& parser) {
    parser.setApplicationDescription(applicationDescription());
    parser.addHelpOption();
    parser.addVersionOption();
    QStringList names;
    for (const CliCommand& c : cliCommands()) names << c.name;
    parser.addPositionalArgument("command", names.join(" | "));
    parser.addPositionalArgument("target", "preset id, preset file or run folder", "[target]");
    parser.addOptions(parserOptions());
}

/// `trainlab-cli <command> --help`: the command's usage lines, its help and its options.
std::string commandHelp(const CliCommand& c) {
    QCommandLineParser parser;
    QString text;
    for (const CliUsage& u : c.usage)
        text += "trainlab-cli " + u.synopsis + ": " + u.summary + "\n";
    if (!c.help.isEmpty()) text += "\n" + c.help;
    parser.setApplicationDescription(text.trimmed());
    parser.addHelpOption();
    parser.addPositionalArgument(c.name, "",
                                 c.name + (c.arguments.isEmpty() ? "" : " " + c.arguments));
    parser.addOptions(parserOptions(&c.options));
    return parser.helpText().toStdString();
}

}  // namespace

int runCommandLine(const QStringList& arguments) {
    QCommandLineParser parser;
    describeCommandLine(parser);
    if (!parser.parse(arguments)) {
        std::cerr << "trainlab-cli: " << parser.errorText().toStdString()
                  << "\n(see trainlab-cli --help)\n";
        return 2;
    }
    const QStringList pos = parser.positionalArguments();
    const CliCommand* command = pos.isEmpty() ? nullptr : findCliCommand(pos.first());
    if (parser.isSet("help")) {
        std::cout << (command ? commandHelp(*command) : parser.helpText().toStdString());
        return 0;
    }
    if (parser.isSet("version")) {
        std::cout << "trainlab-cli " << trainlabVersion() << "\n";
        return 0;
    }
    if (pos.isEmpty()) {
        std::cerr << parser.helpText().toStdString();
        return 2;
    }
    if (!command) {
        std::cerr << "trainlab-cli: unknown command '" << pos.first().toStdString()
                  << "' (see --help)\n";
        return 2;
    }
    if (pos.size() - 1 < command->minArguments) {
        std::cerr << "trainlab-cli: '" << command->name.toStdString()
                  << "' needs a target (see --help)\n";
        return 2;
    }
    try {
        return command->handler(CliInvocation{parser, pos.mid(1)});
    } catch (const std::exception& e) {
        std::cerr << "trainlab-cli: " << e.what() << "\n";
        return 2;
    }
}

}  // namespace trainlab
