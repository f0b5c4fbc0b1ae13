// Issue 7, faults in settings: every field of every built-in preset, given a bad value, is
// refused with a message naming that field; absurd sizes are refused before anything is
// allocated; a preset file whose every field is bad lists one problem per field.
#include "mlp.h"  // torch before Qt

#include <QtTest>
#include <clocale>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "config_fields.h"
#include "errors.h"
#include "function_fit_experiment.h"
#include "param_spec.h"
#include "experiment_runner.h"
#include "preset.h"
#include "test_locale.h"
#include "test_timing.h"

using namespace trainlab;
using nlohmann::json;

namespace {

/// Values that `spec` must refuse, each with a short reason for the failure message.
std::vector<std::pair<json, std::string>> badValues(const ParamSpec& s) {
    std::vector<std::pair<json, std::string>> v;
    const bool hasMin = std::isfinite(s.min) && s.min > -1e15;
    const bool hasMax = std::isfinite(s.max) && s.max < 1e15;
    switch (s.type) {
        case ParamType::Int:
            v.push_back({"12", "a number as text"});
            v.push_back({1.5, "a fraction"});
            v.push_back({nullptr, "null"});
            if (hasMin) v.push_back({static_cast<long long>(s.min) - 1, "below the minimum"});
            if (hasMax) v.push_back({static_cast<long long>(s.max) + 1, "above the maximum"});
            v.push_back({json::array({1}), "a list"});
            break;
        case ParamType::Double:
            v.push_back({"0.1", "a number as text"});
            v.push_back({true, "a boolean"});
            if (hasMin) v.push_back({s.min - std::max(1.0, std::abs(s.min)), "below the minimum"});
            if (hasMax) v.push_back({s.max + std::max(1.0, std::abs(s.max)), "above the maximum"});
            if (s.max < 1e300) v.push_back({1e300, "huge"});
            break;
        case ParamType::Bool:
            v.push_back({"yes", "text"});
            v.push_back({1, "a number"});
            break;
        case ParamType::Choice:
            v.push_back({"no-such-choice", "an unknown choice"});
            v.push_back({3, "a number"});
            break;
        case ParamType::IntList:
            v.push_back({"1,2,3", "text"});
            v.push_back({json::array({1.5}), "a fraction in the list"});
            if (s.minItems >= 1) v.push_back({json::array(), "an empty list"});
            v.push_back({json(std::vector<int>(static_cast<size_t>(s.maxItems) + 1,
                                               static_cast<int>(std::max(s.min, 1.0)))),
                         "too many entries"});
            if (hasMin)
                v.push_back({json::array({static_cast<long long>(s.min) - 1}),
                             "an entry below the minimum"});
            if (hasMax)
                v.push_back({json::array({static_cast<long long>(s.max) + 1}),
                             "an entry above the maximum"});
            break;
        case ParamType::String:
            v.push_back({5, "a number"});
            v.push_back({json::object(), "an object"});
            break;
    }
    return v;
}

bool namesField(const std::vector<std::string>& problems, const std::string& key) {
    for (const auto& p : problems)
        if (p.find("'" + key + "'") != std::string::npos) return true;
    return false;
}

std::string joined(const std::vector<std::string>& problems) {
    std::string all;
    for (const auto& p : problems) all += "  " + p + "\n";
    return all;
}

/// validateExperimentConfig must answer with messages, never throw something else.
std::vector<std::string> validate(const std::string& kind, const json& config, bool* threw) {
    *threw = false;
    try {
        return validateExperimentConfig(kind, config);
    } catch (const std::exception& e) {
        *threw = true;
        return {std::string("threw: ") + e.what()};
    }
}

std::string readText(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream o;
    o << in.rdbuf();
    return o.str();
}

const std::string tinyFit = TRAINLAB_TEST_DATA "/tiny-fit.json";

/// `text` with the first `from` replaced by `to` (which must be there).
std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    if (at == std::string::npos) throw std::logic_error("'" + from + "' not in the text");
    return text.replace(at, from.size(), to);
}

std::string nested(int levels, const std::string& inner) {
    return std::string(levels, '[') + inner + std::string(levels, ']');
}

/// The one ConfigError message parsePreset gives for `text`, or a failure naming what it did.
std::string refusal(const std::string& text, const std::string& source) {
    try {
        parsePreset(text, source);
        return "accepted";
    } catch (const ConfigError& e) {
        std::string all;
        for (const auto& m : e.problems()) all += (all.empty() ? "" : " | ") + m;
        return all;
    } catch (const std::exception& e) {
        return std::string("threw something else: ") + e.what();
    }
}

// A config of every field type, read through one field table.
enum class Colour { Red, Green };
inline constexpr EnumName<Colour> kColourNames[] = {{Colour::Red, "red"}, {Colour::Green, "green"}};
struct Item {
    std::string name;
    std::vector<int> sizes;
};
struct Sample {
    double lr = 0;
    std::int64_t count = 0;
    bool on = false;
    Colour colour = Colour::Red;
    std::string mode;
    struct {
        double from = 0;
    } grid;
    std::vector<Item> items;
};

ConfigFields<Sample> sampleFields() {
    ConfigFields<Sample> t;
    t.field(learningRateParam(), &Sample::lr);
    t.field(integerParam("count", "Count", "Data", 0, 100, "points", "How many"), &Sample::count);
    t.field(boolParam("on", "On", "Run", "Switch"), &Sample::on);
    t.choice(choiceParam("colour", "Colour", "Run", "Which"), kColourNames, &Sample::colour);
    t.field(choiceParam("mode", "Mode", "Run", "Text choice", {"a", "b"}), &Sample::mode);
    t.field(numberParam("grid.from", "From", "Data", -1, 1, "", "Nested"),
            [](Sample& s) -> double& { return s.grid.from; });
    ConfigFields<Item> item;
    item.field(textParam("name", "name", "Items", "Legend"), &Item::name);
    item.field(intListParam("sizes", "sizes", "Items", 1, 9, 1, 3, "Sizes"), &Item::sizes);
    t.repeated("items", "Item", 2, item, &Sample::items,
               std::function<Item(int)>([](int i) { return Item{"item " + std::to_string(i), {}}; }));
    return t;
}

json presetFile(const Preset& p, const json& config) {
    return {{"id", p.id},     {"title", p.title},   {"group", p.group},
            {"kind", p.kind}, {"description", "x"}, {"config", config}};
}

}  // namespace

class TstConfigFaults : public QObject {
    Q_OBJECT
  private slots:
    void oneFieldTableGivesTheSchemaAndTheReader() {
        const auto fields = sampleFields();
        const json config = {{"lr", 0.5},
                             {"count", 7},
                             {"on", true},
                             {"colour", "green"},
                             {"mode", "b"},
                             {"grid", {{"from", -0.25}}},
                             {"items", {{{"name", "x"}, {"sizes", {1, 2}}}, {{"sizes", {3}}}, {}}}};
        const auto schema = fields.schema(config);
        std::vector<std::string> keys;
        for (const auto& s : schema) keys.push_back(s.key);
        // Repeated entries: one per element, at most 2 (the third is not addressed).
        const std::vector<std::string> expected = {
            "lr", "count", "on", "colour", "mode", "grid.from", "items.0.name", "items.0.sizes",
            "items.1.name", "items.1.sizes"};
        QCOMPARE(keys, expected);
        QCOMPARE(QString::fromStdString(schema[3].choices.at(1)), QString("green"));
        QCOMPARE(QString::fromStdString(schema[8].label), QString("Item 2 name"));
        QCOMPARE(schema[0].min, kLearningRateMin);
        QCOMPARE(schema[0].max, kLearningRateMax);
        QVERIFY(schema[0].logScale);

        json valid = config;
        valid["items"][1]["name"] = "y";
        valid["items"].erase(2);
        const Sample s = fields.read(valid);
        QCOMPARE(s.lr, 0.5);
        QCOMPARE(s.count, std::int64_t(7));
        QVERIFY(s.on);
        QCOMPARE(s.colour, Colour::Green);
        QCOMPARE(QString::fromStdString(s.mode), QString("b"));
        QCOMPARE(s.grid.from, -0.25);
        QCOMPARE(s.items.size(), size_t(2));
        QCOMPARE(QString::fromStdString(s.items[1].name), QString("y"));
        QCOMPARE(s.items[0].sizes, (std::vector<int>{1, 2}));
        QCOMPARE(s.items[1].sizes, (std::vector<int>{3}));

        // The reader validates first: every problem, by key.
        json bad = valid;
        bad["lr"] = 11;
        bad["colour"] = "blue";
        bad["items"][1].erase("name");
        try {
            fields.read(bad);
            QFAIL("expected ConfigError");
        } catch (const ConfigError& e) {
            QCOMPARE(e.problems().size(), size_t(3));
            QVERIFY2(e.problems()[0].find("'lr'") == 0, e.problems()[0].c_str());
            QVERIFY(e.problems()[1].find("'colour'") == 0);
            QVERIFY(e.problems()[2].find("'items.1.name': missing") == 0);
        }
        // Unvalidated reading keeps each element's defaults for absent fields.
        Sample partial;
        fields.readInto(json{{"items", {{{"sizes", {4}}}}}}, partial);
        QCOMPARE(QString::fromStdString(partial.items.at(0).name), QString("item 0"));
    }

    void aMemberOfTheWrongTypeIsAProgrammingError() {
        struct Wrong {
            std::string lr;
        };
        ConfigFields<Wrong> t;
        QVERIFY_THROWS_EXCEPTION(std::logic_error, t.field(learningRateParam(), &Wrong::lr));
    }

    void functionFitReadsItsConfigOnce() {
        const Preset p = resolvePreset("1-1-sinc");
        const FunctionFitConfig c = readFunctionFitConfig(p.config);
        QCOMPARE(c.function, TargetFunction::Sinc);
        QCOMPARE(c.trainGrid.count, std::int64_t(301));
        QCOMPARE(c.train.optimizer, OptimizerKind::Adam);
        QCOMPARE(c.train.lr, 0.01);
        QCOMPARE(c.train.stop.kind, StopKind::Plateau);
        QCOMPARE(c.train.stop.tolerance, 1e-5);
        QCOMPARE(c.engine, GradientEngine::Fused);
        QCOMPARE(c.models.size(), size_t(3));
        QCOMPARE(c.models[2].widths, (std::vector<std::int64_t>{1, 182, 1}));
        QCOMPARE(mlpParameterCount(c.mlpSpec(0)), std::int64_t(571));
        // The schema the editor shows is the field table's.
        const auto schema = findExperimentKind("function_fit")->schema(p.config);
        QCOMPARE(schema.size(), functionFitFields().schema(p.config).size());
        QCOMPARE(QString::fromStdString(schema.back().key), QString("models.2.widths"));
        // The engine's own checks run when the config is read.
        json bad = p.config;
        bad["models"][0]["widths"] = json::array({1, 0, 1});
        QVERIFY_THROWS_EXCEPTION(ConfigError, readFunctionFitConfig(bad));
    }

    void functionFitHeadlineNamesTheBestModel() {
        FunctionFitResults r;
        r.models.resize(3);
        QVERIFY(r.headline().empty());  // the first model never ran
        QVERIFY(!r.toJson().contains("headline"));
        auto model = [](std::string name, double loss, std::int64_t steps) {
            FunctionFitModelResult m;
            m.name = std::move(name);
            m.train.finalLoss = loss;
            m.train.steps = steps;
            m.train.stopReason = "plateau";
            return m;
        };
        r.models[0] = model("A", 0.25, 10);
        r.models[2] = model("C", 0.004712345, 101);
        QCOMPARE(r.best().value(), size_t(2));
        QCOMPARE(QString::fromStdString(r.headline()),
                 QString("best: C, MSE 0.004712 after 101 steps (plateau)"));
        const json j = r.toJson();
        QVERIFY(j["models"][1].is_null());
        QCOMPARE(j["models"][2]["steps"].get<std::int64_t>(), std::int64_t(101));
        QCOMPARE(QString::fromStdString(j["headline"].get<std::string>()),
                 QString::fromStdString(r.headline()));
    }

    void everyFieldOfEveryPresetRefusesBadValuesByName() {
        int cases = 0;
        for (const Preset& p : builtinPresets()) {
            const ExperimentKind* kind = findExperimentKind(p.kind);
            QVERIFY(kind);
            const auto specs = kind->schema(p.config);
            QVERIFY2(specs.size() >= 5, p.id.c_str());
            for (const ParamSpec& s : specs) {
                for (const auto& [value, why] : badValues(s)) {
                    json c = p.config;
                    c[keyToPointer(s.key)] = value;
                    bool threw = false;
                    const auto problems = validate(p.kind, c, &threw);
                    const std::string where = p.id + ": '" + s.key + "' = " + value.dump() + " (" +
                                              why + ")\n" + joined(problems);
                    QVERIFY2(!threw, where.c_str());
                    QVERIFY2(!problems.empty(), where.c_str());
                    QVERIFY2(namesField(problems, s.key), where.c_str());
                    ++cases;
                }
                // A missing field is named too.
                json c = p.config;
                const auto ptr = keyToPointer(s.key);
                c[ptr.parent_pointer()].erase(ptr.back());
                bool threw = false;
                const auto problems = validate(p.kind, c, &threw);
                const std::string where = p.id + ": '" + s.key + "' missing\n" + joined(problems);
                QVERIFY2(!threw && namesField(problems, s.key), where.c_str());
                ++cases;
            }
        }
        qInfo("%d bad values refused by name across %zu presets", cases, builtinPresets().size());
        QVERIFY(cases > 500);
    }

    void aPresetFileWithEveryFieldWrongListsEachOne() {
        for (const Preset& p : builtinPresets()) {
            const auto specs = findExperimentKind(p.kind)->schema(p.config);
            json c = p.config;
            // Wrong in type but keeping the shape (lists stay lists), so the schema is the same.
            for (const ParamSpec& s : specs) {
                json bad;
                switch (s.type) {
                    case ParamType::IntList:
                        bad = json::array({"x"});
                        break;
                    case ParamType::String:
                        bad = 7;
                        break;
                    default:
                        bad = "x";
                        break;
                }
                c[keyToPointer(s.key)] = bad;
            }
            const std::string source = p.id + "-broken.json";
            try {
                parsePreset(presetFile(p, c).dump(), source);
                QFAIL(("expected ConfigError for " + source).c_str());
            } catch (const ConfigError& e) {
                const auto& problems = e.problems();
                for (const auto& m : problems) QVERIFY2(m.rfind(source + ": ", 0) == 0, m.c_str());
                for (const ParamSpec& s : specs)
                    QVERIFY2(namesField(problems, s.key), (source + " " + s.key).c_str());
                QCOMPARE(problems.size(), specs.size());
            } catch (const std::exception& e) {
                QFAIL((source + " threw " + e.what()).c_str());
            }
        }
    }

    void absurdSizesAreRefusedBeforeAnythingIsAllocated() {
        struct Case {
            const char* preset;
            const char* key;
            json value;
            const char* expect;  // text the message must contain
        };
        const std::vector<Case> cases = {
            {"1-1-sinc", "max_steps", 1000000000, "'max_steps'"},  // a billion steps
            {"1-1-sinc", "models.0.widths", json::array({1, 0, 1}), "'models.0.widths'"},
            {"1-1-sinc",
             "train_grid",
             {{"from", -1e3}, {"to", 1e3}, {"count", 0}, {"step", 1e-9}},
             "train_grid"},                                  // 2·10¹² points
            {"1-1-sinc", "batch_size", 1000000, "batch"},    // larger than the data
            {"1-2-cnns", "epochs", 1000000000, "'epochs'"},  // a billion epochs
            {"3-1-random-labels", "epochs", 1000000000LL * 1000, "'epochs'"},
            {"3-2-parameters", "nets", json::array({0}), "'nets'"},     // width zero
            {"3-2-parameters", "nets", json::array({1000}), "'nets'"},  // a 1000× net
            {"1-2-cnns", "models", json::array({0}), "'models'"},
            {"3-3-interpolation", "alpha_points", 1000000, "'alpha_points'"},  // a million α
            {"3-3-interpolation", "landscape_points", 100000, "'landscape_points'"},
            {"3-3-interpolation", "direction_points", 1000000, "'direction_points'"},
            {"3-3-sensitivity", "batch_sizes", json::array({32, 1000000000}), "'batch_sizes'"},
            {"3-3-sensitivity", "steps", 1000000000000LL, "'steps'"},
            {"2-1-weight-pca", "hidden", json::array({0}), "'hidden'"},
            {"2-1-weight-pca", "hidden", json::array({100000000}), "'hidden'"},
            {"2-1-weight-pca", "runs", 1000000, "'runs'"},
            {"2-3-minimal-ratio", "runs", 1000000000, "'runs'"},
            {"2-3-minimal-ratio", "widths", json::array({1, 0, 1}), "'widths'"},
            {"2-3-minimal-ratio", "train_grid.step", 1e-12, "train_grid.step"},
        };
        for (const auto& c : cases) {
            const Preset p = resolvePreset(c.preset);
            json config = p.config;
            config[keyToPointer(c.key)] = c.value;
            QElapsedTimer t;
            t.start();
            bool threw = false;
            const auto problems = validate(p.kind, config, &threw);
            const std::string where = std::string(c.preset) + " " + c.key + " = " + c.value.dump() +
                                      "\n" + joined(problems);
            QVERIFY2(!threw && !problems.empty(), where.c_str());
            QVERIFY2(joined(problems).find(c.expect) != std::string::npos, where.c_str());
            QVERIFY2(t.elapsed() < timeLimitMs(1000), where.c_str());  // refused, not attempted
        }
        // A batch larger than the (limited) training set, for every image kind.
        for (const char* id : {"1-2-cnns", "3-1-random-labels", "3-2-parameters",
                               "3-3-interpolation", "3-3-sensitivity"}) {
            const Preset p = resolvePreset(id);
            json config = p.config;
            config["train_limit"] = 500;
            if (config.contains("batch_size")) config["batch_size"] = 501;
            if (config.contains("batch_sizes")) config["batch_sizes"] = json::array({32, 501});
            bool threw = false;
            const auto problems = validate(p.kind, config, &threw);
            const std::string where = std::string(id) + "\n" + joined(problems);
            QVERIFY2(!threw && !problems.empty(), where.c_str());
            QVERIFY2(
                joined(problems).find("larger than the 500 training images") != std::string::npos,
                where.c_str());
            QVERIFY2(
                namesField(problems, config.contains("batch_size") ? "batch_size" : "batch_sizes"),
                where.c_str());
        }
    }

    void overridesOfAbsurdSizesAreRefusedToo() {
        // The command line's --set goes through the same schema.
        for (const auto& [id, assignment] : std::vector<std::pair<std::string, std::string>>{
                 {"1-2-cnns", "epochs=1000000000"},
                 {"3-3-interpolation", "alpha_points=1000000"},
                 {"1-1-sinc", "models.0.widths=1,0,1"},
                 {"3-2-parameters", "nets=0"},
                 {"3-3-sensitivity", "batch_sizes=99999999999999999999"},
                 {"1-1-sinc", "lr=nan"},
                 {"1-1-sinc", "lr=inf"},
                 {"1-1-sinc", "max_steps=-1"}}) {
            const Preset p = resolvePreset(id);
            json c = p.config;
            const std::string key = assignment.substr(0, assignment.find('='));
            try {
                applyOverride(p.kind, c, assignment);
                QFAIL((id + " " + assignment + " was accepted").c_str());
            } catch (const ConfigError& e) {
                QVERIFY2(std::string(e.what()).find(key) != std::string::npos, e.what());
            }
        }
    }

    // Issue 18 B: a preset whose 'id' or 'config.lr' was nested 60,000 levels deep overflowed
    // the stack printing it (validate exited 139). Nesting is limited to 64 levels, refused
    // while reading with the line and byte; quoted values are bounded.
    void deeplyNestedValuesAreRefusedWithAShortMessage() {
        const std::string text = readText(tinyFit);
        const std::string deepId =
            replaced(text, "\"test-tiny-fit\"", nested(60000, "\"x\""));
        const std::string deepLr = replaced(text, "\"lr\": 0.01", "\"lr\": " + nested(60000, "0.01"));
        for (const auto& [what, t] : {std::pair{"id", deepId}, std::pair{"config.lr", deepLr}}) {
            const std::string m = refusal(t, "deep.json");
            QVERIFY2(m.rfind("deep.json: line ", 0) == 0 &&
                         m.find("nested more than 64 levels deep") != std::string::npos,
                     (std::string(what) + ": " + m.substr(0, 300)).c_str());
            QVERIFY2(m.size() < 200, what);
        }
        QVERIFY2(refusal(deepId, "d").find("line 2, byte 74:") != std::string::npos,
                 refusal(deepId, "d").c_str());
        // 64 levels in all are read (the preset object is one), and the wrong type is quoted
        // briefly; 65 are refused
        const std::string m64 = refusal(
            replaced(text, "\"Loss decreases.\"", nested(63, "\"x\"")), "e.json");
        QVERIFY2(m64.rfind("e.json: 'expected' must be text (found [[[[", 0) == 0, m64.c_str());
        QVERIFY2(m64.size() < 200, m64.c_str());
        const std::string m65 = refusal(
            replaced(text, "\"Loss decreases.\"", nested(64, "\"x\"")), "e.json");
        QVERIFY2(m65.find("nested more than 64 levels deep") != std::string::npos, m65.c_str());
        // a bracket inside text does not count
        QCOMPARE(refusal(replaced(text, "\"Loss decreases.\"", "\"" + std::string(100, '[') + "\\\"\""),
                         "s.json"),
                 std::string("accepted"));
    }

    // Issue 18 C: the last of two equal keys won silently.
    void duplicateKeysAreRefusedNamingTheKey() {
        const std::string text = readText(tinyFit);
        struct Case {
            std::string text, key;
        };
        const std::vector<Case> cases{
            {replaced(text, "\"title\"", "\"id\": \"other\",\n  \"title\""), "'id'"},
            {replaced(text, "\"optimizer\"", "\"lr\": 0.5, \"optimizer\""), "'config.lr'"},
            {replaced(text, "\"optimizer\"", "\"l\\u0072\": 0.5, \"optimizer\""), "'config.lr'"},
            {replaced(text, "\"name\": \"Shallow\"", "\"name\": \"Shallow\", \"name\": \"x\""),
             "'config.models.1.name'"},
            {replaced(text, "\"target\": 0.0}", "\"target\": 0.0, \"rule\": \"target\"}"),
             "'config.stop.rule'"},
        };
        for (const auto& c : cases) {
            const std::string m = refusal(c.text, "dup.json");
            QVERIFY2(m == "dup.json: " + c.key + " appears twice (duplicate keys are refused)",
                     m.c_str());
        }
        QCOMPARE(refusal(text, "ok.json"), std::string("accepted"));
    }

    // Issue 18 C: the example in docs/presets.md had // comments, which JSON does not allow.
    void theDocumentedExampleIsAValidPreset() {
        const std::string doc = readText(TRAINLAB_TEST_DATA "/../../docs/presets.md");
        const auto start = doc.find("```json\n");
        QVERIFY(start != std::string::npos);
        const auto end = doc.find("```", start + 8);
        QVERIFY(end != std::string::npos);
        const std::string example = doc.substr(start + 8, end - start - 8);
        try {
            const Preset p = parsePreset(example, "docs/presets.md");
            QCOMPARE(p.kind, std::string("function_fit"));
        } catch (const std::exception& e) {
            QFAIL(e.what());
        }
    }

    // Issue 18 A: preset numbers are read in the C locale whatever the process locale.
    void presetNumbersAreReadInTheCLocale() {
        testing::TestLocales locales({"de_DE.UTF-8"});
        QVERIFY2(locales.error().isEmpty(), qPrintable(locales.error()));
        QVERIFY(std::setlocale(LC_ALL, "de_DE.UTF-8"));
        Preset p;
        try {
            p = parsePreset(readText(tinyFit), "tiny");
        } catch (const std::exception& e) {
            std::setlocale(LC_ALL, "C");
            QFAIL(e.what());
        }
        std::setlocale(LC_ALL, "C");
        QCOMPARE(p.config["lr"].get<double>(), 0.01);
        QCOMPARE(p.config["stop"]["tolerance"].get<double>(), 1e-5);
    }
};

QTEST_APPLESS_MAIN(TstConfigFaults)
#include "tst_config_faults.moc"
