// Config schemas: validation messages per field, --set parsing.
#include <QtTest>
#include <clocale>

#include "errors.h"
#include "json_text.h"
#include "param_spec.h"
#include "test_locale.h"

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

    // Issue 18 A: Qt sets the user's locale, and strtod in de_DE (decimal comma) read "0.001"
    // as 0 followed by junk: `--set lr=0.001` was refused as "not a finite number".
    void numbersParseInTheCLocaleWhateverTheProcessLocale_data() {
        testing::addLocaleRows();
    }
    void numbersParseInTheCLocaleWhateverTheProcessLocale() {
        QFETCH(QString, name);
        static testing::TestLocales locales({"de_DE.UTF-8", "tr_TR.UTF-8"});
        QVERIFY2(locales.error().isEmpty(), qPrintable(locales.error()));
        QVERIFY(std::setlocale(LC_ALL, name.toUtf8().constData()));
        struct Restore {
            ~Restore() { std::setlocale(LC_ALL, "C"); }
        } restore;
        QCOMPARE(std::localeconv()->decimal_point, ",");  // the locale is really in effect
        json c = json::object();
        const auto s = specs();
        setParamFromString(c, s[0], "0.001");
        QCOMPARE(c["train"]["lr"].get<double>(), 0.001);
        setParamFromString(c, s[0], "2.5e-3");
        QCOMPARE(c["train"]["lr"].get<double>(), 2.5e-3);
        setParamFromString(c, s[0], "+1.5");
        QCOMPARE(c["train"]["lr"].get<double>(), 1.5);
        setParamFromString(c, s[1], "250");
        QCOMPARE(c["max_steps"].get<int>(), 250);
        setParamFromString(c, s[3], "1,64,1");
        QCOMPARE(c["models"][0]["widths"], json({1, 64, 1}));
        // the user's notation is not C's: refused as in the C locale
        QVERIFY_THROWS_EXCEPTION(ConfigError, setParamFromString(c, s[0], "0,001"));
        QVERIFY_THROWS_EXCEPTION(ConfigError, setParamFromString(c, s[1], "1.000"));
        // range messages print C numbers
        try {
            setParamFromString(c, s[0], "20.5");
            QFAIL("expected ConfigError");
        } catch (const ConfigError& e) {
            QVERIFY2(std::string(e.what()).find("[1e-08, 10]") != std::string::npos, e.what());
            QVERIFY2(std::string(e.what()).find("20.5") != std::string::npos, e.what());
        }
        // in tr_TR, 'I' and 'i' are not case pairs: choices and booleans compare exactly
        setParamFromString(c, s[2], "adam");
        QCOMPARE(c["optimizer"].get<std::string>(), std::string("adam"));
        setParamFromString(c, s[4], "yes");
        QCOMPARE(c["parallel"].get<bool>(), true);
    }

    // Issue 18 B: a message quoted the whole bad value, recursively: 60,000 levels overflowed
    // the stack, 50,000 made a 300 KB message.
    void deeplyNestedValuesAreQuotedBriefly() {
        json c = json::object();
        c["train"]["lr"] = json::array();
        json* cur = &c["train"]["lr"];
        for (int i = 0; i < 60000; ++i) {
            cur->push_back(json::array());
            cur = &cur->back();
        }
        cur->push_back(0.01);
        const auto problems = validateParams(specs(), c);
        QVERIFY(!problems.empty());
        QVERIFY2(problems[0].find("'train.lr': must be a number (found [[[[") == 0,
                 problems[0].c_str());
        QVERIFY2(problems[0].size() < 200, problems[0].c_str());
    }

    void longValuesAreQuotedBriefly() {
        json c = json::object();
        const std::string huge(1 << 20, 'x');
        try {
            setParamFromString(c, specs()[0], huge);
            QFAIL("expected ConfigError");
        } catch (const ConfigError& e) {
            QVERIFY2(std::string(e.what()).size() < 300, e.what());
            QVERIFY(std::string(e.what()).find("1048576 bytes") != std::string::npos);
        }
        const auto problems = validateParams(
            {specs()[1]}, json{{"max_steps", json::array({huge, huge, huge})}});
        QCOMPARE(problems.size(), size_t(1));
        QVERIFY2(problems[0].size() < 200, problems[0].c_str());
        // cut at a character boundary; invalid UTF-8 replaced (the message must stay writable
        // as JSON in status.json)
        std::string accents;
        for (int i = 0; i < 100; ++i) accents += "\xc3\xa9";  // é
        const std::string b = briefText(accents, 81);
        QVERIFY(b.rfind("\xc3\xa9\xe2\x80\xa6", 80) == 80);  // 41 é (never half of one), then …
        QCOMPARE(briefText("ab\xff" "c"), std::string("ab\xef\xbf\xbd" "c"));
        QCOMPARE(briefText("short"), std::string("short"));
        QVERIFY_THROWS_NO_EXCEPTION(json(briefJson(json(accents + "\xff"), 30)).dump());
    }
};

QTEST_APPLESS_MAIN(TstParamSpec)
#include "tst_param_spec.moc"
