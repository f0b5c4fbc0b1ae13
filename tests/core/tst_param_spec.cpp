// Config schemas: validation messages per field, --set parsing.
#include <QtTest>

#include "core/errors.h"
#include "core/param_spec.h"

using namespace trainlab;
using nlohmann::json;

namespace {
std::vector<ParamSpec> specs() {
    ParamSpec lr;
    lr.key = "train.lr";
    lr.type = ParamType::Double;
    lr.min = 1e-8;
    lr.max = 10;
    ParamSpec steps;
    steps.key = "max_steps";
    steps.type = ParamType::Int;
    steps.min = 1;
    steps.max = 1000;
    ParamSpec opt;
    opt.key = "optimizer";
    opt.type = ParamType::Choice;
    opt.choices = {"sgd", "adam"};
    ParamSpec widths;
    widths.key = "models.0.widths";
    widths.type = ParamType::IntList;
    widths.min = 1;
    widths.max = 100;
    widths.minItems = 2;
    ParamSpec flag;
    flag.key = "parallel";
    flag.type = ParamType::Bool;
    return {lr, steps, opt, widths, flag};
}
}  // namespace

class TstParamSpec : public QObject {
    Q_OBJECT
  private slots:
    void invalidUtf8IsReportedNotFatal() {
        // Found by fuzz_param_values: a message quoting a value with invalid UTF-8 threw
        // nlohmann's type_error from dump().
        const std::vector<ParamSpec> specs{
            makeParam("epochs", "Epochs", "T", ParamType::Int, 1, 10, "")};
        const nlohmann::json config = {{"epochs", std::string("\xff\xfe")}};
        std::vector<std::string> problems;
        try {
            problems = validateParams(specs, config);
        } catch (...) {
            QFAIL("validateParams threw");
        }
        QCOMPARE(problems.size(), size_t(1));
        QVERIFY(problems[0].find("epochs") != std::string::npos);
    }

    void validConfigHasNoProblems() {
        const json c = {{"train", {{"lr", 0.01}}},
                        {"max_steps", 10},
                        {"optimizer", "sgd"},
                        {"models", {{{"widths", {1, 5, 1}}}}},
                        {"parallel", true}};
        QVERIFY(validateParams(specs(), c).empty());
    }

    void everyBadFieldIsNamed() {
        const json c = {{"train", {{"lr", -1}}},
                        {"max_steps", 2.5},
                        {"optimizer", "rmsprop"},
                        {"models", {{{"widths", {1, 0, 1}}}}},
                        {"parallel", "yes"}};
        const auto problems = validateParams(specs(), c);
        QCOMPARE(problems.size(), size_t(5));
        QVERIFY(problems[0].find("train.lr") != std::string::npos);
        QVERIFY(problems[1].find("max_steps") != std::string::npos);
        QVERIFY(problems[2].find("sgd, adam") != std::string::npos);
        QVERIFY(problems[3].find("models.0.widths") != std::string::npos);
        QVERIFY(problems[4].find("parallel") != std::string::npos);
    }

    void missingFieldsAreNamed() {
        const auto problems = validateParams(specs(), json::object());
        QCOMPARE(problems.size(), size_t(5));
        QVERIFY(problems[0].find("missing") != std::string::npos);
    }

    void setFromStringParsesAndRangeChecks() {
        json c = json::object();
        const auto s = specs();
        setParamFromString(c, s[0], "1e-3");
        QCOMPARE(c["train"]["lr"].get<double>(), 1e-3);
        setParamFromString(c, s[3], "1,50,1");
        QCOMPARE(c["models"][0]["widths"].size(), size_t(3));
        setParamFromString(c, s[4], "false");
        QCOMPARE(c["parallel"].get<bool>(), false);
        QVERIFY_THROWS_EXCEPTION(ConfigError, setParamFromString(c, s[1], "1000000000"));
        QVERIFY_THROWS_EXCEPTION(ConfigError, setParamFromString(c, s[1], "12abc"));
        QVERIFY_THROWS_EXCEPTION(ConfigError, setParamFromString(c, s[0], "nan"));
        QVERIFY_THROWS_EXCEPTION(ConfigError, setParamFromString(c, s[2], "rmsprop"));
        QVERIFY_THROWS_EXCEPTION(ConfigError, setParamFromString(c, s[3], "1,,1"));
        try {
            setParamFromString(c, s[1], "0");
            QFAIL("expected ConfigError");
        } catch (const ConfigError& e) {
            QVERIFY(std::string(e.what()).find("max_steps") != std::string::npos);
        }
    }
};

QTEST_APPLESS_MAIN(TstParamSpec)
#include "tst_param_spec.moc"
